"""An admin client and a group-less reader, made on first use and closed together.

The helpers that ask the broker about other consumer groups (the sessions horizon, the
auto record's "was the archive judged") need both; a process that never asks makes none.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class BrokerClients:
    def __init__(self, bootstrap: str, request_timeout_ms: int) -> None:
        self.bootstrap = bootstrap
        self.request_timeout_ms = request_timeout_ms
        self.admin = None
        self.reader = None

    def get(self):
        """(admin, reader), made now if this is the first ask."""
        if self.admin is None:
            from kafka import KafkaAdminClient

            from streams.bus import make_consumer

            self.admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap, request_timeout_ms=self.request_timeout_ms
            )
            self.reader = make_consumer(self.bootstrap, None)
        return self.admin, self.reader

    def close(self) -> None:
        for client in (self.admin, self.reader):
            if client is not None:
                try:
                    client.close()
                except Exception:  # noqa: BLE001 - closing what may be gone already
                    log.debug("closing a broker client failed", exc_info=True)

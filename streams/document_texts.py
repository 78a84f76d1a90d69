"""The live worker's `DocumentTexts`: document texts read back from the store.

Detectors never run SQL (DESIGN §2): the cross-project DOC-40-4 rule asks
`ctx.documents.text(event_id)` for a document it no longer keeps in memory, and in the
live worker this object answers from the store the recorder writes every event to
(the event body is in the hash-chained ledger, so the text is the one the event carried).
Replay answers from the events it folds (`detectors.base.EventDocumentTexts`), so both
see the same text. The store is opened on first use: a worker whose rules never need
an old text never connects. A store that cannot answer returns None (the rule then
raises nothing for that pair) and says so in the log once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from witness.events import Event
from witness.store.history import recorded_event

log = logging.getLogger(__name__)


class StoreDocumentTexts:
    """Texts of recorded `document.submitted` events, a few recent ones cached."""

    def __init__(self, database_url: str, *, cache: int = 32) -> None:
        self.database_url = database_url
        self._store = None
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._capacity = cache
        self._warned = False
        self.lookups = 0

    def observe(self, event: Event) -> None:
        """Nothing to do: the recorder writes every event to the store."""

    def text(self, event_id: str) -> str | None:
        if event_id in self._cache:
            self._cache.move_to_end(event_id)
            return self._cache[event_id]
        self.lookups += 1
        try:
            if self._store is None:
                from witness.store import Store

                self._store = Store(self.database_url, migrate=False)
            event = recorded_event(self._store, event_id)
        except Exception:  # the store down must not stop detection
            if not self._warned:
                log.exception("document text lookup failed (%s)", event_id)
                self._warned = True
            return None
        text = (
            event.payload.text if event is not None and event.type == "document.submitted" else None
        )
        self._cache[event_id] = text
        if len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        return text

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

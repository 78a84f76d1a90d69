"""Sends held until the broker confirms them, then the offsets (issue 12's delivery
guarantees, shared by the detector workers).

A poll's alerts, sessions, ticks and dead letters go to the outbox; `_deliver` flushes
and sends again what the broker refused (with backoff, the partitions paused) until all
is acknowledged, and only then do the engines take the alerts as published and the
offsets get committed, explicitly per partition and only up to the records folded.
Only the newest version of an alert is sent again (it supersedes the older ones); each
session is its own record (an opening's start and end both matter); a record the broker
can never take becomes a dead letter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kafka import OffsetAndMetadata, TopicPartition
from kafka.errors import MessageSizeTooLargeError

from streams.bus import DeliveryError, Send, hold, release

log = logging.getLogger("streams.worker")

MAX_BACKOFF_S = 30.0  # longest pause between two attempts to get a send acknowledged


@dataclass
class _Outgoing:
    """A send of this poll: what it supersedes (`identity`) and the record it came from."""

    identity: tuple
    send: Send
    origin: tuple[str, int, int]  # topic, partition, offset of the input record


class Delivery:
    """Mixin: needs `producer`, `consumer`, `stats`, `_outbox`, `_computed`,
    `_committable` and `stopping()` on the worker."""

    _commit_failed = False  # set by a failed commit's callback, cleared by `_commit_again`

    def _deliver(self) -> bool:
        """Flush; send again what the broker refused until all is acknowledged. Return
        False if asked to stop first (then nothing of this poll counts as published)."""
        delay = 0.5
        while True:
            try:
                self.producer.flush()
            except DeliveryError as exc:
                self.stats.send_retries += 1
                log.warning(
                    "%s; offsets held back, sending again in %.1f s", exc, delay, exc_info=False
                )
                hold(self.consumer, delay, self.stopping)
                if self.stopping():
                    log.warning("stopping with sends not acknowledged; they are redone on restart")
                    return False
                delay = min(delay * 2, MAX_BACKOFF_S)
                self._send_again()
                continue
            release(self.consumer)
            for unit, alerts in self._computed:
                unit.engine.mark_published(alerts)
            self._computed.clear()
            self._outbox.clear()
            return True

    def _send_again(self) -> None:
        """Resend the newest version of each refused record, oldest first. A record the
        broker can never take (too large) becomes a dead letter instead of a retry loop."""
        latest: dict[tuple, _Outgoing] = {}
        for out in self._outbox:
            latest.pop(out.identity, None)
            latest[out.identity] = out
        again: list[_Outgoing] = []
        for out in sorted(latest.values(), key=lambda o: o.send.seq):
            if not out.send.failed:
                continue
            if isinstance(out.send.error, MessageSizeTooLargeError) and out.identity[0] != "dead":
                error = f"could not publish to {out.send.topic}: {out.send.error}"
                stage = f"publish:{out.identity[1]}"[:64]
                again.append(self._dead(out.origin, out.send.value, out.send.key, error, stage))
                continue
            again.append(_Outgoing(out.identity, self.producer.resend(out.send), out.origin))
        self._outbox = again

    def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Commit exactly the records handled (asynchronously: a lost commit re-delivers).
        A failed commit is made again at the next poll (`_commit_again`): a unit with
        nothing new to fold would otherwise leave its committed offset behind for good,
        and the rooms units' sessions horizon (streams/sessions_horizon.py) with it."""
        self._committable.update(offsets)

        def done(_offsets, result) -> None:
            if isinstance(result, Exception):
                self._commit_failed = True
                log.warning("offset commit failed (records will be re-delivered): %s", result)

        try:
            self.consumer.commit_async(offsets, callback=done)
        except Exception:  # noqa: BLE001 - e.g. a rebalance took the partitions
            log.warning("offset commit failed (records will be re-delivered)", exc_info=True)

    def _commit_again(self) -> None:
        """After a failed commit: commit again what was handled, on partitions still ours."""
        if not self._commit_failed:
            return
        self._commit_failed = False
        try:
            assigned = self.consumer.assignment()
        except Exception:  # noqa: BLE001 - not in the group now: the next poll tries again
            self._commit_failed = True
            return
        ours = {tp: om for tp, om in self._committable.items() if tp in assigned}
        if ours:
            self._commit(ours)

    def _dead_letter(self, rec, error: str, stage: str = "") -> None:
        """Dead-letter input record `rec` (bad contract, engine or detector failure)."""
        self._outbox.append(self._dead(_origin(rec), rec.value, rec.key, error, stage))

    def _dead(
        self, origin: tuple[str, int, int], raw: bytes | None, key, error: str, stage: str
    ) -> _Outgoing:
        """The one way a worker makes a dead letter: the bytes, where they came from and
        why, sent like any other record of the poll (held until the broker confirms)."""
        topic, partition, offset = origin
        send = self.producer.dead_letter(
            raw=raw or b"",
            error=error,
            origin_topic=topic,
            partition=partition,
            offset=offset,
            key=key,
            stage=stage,
        )
        self.stats.dead_letters += 1
        return _Outgoing(("dead", send.seq), send, origin)


def _origin(rec) -> tuple[str, int, int]:
    return (rec.topic, rec.partition, rec.offset)

"""How far in event time the room sessions are known: a rooms unit judges no frame past it.

A room's sessions are derived from project events (opening and evaluation started and
ended) by the per-project units and published to `witness.sessions`; the rooms unit reads
them beside the frames (streams/time_merge.py). A sessions partition at its end says
only that nothing *published* is unread: a session whose project event has not been
folded yet is not there, and the frames it covers would be judged as out of session
(VID-AFTERHOURS raised, VID-ABSENT / VID-TAMPER / VID-OFFLINE missed). Replay derives the
session the moment it folds the event, so live and replay disagreed whenever the frames
ran ahead of the project events: always when a day is ingested at once, at restarts,
and behind any backlog of project events.

So each per-project unit commits, with its offsets, the newest event time it folded
(`stamp`; its sessions were acknowledged before the commit). The horizon is the
smallest such time over the partitions of `witness.events` the detector group has not
committed to their end (a partition at its end holds nothing unfolded: no limit).
The rooms unit releases frames and sessions only up to the horizon, once the sessions
partition is read to an end asked after the horizon, so every session that can cover a
released frame is on hand. Past the merge's `MAX_HOLD_S` a held record goes on anyway:
a stalled project side delays video alerts but never stops them.

Known gap: sessions of several projects share a sessions partition in the order their
units published them; one published late (its project partition was behind) can sit
behind a later session of another project, and frames between the two are judged before
it. Keeping that partition's buffer sorted by event time closes it (tried: a day
ingested at once then gives replay's video alerts exactly), but the unit's position,
commits and snapshot offsets assume records folded in offset order and must then track
the first record still held; not done yet.
"""

from __future__ import annotations

import logging
import math
import time

from kafka import TopicPartition

log = logging.getLogger(__name__)

#: The commit metadata prefix of a stamped offset ("t=<POSIX seconds>").
PREFIX = "t="
#: How long the horizon is asked again at most this often (seconds).
REFRESH_S = 0.5
#: Bound on each broker request for the horizon.
ASK_MS = 2_000


def stamp(at: float | None) -> str:
    """Commit metadata carrying the newest event time folded (empty if none known)."""
    return "" if at is None or not math.isfinite(at) else f"{PREFIX}{at:.3f}"


def stamped_time(metadata: str | None) -> float | None:
    if not metadata or not metadata.startswith(PREFIX):
        return None
    try:
        return float(metadata[len(PREFIX) :])
    except ValueError:
        return None


class SessionHorizon:
    """The sessions' horizon for a consumer of the detector group (see the module doc)."""

    def __init__(self, consumer, events_topic: str, *, clock=time.monotonic) -> None:
        self.consumer = consumer
        self.events_topic = events_topic
        self.clock = clock
        #: Event time (POSIX) up to which sessions are complete; -inf while the broker
        #: does not answer (frames wait).
        self.at = -math.inf
        self._asked = -math.inf

    def refresh(self) -> float:
        """Ask again (at most every REFRESH_S). Call it before asking the sessions
        partitions' end offsets: a session the horizon counts on is then among them."""
        now = self.clock()
        if now - self._asked >= REFRESH_S:
            self._asked = now
            self.at = self._ask()
        return self.at

    def _ask(self) -> float:
        try:
            parts = self.consumer.partitions_for_topic(self.events_topic) or set()
            tps = [TopicPartition(self.events_topic, p) for p in sorted(parts)]
            if not tps:
                return -math.inf
            ends = self.consumer.end_offsets(tps, timeout_ms=ASK_MS)
            horizon = math.inf
            for tp in tps:
                if ends[tp] == 0:
                    continue
                done = self.consumer.committed(tp, metadata=True, timeout_ms=ASK_MS)
                if done is not None and done.offset >= ends[tp]:
                    continue  # everything there is folded, its sessions published
                at = stamped_time(done.metadata) if done is not None else None
                horizon = min(horizon, -math.inf if at is None else at)
            return horizon
        except Exception as exc:  # noqa: BLE001 - no answer: frames wait, asked again soon
            log.debug("session horizon unknown: %s", exc)
            return -math.inf

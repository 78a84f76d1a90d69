"""How far a rooms unit may judge frames: until the sessions that cover them exist.

Frames do not know their project; a room's sessions (`room.session`, detectors/
sessions.py) are derived from project events by the units that fold `witness.events`,
and published to `witness.sessions`. Replay folds each session right after the event it
comes from, so a frame is judged knowing every session that started before it. Live, a
rooms unit reading frames faster than the project units derive sessions would judge a
frame of an opening as "after hours" (bench/faults.py with a day ingested before the
workers start: VID-AFTERHOURS x3 raised, VID-INTRUDER missed).

So each project unit commits, with its offset, a lower bound of the event time of what
it has not folded yet (the next record's time if it holds it, else the last folded
record's; `horizon_metadata`). A rooms unit judges a frame only if it is no later than
the horizon: the smallest such bound over every events partition, where a partition
whose committed offset is at the broker's end counts as "everything derived" (no bound),
unless the unit holds records of it not yet folded (`unit_holds`: the embedded broker's
end offsets read low).
Offsets are committed only after the broker acknowledged the sessions, so a session
inside the horizon is on `witness.sessions` by then, and the time merge waits for a
sessions partition that is behind (streams/time_merge.py).

The bound assumes a partition's records come roughly in event-time order (as ingest
sends a day); a record older than one already folded is judged like a late record, as
before. A partition never committed holds frames back: nothing is known of it yet.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC

from kafka import TopicPartition

from streams.broker_clients import BrokerClients
from streams.bus import fetched_end

log = logging.getLogger(__name__)

#: How often the horizon is asked of the broker (commits and end offsets, two requests).
REFRESH_S = 0.5
#: Bound on each request: a dead leader costs this, and the last horizon known is kept.
REQUEST_TIMEOUT_MS = 2_000
#: Say so when frames have waited this long for sessions.
NOTE_AFTER_S = 30.0

_PREFIX = "t="
_HELD = ";held"


def horizon_metadata(at: float | None, held: bool = False) -> str:
    """The commit metadata of a project unit: a lower bound of what it has not folded,
    and ";held" when it holds a record of the partition it has not folded yet."""
    if at is None or not math.isfinite(at):
        return ""
    return f"{_PREFIX}{at:.6f}{_HELD if held else ''}"


def unit_holds(unit, tp: TopicPartition, consumer=None) -> bool:
    """Does the unit hold a record of `tp` it has not folded, or has its consumer fetched
    one it has not handed on (`fetched_end`)? Then it has not derived every session of
    `tp`, whatever end offset the broker gives: the embedded broker's reads low (its last
    batch's base + 1), so a unit halfway through that batch looked done and let frames be
    judged before the sessions covering them existed."""
    if unit.merge.next_at(tp) is not None:
        return True
    high = fetched_end(consumer, tp) if consumer is not None else None
    return high is not None and unit.position.get(tp, 0) < high


def unit_bound(unit, tp: TopicPartition) -> float | None:
    """A project unit's lower bound of what it has not folded on `tp`: the next record's
    event time if it holds it, else the last one folded's (None if it folded none)."""
    nxt = unit.merge.next_at(tp)
    return nxt if nxt is not None and math.isfinite(nxt) else unit.last_at.get(tp)


def commit_metadata(unit, tp: TopicPartition, consumer=None) -> str:
    """What a unit commits with its offset of `tp`: a project unit's bound; nothing for
    others."""
    if unit.kind != "events":
        return ""
    return horizon_metadata(unit_bound(unit, tp), unit_holds(unit, tp, consumer))


def parse_horizon(metadata: str | None) -> float | None:
    if not metadata or not metadata.startswith(_PREFIX):
        return None
    try:
        return float(metadata[len(_PREFIX) :].removesuffix(_HELD))
    except ValueError:
        return None


def parse_held(metadata: str | None) -> bool:
    return bool(metadata) and metadata.endswith(_HELD)


def partition_horizon(committed, end: int | None) -> float:
    """One events partition's bound: inf if everything on it is folded, -inf if unknown."""
    offset = committed.offset if committed is not None else 0
    held = committed is not None and parse_held(committed.metadata)
    if end is not None and offset >= end and not held:
        return math.inf  # nothing left to derive a session from
    if committed is None:
        return -math.inf  # never committed: nothing known yet
    bound = parse_horizon(committed.metadata)
    return -math.inf if bound is None else bound


class SessionsHorizon:
    """The group-wide horizon of derived sessions, asked at most every `refresh_s`.

    Asked with clients of its own (an admin client for the group's commits, a group-less
    consumer for end offsets): on the group consumer the requests queued behind its
    fetches and took 0.8 s each on the embedded broker, slowing every poll. Partitions
    this worker folds itself are judged from its own units (fresher than their commits,
    and the embedded broker keeps no commit metadata)."""

    def __init__(
        self,
        bootstrap: str,
        group_id: str,
        consumer,
        topics,
        *,
        refresh_s: float = REFRESH_S,
        background: bool = False,
    ) -> None:
        self.group_id = group_id
        self.consumer = consumer  # the group's: only its local positions are read
        self.events_topic = topics.events
        self.frames_topic = topics.frames
        self.sessions_topic = topics.sessions
        self.refresh_s = refresh_s
        self.value = -math.inf
        self.sessions_ends: dict[TopicPartition, int] = {}  # asked after the commits
        self._asked = -math.inf
        self._held_since: float | None = None
        self._broker = BrokerClients(bootstrap, REQUEST_TIMEOUT_MS)
        # Live, the two requests are asked on a thread of their own, never in the poll
        # loop (on a slow machine they cost ~60 ms of p99 there, bench/pipeline.py; on a
        # quicker one the difference was within noise). A horizon read earlier
        # is still true later (sessions are never un-derived, positions only grow), so
        # the poll thread may use the last one while the next is asked.
        self._background = background
        self._wanted: dict | None = None
        self._wake = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def refresh(self, units=()) -> float:
        """Ask again if due: commits first, then end offsets (an end read after a commit
        is never below it for a partition that was caught up). In the background, the
        last answer is returned and the next one asked on the horizon's thread."""
        now = time.monotonic()
        if now - self._asked < self.refresh_s:
            return self.value
        self._asked = now
        local = {
            tp: (u.position.get(tp, 0), unit_bound(u, tp), unit_holds(u, tp, self.consumer))
            for u in units
            if u.kind == "events"
            for tp in u.tps
        }
        if not self._background:
            self._answer(local)
            return self.value
        with self._wake:
            self._wanted = local
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._asking, name="sessions-horizon", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        return self.value

    def _asking(self) -> None:
        while True:
            with self._wake:
                while self._wanted is None and not self._stopped:
                    self._wake.wait()
                if self._stopped:
                    return
                local, self._wanted = self._wanted, None
            self._answer(local)

    def _answer(self, local: dict) -> None:
        """Ask the broker and set the horizon (a local snapshot older than the answer is
        a lower bound still: positions and bounds only grow)."""
        try:
            admin, reader = self._broker.get()
            tps = _partitions(reader, self.events_topic)
            session_tps = _partitions(reader, self.sessions_topic)
            if not tps:
                self.value = math.inf  # no project events at all: no session can come
                return
            committed = admin.list_group_offsets({self.group_id: tps}).get(self.group_id, {})
            ends = reader.end_offsets(tps + session_tps, timeout_ms=REQUEST_TIMEOUT_MS)
        except Exception as exc:  # noqa: BLE001 - no answer: the last horizon stands
            log.debug("sessions horizon not answered (%s); keeping %s", exc, self.value)
            return
        bounds = []
        for tp in tps:
            end = ends.get(tp)
            if tp in local:  # folded here: what this worker knows beats its commit
                position, at, held = local[tp]
                done = end is not None and position >= end and not held
                bounds.append(math.inf if done else (-math.inf if at is None else at))
            else:
                found = committed.get(tp)
                found = found if found is not None and found.offset >= 0 else None
                bounds.append(partition_horizon(found, end))
        # The ends first: a reader seeing the new value must see the ends that go with it.
        self.sessions_ends = {tp: ends[tp] for tp in session_tps if tp in ends}
        self.value = min(bounds)

    def close(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=REQUEST_TIMEOUT_MS / 1000 * 3)
        self._broker.close()

    def _fetched(self, tp: TopicPartition) -> bool:
        """Has the unit been given every session the broker held when the horizon was
        read? Until then an earlier session may still come (its writer was quicker to
        commit than the fetcher to read)."""
        end = self.sessions_ends.get(tp)
        if end is None:
            return False
        try:
            position = self.consumer.position(tp, timeout_ms=0)
        except Exception:  # noqa: BLE001 - not known now: wait
            return False
        high = fetched_end(self.consumer, tp)  # the listed end can read low
        return position is not None and position >= max(end, high or 0)

    def limits(self, units) -> dict[TopicPartition, float]:
        """For the time merges: a rooms unit's frames and sessions wait past the horizon
        (a session later than it may still be overtaken by an earlier one)."""
        units = list(units)
        rooms = [u for u in units if u.kind == "rooms"]
        if not rooms:
            return {}
        horizon = self.refresh(units)
        out: dict[TopicPartition, float] = {}
        held = False
        for unit in rooms:
            ready = all(self._fetched(tp) for tp in unit.tps if tp.topic == self.sessions_topic)
            limit = horizon if ready else -math.inf
            out.update(dict.fromkeys(unit.tps, limit))
            frames = [unit.merge.next_at(tp) for tp in unit.tps if tp.topic == self.frames_topic]
            held = held or any(at is not None and at > limit for at in frames)
        self.note_held(held)
        return out

    def note_held(self, held: bool) -> None:
        """Track how long frames wait; warn now and then (an events partition nobody
        folds holds every room back: the operator must see why)."""
        now = time.monotonic()
        if not held:
            self._held_since = None
            return
        if self._held_since is None:
            self._held_since = now
        elif now - self._held_since >= NOTE_AFTER_S:
            self._held_since = now
            log.warning(
                "frames wait for the project units to derive sessions up to their time "
                "(horizon %s); is every partition of %s being folded?",
                _when(self.value),
                self.events_topic,
            )


def _partitions(reader, topic: str) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or ())]


def _when(at: float) -> str:
    if not math.isfinite(at):
        return "unknown" if at < 0 else "none"
    from datetime import datetime

    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds")

"""A unit of work on a worker: the partitions that share one engine, and how it starts.

Units are what the group assigns (streams/assignor.py): one partition of
`witness.events` (per-project rules), a rooms partition (`witness.frames` p with
`witness.sessions` p: video rules), or every partition of `witness.events` for the
cross-project rules. Each unit has its own engine, so a unit that moves to another worker
takes exactly its state with it (through a snapshot), and a unit that stays keeps it.

Where a starting unit reads from (issue 15):
- events: the newest snapshot's offsets with its state; without a usable snapshot, the
  partition's beginning (a full rebuild, logged with the reason);
- rooms: the video rules only need `window` of frames: the snapshot's offsets if the
  snapshot is no older than that, otherwise the first frame of the window
  (`offsets_for_times`) with a fresh state and the sessions topic from its beginning
  (compacted: one record per room). Frames the group never committed are always read,
  however old: nothing unjudged is skipped;
- records before the group's committed offset only rebuild state (their alerts were
  published by an earlier owner).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from kafka import TopicPartition

from detectors import Engine
from detectors.engine import StateError
from streams.snapshots import SnapshotKeeper, StoreReleased, decode
from streams.ticks import RoomClock
from streams.time_merge import TimeMerge

log = logging.getLogger(__name__)


def offset_key(tp: TopicPartition) -> str:
    return f"{tp.topic}:{tp.partition}"


@dataclass
class UnitTask:
    name: str
    kind: str  # "events" | "rooms" | "cross"
    tps: list[TopicPartition]
    engine: Engine
    merge: TimeMerge
    released: StoreReleased | None = None
    clock: RoomClock | None = None
    resume_at: dict[TopicPartition, int] = field(default_factory=dict)
    position: dict[TopicPartition, int] = field(default_factory=dict)
    events_since: int = 0
    snapshot_wall: float = field(default_factory=time.monotonic)
    origin: str = ""
    folded: int = 0  # events folded since the unit started (warming included)
    last_at: dict[TopicPartition, float] = field(default_factory=dict)  # last folded time

    def warming(self, tp: TopicPartition, offset: int) -> bool:
        return offset < self.resume_at.get(tp, 0)

    def live(self) -> bool:
        """Caught up with what earlier owners published."""
        return all(self.position.get(tp, 0) >= self.resume_at.get(tp, 0) for tp in self.tps)

    def offsets(self) -> dict[str, int]:
        return {offset_key(tp): self.position[tp] for tp in self.tps if tp in self.position}


@dataclass(frozen=True)
class Start:
    """Where each partition of a starting unit is read from, and with what state."""

    seek: dict[TopicPartition, int]
    resume_at: dict[TopicPartition, int]
    loaded: bool
    origin: str


def plan_start(
    consumer,
    keeper: SnapshotKeeper,
    task: UnitTask,
    *,
    frames_topic: str | None = None,
    window_s: float = 1800.0,
) -> Start:
    """Load the unit's snapshot into its engine (if usable) and say where to read from."""
    tps = task.tps
    committed = {tp: consumer.committed(tp) for tp in tps}
    beginning = consumer.beginning_offsets(tps)
    resume_at = {tp: committed[tp] if committed[tp] is not None else beginning[tp] for tp in tps}
    snap, why = keeper.latest(task.name, task.engine.version)
    state_offsets: dict[TopicPartition, int] | None = None
    if snap is not None:
        try:
            task.engine.load_state(decode(snap.blob))
            state_offsets = {tp: int(snap.offsets[offset_key(tp)]) for tp in tps}
            why = (
                f"snapshot {snap.id} of {snap.created_at:%Y-%m-%d %H:%M:%S} ({snap.events} events)"
            )
        except (StateError, KeyError, ValueError, Exception) as exc:  # noqa: BLE001
            why = f"snapshot {snap.id} unusable ({exc.__class__.__name__}: {exc})"
            _fresh(task)
            state_offsets = None
    frames = next((tp for tp in tps if tp.topic == frames_topic), None)
    if frames is not None:
        window_start = _window_start(consumer, frames, window_s)
        floor = min(window_start, resume_at[frames])
        if state_offsets is not None and state_offsets[frames] >= floor:
            seek = state_offsets
            origin = why
        else:
            if state_offsets is not None:
                _fresh(task)
                why = f"snapshot older than the {window_s:.0f} s video window"
            seek = {tp: (floor if tp == frames else beginning[tp]) for tp in tps}
            origin = f"frames from offset {floor} (video window), sessions from the start: {why}"
        return Start(seek, resume_at, seek is state_offsets, origin)
    if state_offsets is not None:
        return Start(state_offsets, resume_at, True, why)
    return Start(dict(beginning), resume_at, False, f"full rebuild from the start: {why}")


def _fresh(task: UnitTask) -> None:
    """Forget a half-loaded state: a new engine of the same make."""
    old = task.engine
    task.engine = Engine(
        old.detectors,
        old.ctx,
        fold_sessions=old.fold_sessions,
        derive_sessions=old.derive_sessions,
        released=old.released,
        loose_cap=old.book.loose_cap,
        release_archived=old.release_archived,
        count_documents=old.count_documents,
    )


def _window_start(consumer, tp: TopicPartition, window_s: float) -> int:
    """The first offset whose record time is within the window (the end if none)."""
    target = int((time.time() - window_s) * 1000)
    try:
        found = consumer.offsets_for_times({tp: target}).get(tp)
    except Exception:  # noqa: BLE001 - a broker without time index: read the whole topic
        log.warning("offsets_for_times failed for %s; reading its frames from the start", tp)
        return consumer.beginning_offsets([tp])[tp]
    if found is None:
        return consumer.end_offsets([tp])[tp]
    return found.offset


class EngineView:
    """The worker's engines seen as one (tests, `witness run` summaries)."""

    def __init__(self, worker) -> None:
        self._worker = worker

    @property
    def detectors(self) -> list:
        return self._worker.detectors

    @property
    def ctx(self):
        return self._worker.ctx

    def alerts(self) -> list:
        out = [a for u in self._worker.all_units() for a in u.engine.alerts()]
        return sorted(out, key=lambda a: (a.first_seen, a.alert_id))

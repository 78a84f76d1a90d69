"""The live detector worker: consume -> engines -> alerts topic, at least once.

- One consumer group ("witness-detectors") reads `witness.events`, `witness.frames` and
  `witness.sessions` with a cooperative assignor that keeps frames and sessions
  co-partitioned (streams/assignor.py): a rebalance moves only the units that must move,
  and a worker keeps the state of every unit it keeps.
- Each unit (an events partition; a rooms partition = frames p + sessions p) has its own
  engine. On assignment it loads the unit's newest snapshot and reads only what came
  after it; rooms read frames over the video rules' window only (streams/units.py).
  State is snapshotted every N events or T seconds into the store (streams/snapshots.py).
- The cross-project rules are not run here: `streams/cross_worker.py` runs them in their
  own group over every partition, so their results never depend on how many of these
  workers run.
- Reference data (the enterprise registry, the document corpus DOC-40-4 judges rarity
  against) is read whole by every worker, outside the group (streams/global_tables.py),
  up to its end before anything is judged.
- Offsets are committed only after the alerts (and derived sessions, ticks, dead letters)
  of a poll are acknowledged by the broker, explicitly per partition and only up to the
  records folded, so a crash re-delivers and never loses. Alert ids are deterministic,
  so re-delivery never makes a second alert.
- A refused send is sent again (with backoff, partitions paused) until acknowledged;
  until then nothing is committed nor taken as published. Only the newest version of an
  alert is sent again; every session is (a room's start and end both matter).
- Frames are judged only once the sessions that cover them are derived
  (streams/sessions_horizon.py), so live judges them as replay does.
- A detector that raises costs only its own alerts: its dead letter names it and the
  error, the other detectors' alerts for the event still go out.
- One poll folds records for at most a third of max.poll.interval.ms (streams/
  poll_budget.py); the rest waits in the unit's buffer for the next poll, and a
  partition with a large backlog stops fetching until it halves.
- Records before the group's committed offset only rebuild state (their alerts were
  published by an earlier owner).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import OffsetAndMetadata, TopicPartition

import detectors
from detectors.video import video_window_seconds
from streams.assignor import (
    CoPartitionedAssignor,
    RebalanceNotes,
    set_name,
    unit_name,
    units_for,
)
from streams.bus import (
    DeliveryError,
    Producer,
    ensure_topics,
    fetched_end,
    hold,
    loop_through_broker_errors,
    make_consumer,
    poll,
    release,
    resume,
    wait_for_topics,
)
from streams.document_texts import StoreDocumentTexts
from streams.gc_tuning import quiet_gc
from streams.global_tables import CorpusFeed, RegistryFeed
from streams.outbox import Delivery, _origin, _Outgoing
from streams.poll_budget import budget_seconds
from streams.sessions_horizon import SessionsHorizon, commit_metadata
from streams.snapshots import SnapshotKeeper, SnapshotPolicy, StoreReleased, new_job
from streams.ticks import RoomClock
from streams.time_merge import Item, TimeMerge
from streams.topics import Topics
from streams.units import EngineView, UnitTask, plan_start
from witness.alerts import Alert
from witness.config import Settings
from witness.events import ContractError, parse_event

log = logging.getLogger(__name__)

DETECTOR_GROUP = "witness-detectors"
#: Records a partition may have fetched but not folded before it stops fetching.
MAX_BACKLOG = 5_000
#: Bound on `_caught_up`'s end-offsets request (once a poll): a dead leader costs this.
END_OFFSETS_TIMEOUT_MS = 2_000


@dataclass
class WorkerStats:
    records: int = 0
    events: int = 0
    alerts: int = 0
    dead_letters: int = 0
    rebuilt: int = 0
    duplicates: int = 0
    detector_failures: int = 0
    send_retries: int = 0
    units_started: int = 0
    units_from_snapshot: int = 0
    snapshots: int = 0
    ticks: int = 0


class DetectorWorker(Delivery):
    #: What this worker runs; the cross-project worker overrides these.
    default_group = DETECTOR_GROUP
    reads_registry = True
    reads_corpus = True  # the corpus as a global table (the cross worker counts its own)

    def __init__(
        self,
        bootstrap: str,
        settings: Settings | None = None,
        topics: Topics | None = None,
        *,
        group_id: str | None = None,
        lag_sink: Callable[[list], None] | None = None,
        state_store=None,
        history: Callable[[str], list] | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.topics = topics or Topics()
        self.bootstrap = bootstrap
        # A topic prefix (tests, several deployments on one broker) prefixes the group too.
        self.group_id = group_id or f"{self.topics.prefix}{self.default_group}"
        self.lag_sink = lag_sink
        self.history = history
        # Texts a detector let go come back from the store (detectors never run SQL).
        self.documents = StoreDocumentTexts(self.settings.database_url)
        self.ctx = detectors.Context(
            thresholds=self.settings.thresholds,
            locale=self.settings.locale,
            documents=self.documents,
        )
        self.detectors = self.make_detectors()
        self.engine = EngineView(self)
        self.stats = WorkerStats()
        self.keeper = SnapshotKeeper(state_store, f"{self.group_id}@{self.topics.prefix}")
        self.policy = SnapshotPolicy(
            self.settings.snapshot_every_events, self.settings.snapshot_every_seconds
        )
        self.window_s = self.settings.frame_window_seconds or video_window_seconds(
            self.settings.thresholds
        )
        self.units: dict[str, UnitTask] = {}
        self._closed_units: list[UnitTask] = []
        self._changes = threading.Lock()
        self._assigned: set[TopicPartition] = set()
        self._revoked: set[TopicPartition] = set()
        self._outbox: list[_Outgoing] = []  # this poll's sends, until acknowledged
        self._computed: list[tuple[UnitTask, list[Alert]]] = []  # marked once acknowledged
        self._committable: dict[TopicPartition, OffsetAndMetadata] = {}
        self._fed: set[TopicPartition] = set()  # partitions the last poll gave records
        self._ends: dict[TopicPartition, int] = {}  # end offsets asked this poll
        self._known_ends: dict[TopicPartition, int] = {}  # the last ones the broker gave
        self._ends_stale = False  # the broker did not answer this poll
        self._turn = 0
        self.stop_event = threading.Event()
        self._until: Callable[[], bool] | None = None
        ensure_topics(bootstrap, self.topics, self.settings.partitions)
        self.producer = Producer(bootstrap, self.topics)
        self.consumer = make_consumer(
            bootstrap, self.group_id, partition_assignment_strategy=[self.make_assignor()]
        )
        self.poll_budget_s = budget_seconds(self.consumer)
        wait_for_topics(self.consumer, self.subscribed())
        self.consumer.subscribe(self.subscribed(), listener=RebalanceNotes(self))
        self.registry: RegistryFeed | None = None
        self.corpus: CorpusFeed | None = None
        if self.reads_corpus:
            self.corpus = CorpusFeed(bootstrap, self.topics, self.ctx, self.keeper, self.policy)
            self.corpus.catch_up()
        if self.reads_registry:
            self.registry = RegistryFeed(
                bootstrap,
                self.topics,
                self.ctx,
                self.keeper,
                self.policy,
                on_bad=self._dead_letter,
                on_fact=self._rejudge,
            )
            self.registry.catch_up()
        self.horizon: SessionsHorizon | None = None
        if self.topics.frames in self.subscribed():  # rooms units: frames wait for sessions
            self.horizon = SessionsHorizon(
                bootstrap, self.group_id, self.consumer, self.topics, background=True
            )
        self._last_lag = 0.0
        self._last_behind_log = 0.0
        self._restart_units = False  # set by a broker error: see _broker_error

    # ------------------------------------------------------------------ what runs here

    def make_detectors(self) -> list:
        return detectors.project_detectors()

    def make_assignor(self):
        return CoPartitionedAssignor(together=[(self.topics.frames, self.topics.sessions)])

    def subscribed(self) -> list[str]:
        return [self.topics.events, self.topics.frames, self.topics.sessions]

    def group_units(self, tps: set[TopicPartition]) -> dict[str, tuple[str, list[TopicPartition]]]:
        """unit name -> (kind, partitions) for the units `tps` make up."""
        parts: dict[str, set[int]] = {}
        for tp in tps:
            parts.setdefault(tp.topic, set()).add(tp.partition)
        rooms = set_name((self.topics.frames, self.topics.sessions))
        out = {}
        for unit, unit_tps in units_for(
            parts, [(self.topics.frames, self.topics.sessions)]
        ).items():
            out[unit_name(unit)] = ("rooms" if unit[0] == rooms else "events", unit_tps)
        return out

    def expected_tps(self, kind: str, tps: list[TopicPartition]) -> list[TopicPartition]:
        """Every partition a unit needs before it starts (a rooms unit: both topics)."""
        if kind != "rooms":
            return tps
        p = tps[0].partition
        return [TopicPartition(self.topics.frames, p), TopicPartition(self.topics.sessions, p)]

    def new_engine(self, kind: str, released) -> detectors.Engine:
        return detectors.Engine(
            self.detectors,
            self.ctx,
            fold_sessions=False,
            derive_sessions=kind == "events",
            released=released,
            count_documents=False,  # the corpus feed counts every partition's documents
        )

    def tables(self) -> list:
        return [t for t in (self.corpus, self.registry) if t is not None]

    # ------------------------------------------------------------------ loop

    def run(self, *, until: Callable[[], bool] | None = None) -> WorkerStats:
        quiet_gc()
        self._until = until
        try:
            loop_through_broker_errors(self.poll_once, self.stopping, self._broker_error)
        finally:
            self.close()
        return self.stats

    def all_units(self) -> list[UnitTask]:
        return [*self.units.values(), *self._closed_units]

    def poll_once(self, timeout_ms: int = 200) -> int:
        """One poll: registry first (reference data), then the group's records in each
        unit's order; then wait for the broker to acknowledge every send, and only then
        commit and snapshot."""
        if self._restart_units:
            self._drop_units()
        behind = [table.label for table in self.tables() if not table.poll()]
        if behind:
            self._wait_for_tables(behind)
            return 0
        batch = poll(self.consumer, timeout_ms)
        restarted = self._apply_rebalance()
        self._fed = {tp for tp, records in batch.items() if records}
        self._ends, self._ends_stale = {}, False
        for tp, records in batch.items():
            unit = self._unit_of(tp)
            if unit is None or tp in restarted:
                continue  # read again from where the unit starts
            unit.merge.add(tp, [_item(r) for r in records])
        n = 0
        before = {tp: u.position.get(tp) for u in self.units.values() for tp in u.tps}
        wall = time.monotonic()
        deadline = wall + self.poll_budget_s  # see streams/poll_budget.py
        order = list(self.units.values())
        self._turn = (self._turn + 1) % max(1, len(order))
        limits = self.horizon.limits(self.units.values()) if self.horizon else {}
        for unit in order[self._turn :] + order[: self._turn]:  # who goes first rotates
            if time.monotonic() <= deadline:
                for tp, item in unit.merge.drain(self._caught_up, limits):
                    self._handle(unit, tp, item, wall)
                    n += 1
                    if time.monotonic() > deadline:
                        log.info(
                            "poll budget of %.0f s spent after %d records", self.poll_budget_s, n
                        )
                        break  # the rest stays buffered for the next poll
            self._tick(unit, wall)
        self._hold_backlog()
        if (self._outbox or self._computed) and not self._deliver():
            return n  # stopping before the broker acknowledged: nothing committed
        for unit in self.units.values():
            unit.engine.mark_published(())  # archived projects leave memory
        offsets = {}
        for unit in self.units.values():
            for tp in unit.tps:
                pos = unit.position.get(tp)
                if pos is not None and pos != before.get(tp) and pos > unit.resume_at.get(tp, 0):
                    meta = commit_metadata(unit, tp, self.consumer)
                    offsets[tp] = OffsetAndMetadata(pos, meta, -1)
        if offsets:
            self._commit(offsets)
        self._commit_again()
        self._snapshot_due()
        for table in self.tables():
            table.snapshot_due()
        self._report_lag()
        return n

    def _broker_error(self, _exc: Exception, _lasted: float) -> None:
        """A poll cut off by a broker error may have lost fetched records between the
        consumer and the units: every unit starts again from its snapshot and the
        committed offsets at the next poll (alerts not yet acknowledged are computed and
        sent again; their ids are deterministic)."""
        self._restart_units = True

    def _drop_units(self) -> None:
        self.units.clear()
        self._outbox.clear()
        self._computed.clear()
        self._restart_units = False
        log.warning("every unit starts again from its snapshot after a broker error")

    def _wait_for_tables(self, behind: list[str]) -> None:
        """Reference data not read to its end: judge nothing, keep the group's membership
        (partitions paused, anything fetched put back), say so now and then."""
        now = time.monotonic()
        if now - self._last_behind_log >= 10:
            self._last_behind_log = now
            log.warning("%s not read to its end yet: nothing judged until it is", ", ".join(behind))
        hold(self.consumer, 0.2, self.stopping)
        release(self.consumer)

    # ------------------------------------------------------------------ units

    def _unit_of(self, tp: TopicPartition) -> UnitTask | None:
        for unit in self.units.values():
            if tp in unit.tps:
                return unit
        return None

    def _apply_rebalance(self) -> set[TopicPartition]:
        """Drop units that were revoked (snapshot first), start units that are complete."""
        with self._changes:
            revoked, self._revoked = self._revoked, set()
            assigned = set(self._assigned)
        for name, unit in list(self.units.items()):
            if any(tp in revoked for tp in unit.tps):
                self._snapshot(unit)
                del self.units[name]
                for tp in unit.tps:
                    self._committable.pop(tp, None)
                log.info("unit %s revoked (moves to another worker)", name)
        running = {tp for u in self.units.values() for tp in u.tps}
        waiting = assigned - running
        if not waiting:
            return set()
        started: set[TopicPartition] = set()
        for name, (kind, tps) in sorted(self.group_units(waiting).items()):
            if name in self.units:
                continue
            need = self.expected_tps(kind, tps)
            if not set(need) <= assigned:
                continue  # the rest of the unit comes in the next round
            self._start_unit(name, kind, need)
            started.update(need)
        return started

    def _start_unit(self, name: str, kind: str, tps: list[TopicPartition]) -> None:
        started = time.monotonic()
        released = StoreReleased(self.keeper, self.history) if self.keeper.enabled else None
        engine = self.new_engine(kind, released)
        by_time = frozenset(
            tp for tp in tps if kind == "rooms" and tp.topic == self.topics.sessions
        )
        merge = TimeMerge(sorted(tps), by_time=by_time)  # see streams/sessions_horizon.py
        unit = UnitTask(name, kind, sorted(tps), engine, merge, released)
        if kind == "rooms":
            unit.clock = RoomClock(self.settings.tick_seconds)
        start = plan_start(
            self.consumer,
            self.keeper,
            unit,
            frames_topic=self.topics.frames,
            window_s=self.window_s,
        )
        for tp, offset in start.seek.items():
            self.consumer.seek(tp, offset)
            unit.position[tp] = offset
        unit.resume_at = dict(start.resume_at)
        unit.origin = start.origin
        self.units[name] = unit
        self.stats.units_started += 1
        self.stats.units_from_snapshot += int(start.loaded)
        behind = sum(max(0, unit.resume_at[tp] - start.seek[tp]) for tp in tps)
        log.info(
            "unit %s starts: %s; %d record(s) to fold again before live (%.2f s)",
            name,
            start.origin,
            behind,
            time.monotonic() - started,
        )

    def _hold_backlog(self) -> None:
        """Partitions whose records wait unfolded (a budget spent, a merge waiting) stop
        fetching until the backlog halves, so memory stays bounded."""
        for unit in self.units.values():
            for tp in unit.tps:
                held = unit.merge.backlog(tp)
                if held > MAX_BACKLOG:
                    self.consumer.pause(tp)
                elif held < MAX_BACKLOG // 2 and tp in self.consumer.paused():
                    resume(self.consumer, tp)

    def _caught_up(self, tp: TopicPartition) -> bool | None:
        """For the merge: True if nothing more is to read on `tp` now (the last poll gave
        it nothing and its position is at the broker's end, asked once a poll); False if
        the broker holds more (waited for, however long); None if that is not known."""
        if tp in self._fed:
            return False
        if tp not in self._ends and not self._ends_stale:
            tps = [t for u in self.units.values() for t in u.tps]
            try:
                # Bounded: a leader that died answers nothing until the next is elected.
                ends = self.consumer.end_offsets(tps, timeout_ms=END_OFFSETS_TIMEOUT_MS)
                self._ends.update(ends)
                self._known_ends.update(ends)
            except Exception as exc:  # noqa: BLE001 - no answer: the last ends known
                log.debug("end offsets not answered (%s); using the last known", exc)
                self._ends_stale = True  # asked again at the next poll
        try:
            position = self.consumer.position(tp, timeout_ms=0)
        except Exception:  # noqa: BLE001 - not assigned any more: nothing will come
            return True
        end = self._known_ends.get(tp) if self._ends_stale else self._ends.get(tp)
        if position is None or end is None:
            return None
        high = fetched_end(self.consumer, tp)  # the listed end can read low (embedded broker)
        if position < end or (high is not None and position < high):
            return False  # an older end is a lower bound: behind it is behind
        return None if self._ends_stale or high is None else True

    def _tick(self, unit: UnitTask, wall: float) -> None:
        """Ticks for quiet rooms under way (live only: a rebuild replays the log's ticks)."""
        if unit.clock is None or not unit.live():
            return
        for tick in unit.clock.due(wall):
            send = self.producer.publish(tick)
            self._outbox.append(_Outgoing(("tick", tick.event_id), send, ("", -1, -1)))
            self.stats.ticks += 1

    # ------------------------------------------------------------------ snapshots

    def _snapshot_due(self) -> None:
        now = time.monotonic()
        for unit in self.units.values():
            if self.policy.due(unit.events_since, now - unit.snapshot_wall):
                self._snapshot(unit)

    def _snapshot(self, unit: UnitTask) -> None:
        if not self.keeper.enabled or unit.events_since == 0:
            return
        try:
            state = unit.engine.export_state()
        except detectors.engine.StateError as exc:  # alerts not yet acknowledged
            log.debug("no snapshot of %s now: %s", unit.name, exc)
            return
        job = new_job(unit.name, unit.engine.version, unit.offsets(), state, unit.folded)
        if unit.released is not None:
            taken = unit.released.take()
            job.released = taken
            job.done = lambda ok, r=unit.released, t=taken: r.written(t, ok)
        self.keeper.save(job)
        unit.events_since = 0
        unit.snapshot_wall = time.monotonic()
        self.stats.snapshots += 1

    # ------------------------------------------------------------------ records

    def _handle(self, unit: UnitTask, tp: TopicPartition, item: Item, wall: float) -> None:
        rec = item.rec
        warming = unit.warming(tp, rec.offset)
        unit.position[tp] = unit.merge.position_after(tp, rec.offset)
        self.stats.records += 1
        event = item.event
        if event is None:
            if not warming:
                self._dead_letter(rec, item.error.describe())
            return
        unit.last_at[tp] = item.at
        if unit.clock is not None:
            unit.clock.observe(event, wall)
        try:
            out = unit.engine.compute(event)
        except Exception as exc:  # an engine bug must not stop the worker
            log.exception("engine failure on %s", event.event_id)
            if not warming:
                self._dead_letter(rec, f"engine failure: {exc.__class__.__name__}: {exc}", "engine")
            return
        if out.duplicate:
            self.stats.duplicates += 1
            return
        unit.events_since += 1
        unit.folded += 1
        if warming:  # published by an earlier owner
            unit.engine.mark_published(out.alerts)
            self.stats.rebuilt += 1
            return
        self.stats.events += 1
        self._publish(unit, rec, event, out)

    def _publish(self, unit: UnitTask, rec, event, out) -> None:
        """Send what folding `event` (record `rec`) gave: dead letters for failed
        detectors, alerts, derived sessions; all held until the broker confirms."""
        for failure in out.failures:
            log.error("%s (event %s)", failure.describe(), event.event_id)
            self.stats.detector_failures += 1
            self._dead_letter(rec, failure.describe(), f"detector:{failure.detector}"[:64])
        origin = _origin(rec)
        for alert in out.alerts:
            send = self.producer.send_alert(alert)
            self._outbox.append(_Outgoing(("alert", alert.alert_id), send, origin))
            self.stats.alerts += 1
        if out.alerts:
            self._computed.append((unit, out.alerts))
        for session in out.sessions:
            send = self.producer.publish(session, self.topics.sessions)
            self._outbox.append(_Outgoing(("session", session.event_id), send, origin))

    def _rejudge(self, rec, event) -> None:
        """A registry fact changed the registry: live units re-judge their projects."""
        for unit in self.units.values():
            if unit.kind != "events" or not unit.live():
                continue
            out = unit.engine.refold(event)
            self._publish(unit, rec, event, out)

    def _report_lag(self) -> None:
        if self.lag_sink is None or time.monotonic() - self._last_lag < 5:
            return
        self._last_lag = time.monotonic()
        from streams.lag import lag_rows

        try:
            self.lag_sink(lag_rows(self.consumer, self.group_id))
        except Exception:  # metrics must never stop detection
            log.exception("lag report failed")

    def stop(self) -> None:
        self.stop_event.set()

    def stopping(self) -> bool:
        return self.stop_event.is_set() or bool(self._until and self._until())

    def close(self) -> None:
        """Commit what was acknowledged (nothing more), snapshot every unit, then close."""
        delivered = True
        try:
            self.producer.flush()
        except DeliveryError as exc:
            delivered = False
            log.warning("%s at shutdown; those events are processed again on restart", exc)
        assigned = self.consumer.assignment()
        safe = {tp: om for tp, om in self._committable.items() if tp in assigned}
        if safe:
            try:
                self.consumer.commit(safe)
            except Exception:  # noqa: BLE001 - the async commits may have landed already
                log.debug("final commit failed", exc_info=True)
        if delivered and not self._computed:
            for unit in self.units.values():
                unit.engine.mark_published(())
                self._snapshot(unit)
            for table in self.tables():
                table.snapshot_due(force=True)
        self.keeper.close()
        self._closed_units.extend(self.units.values())
        self.units.clear()
        closers = [self.producer.close, self.consumer.close, self.documents.close]
        closers += [self.horizon.close] if self.horizon is not None else []
        closers += [table.close for table in self.tables()]
        for closer in closers:
            try:
                closer()
            except Exception:
                log.debug("close failed", exc_info=True)


def _item(rec) -> Item:
    try:
        event = parse_event(rec.value)
    except ContractError as exc:
        return Item(rec, None, exc)
    return Item(rec, event, None, event.ts.timestamp())

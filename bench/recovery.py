"""Recovery bench (issue 15): how long after a worker starts is the first alert for a new
event out, with 1x and 10x history, beside a full rebuild measured in the same run.

For each history size (a simulated trading centre of P and 10*P projects, frames
included) and each scenario, on its own topics of one broker:

- baseline: one detector worker and one cross-project worker with no snapshot, history
  and new events already in the log: the time to the first new alert is a full rebuild
  (what every restart cost before issue 15). Its final alerts are the reference;
- restart: a worker pair folds the history, stops (snapshots written), a new pair starts
  while new events arrive: snapshot load + catch-up + the first new alert;
- leave/join: two detector workers fold the history; one leaves, another joins as the
  new events arrive (cooperative rebalance: only the leaver's units move).

New events are projects whose two bidders pay their bonds from one account (REL-40-6).
Every scenario's final alerts (last version of each, content only) must equal the
baseline's; the bench prints it and exits 1 otherwise. The workers and each
deployment's recorder (whose ledger the workers read document texts from) run on
threads of this process, as `witness run --threads` runs them; the clock starts before
a worker is constructed (registry and corpus catch-up count). Targets (2 cores, embedded broker): 10x history <= 1.5x the 1x
recovery time, and <= 10 s.

    .venv/bin/python bench/recovery.py [--projects 20] [--scale 10] [--fresh 3]
        [--bootstrap HOST:PORT]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("WITNESS_KAFKA_SESSION_TIMEOUT_MS", "6000")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kafka import TopicPartition  # noqa: E402
from pipeline import workload  # noqa: E402

from detectors.sessions import SessionDeriver  # noqa: E402
from streams.broker import EmbeddedBroker  # noqa: E402
from streams.bus import Producer, ensure_topics, make_consumer, parse_alert  # noqa: E402
from streams.cross_worker import CrossProjectWorker  # noqa: E402
from streams.recorder import Recorder  # noqa: E402
from streams.topics import Topics  # noqa: E402
from streams.worker import DetectorWorker  # noqa: E402
from witness.alerts import Alert  # noqa: E402
from witness.config import Settings  # noqa: E402
from witness.events import Event, parse_event  # noqa: E402
from witness.simulator import Simulation  # noqa: E402
from witness.store import DetectorStateStore, Store  # noqa: E402

#: Ticks off: they follow the wall clock, and the scenarios compare alerts exactly.
SETTINGS = Settings(partitions=3, tick_seconds=0)


def history(projects: int, seed: int) -> list[Event]:
    return [parse_event(e) for e in Simulation(projects, seed, frame_interval=60).events()]


def fresh_events(projects: int, after: Event) -> list[Event]:
    """`projects` new projects (5 events each, REL-40-6 planted), dated after the history."""
    events = workload(projects * 5, f"N{uuid.uuid4().hex[:4]}")
    shift = after.ts + timedelta(hours=1) - events[0].ts
    return [e.model_copy(update={"ts": e.ts + shift}) for e in events]


def publish(bootstrap: str, topics: Topics, events: list[Event]) -> None:
    """Reference data first (every worker reads it whole before judging), then the room
    sessions the project events make, then the rest. Live, a room's frames may be judged
    before the worker reading its project has published the session they fall in (the
    cameras' and the network's race); the scenarios compare alerts exactly, so sessions
    are out first, as a worker that read the projects would have left them (the workers
    publish them again, same ids)."""
    deriver = SessionDeriver()
    sessions = [s for e in events if e.project_id != "*" for s in deriver.step(e)]
    producer = Producer(bootstrap, topics)
    for s in sessions:
        producer.publish(s, topics.sessions)
    for e in sorted(events, key=lambda e: e.type != "registry.relation"):
        producer.publish(e)
    producer.flush()
    producer.close()


def spawn(loop) -> tuple[threading.Thread, threading.Event]:
    """`loop.run` (a worker, the recorder) on a thread until the event is set."""
    stop = threading.Event()
    th = threading.Thread(target=loop.run, kwargs={"until": stop.is_set}, daemon=True)
    th.start()
    return th, stop


class Deployment:
    """One deployment's topics, store (snapshots, and the recorder's ledger the workers
    read document texts from) and its recorder, running on a thread throughout."""

    def __init__(self, bootstrap: str, name: str, work: Path, settings: Settings) -> None:
        self.topics = Topics(f"rec{name}{uuid.uuid4().hex[:6]}.")
        ensure_topics(bootstrap, self.topics, settings.partitions)
        url = f"sqlite:///{work}/{self.topics.prefix}db"
        self.settings = replace(settings, database_url=url)
        self.store = Store(url)
        self.state = DetectorStateStore(self.store.engine)
        self.recorder = Recorder(bootstrap, self.store, self.settings, self.topics)
        self._recording = spawn(self.recorder)

    def recorded(self, quiet_s: float = 1.5) -> None:
        """Wait until the recorder has stored what is on the topics (nothing new for a while)."""
        last, since = -1, time.monotonic()
        while time.monotonic() - since < quiet_s:
            n = self.store.count_events()
            if n != last:
                last, since = n, time.monotonic()
            time.sleep(0.2)

    def close(self) -> None:
        th, stop = self._recording
        stop.set()
        th.join(timeout=60)
        self.store.close()


class Running:
    """Workers on threads of this process, as `witness run` runs them."""

    def __init__(self, bootstrap: str, workers: list[DetectorWorker]) -> None:
        self.workers: list[DetectorWorker] = []
        self.threads: dict[int, tuple[threading.Thread, threading.Event]] = {}
        self.ends = make_consumer(bootstrap, None)  # end offsets, off the workers' consumers
        for w in workers:
            self.add(w)

    def add(self, worker: DetectorWorker) -> None:
        self.workers.append(worker)
        self.threads[id(worker)] = spawn(worker)

    def remove(self, worker: DetectorWorker) -> None:
        """Stop one worker (a clean stop: it snapshots its units and leaves the group)."""
        th, stop = self.threads.pop(id(worker))
        stop.set()
        th.join(timeout=120)
        self.workers.remove(worker)

    def stop(self) -> None:
        for w in list(self.workers):
            self.remove(w)
        self.ends.close()

    def caught_up(self, units: int) -> bool:
        """Every unit running, live, at its partitions' end, with nothing left to send."""
        running = [u for w in self.workers for u in list(w.units.values())]
        if len(running) < units or any(w._outbox or w._computed for w in self.workers):
            return False
        tps = [tp for u in running for tp in u.tps]
        end = self.ends.end_offsets(tps)
        return all(
            not u.merge.held() and all(u.position.get(tp, 0) >= end[tp] for tp in u.tps)
            for u in running
        )

    def describe(self) -> str:
        """Where each unit is (for a run that does not catch up)."""
        lines = []
        for i, w in enumerate(self.workers):
            lines.append(f"worker {i}: outbox {len(w._outbox)}, computed {len(w._computed)}")
            for u in list(w.units.values()):
                end = self.ends.end_offsets(u.tps)
                at = ", ".join(
                    f"{tp.topic}:{tp.partition} {u.position.get(tp)}/{end[tp]}" for tp in u.tps
                )
                lines.append(f"  {u.name}: held {u.merge.held()}, {at}")
        return "\n".join(lines)

    def wait(self, until, watch: AlertWatch | None = None, timeout: float = 300.0) -> float:
        """Seconds until `until()` holds."""
        t0 = time.monotonic()
        while not until():
            if time.monotonic() - t0 > timeout:
                raise SystemExit(f"not caught up in {timeout:.0f} s:\n{self.describe()}")
            if watch is not None:
                watch.poll(timeout_ms=50)
            else:
                time.sleep(0.05)
        return time.monotonic() - t0


class AlertWatch:
    """Reads the alerts topic as the workers write it: the last version of each alert,
    and when the first alert on one of `wanted` event ids was read."""

    def __init__(self, bootstrap: str, topics: Topics, fresh: list[Event]) -> None:
        self.consumer = make_consumer(bootstrap, None)
        parts = self.consumer.partitions_for_topic(topics.alerts) or {0}
        self.consumer.assign([TopicPartition(topics.alerts, p) for p in sorted(parts)])
        self.consumer.seek_to_beginning()
        self.final: dict[str, Alert] = {}
        self.wanted = {e.event_id for e in fresh}
        self.first_at: float | None = None

    def poll(self, timeout_ms: int = 0) -> None:
        for records in self.consumer.poll(timeout_ms=timeout_ms).values():
            for r in records:
                alert = parse_alert(r.value)
                self.final[alert.alert_id] = alert
                if self.first_at is None and self.wanted & set(alert.event_ids):
                    self.first_at = time.monotonic()

    def drain(self) -> dict[str, Alert]:
        """Everything on the topic (the workers have stopped), then close."""
        quiet = 0
        while quiet < 3:
            batch = self.consumer.poll(timeout_ms=300)
            quiet = 0 if batch else quiet + 1
            for records in batch.values():
                for r in records:
                    alert = parse_alert(r.value)
                    self.final[alert.alert_id] = alert
        self.consumer.close()
        return self.final


@dataclass
class Figures:
    fold_s: float = 0.0  # folding the history before the restart / rebalance
    first_alert_s: float = 0.0  # worker start -> first alert for a new event read
    live_s: float = 0.0  # worker start -> every unit caught up again
    from_snapshot: str = ""
    alerts: dict[str, Alert] | None = None


class Scenarios:
    def __init__(self, bootstrap: str, work: Path, settings: Settings) -> None:
        self.bootstrap = bootstrap
        self.work = work
        self.settings = settings

    def _pair(self, d: Deployment, detectors: int = 1) -> list[DetectorWorker]:
        group: list[DetectorWorker] = [
            DetectorWorker(
                self.bootstrap, d.settings, d.topics, state_store=d.state, history=d.store.events
            )
            for _ in range(detectors)
        ]
        return [
            *group,
            CrossProjectWorker(self.bootstrap, d.settings, d.topics, state_store=d.state),
        ]

    def _units(self) -> int:
        return 2 * self.settings.partitions + 1  # events + rooms per partition, one cross

    def baseline(self, hist: list[Event], fresh: list[Event]) -> Figures:
        """A full rebuild: nothing snapshotted, the new events already behind the history."""
        d = Deployment(self.bootstrap, "base", self.work, self.settings)
        publish(self.bootstrap, d.topics, hist + fresh)
        d.recorded()  # the ledger holds the texts the detectors look up
        watch = AlertWatch(self.bootstrap, d.topics, fresh)
        t0 = time.monotonic()
        run = Running(self.bootstrap, self._pair(d))
        out = Figures(from_snapshot="no")
        try:
            run.wait(lambda: watch.first_at is not None, watch)
            out.first_alert_s = watch.first_at - t0
            run.wait(lambda: run.caught_up(self._units()), watch)
            out.live_s = time.monotonic() - t0
        finally:
            run.stop()
            d.close()
        out.alerts = watch.drain()
        return out

    def restart(self, hist: list[Event], fresh: list[Event]) -> Figures:
        """Fold the history, stop (snapshots written), start again as new events arrive."""
        d = Deployment(self.bootstrap, "restart", self.work, self.settings)
        publish(self.bootstrap, d.topics, hist)
        out = Figures()
        run = Running(self.bootstrap, self._pair(d))
        try:
            out.fold_s = run.wait(lambda: run.caught_up(self._units()))
            d.recorded()
        finally:
            run.stop()  # a clean stop: every unit snapshotted
        watch = AlertWatch(self.bootstrap, d.topics, fresh)
        t0 = time.monotonic()
        publish(self.bootstrap, d.topics, fresh)
        second = self._pair(d)
        run = Running(self.bootstrap, second)
        try:
            run.wait(lambda: watch.first_at is not None, watch)
            out.first_alert_s = watch.first_at - t0
            run.wait(lambda: run.caught_up(self._units()), watch)
            out.live_s = time.monotonic() - t0
            started = sum(w.stats.units_started for w in second)
            loaded = sum(w.stats.units_from_snapshot for w in second)
            out.from_snapshot = f"{loaded}/{started} units"
        finally:
            run.stop()
            d.close()
        out.alerts = watch.drain()
        return out

    def leave_join(self, hist: list[Event], fresh: list[Event]) -> Figures:
        """Two detector workers fold the history; one leaves, one joins as new events come."""
        d = Deployment(self.bootstrap, "rebalance", self.work, self.settings)
        publish(self.bootstrap, d.topics, hist)
        out = Figures()
        run = Running(self.bootstrap, self._pair(d, detectors=2))
        watch = AlertWatch(self.bootstrap, d.topics, fresh)
        try:
            out.fold_s = run.wait(lambda: run.caught_up(self._units()))
            d.recorded()
            run.remove(run.workers[0])  # leaves the group (its units snapshotted)
            t0 = time.monotonic()
            publish(self.bootstrap, d.topics, fresh)
            joiner = DetectorWorker(
                self.bootstrap, d.settings, d.topics, state_store=d.state, history=d.store.events
            )
            run.add(joiner)
            run.wait(lambda: watch.first_at is not None, watch)
            out.first_alert_s = watch.first_at - t0
            run.wait(lambda: run.caught_up(self._units()) and bool(joiner.units), watch)
            out.live_s = time.monotonic() - t0
            out.from_snapshot = (
                f"joiner {joiner.stats.units_from_snapshot}/{joiner.stats.units_started} units"
            )
        finally:
            run.stop()
            d.close()
        out.alerts = watch.drain()
        return out


def difference(alerts: dict[str, Alert], reference: dict[str, Alert]) -> str:
    """Which rules' alerts differ from the reference (content compared)."""
    ours, theirs = content(alerts), content(reference)
    rules: dict[str, list[int]] = {}
    for a in alerts.values():
        if a.content_key() not in theirs:
            rules.setdefault(a.rule, [0, 0])[0] += 1
    for a in reference.values():
        if a.content_key() not in ours:
            rules.setdefault(a.rule, [0, 0])[1] += 1
    return ", ".join(f"{rule} +{n}/-{m}" for rule, (n, m) in sorted(rules.items()))


def content(alerts: dict[str, Alert]) -> set[str]:
    return {a.content_key() for a in alerts.values()}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--projects", type=int, default=20, help="projects of the 1x history")
    ap.add_argument("--scale", type=int, default=10, help="the large history is this many times")
    ap.add_argument("--fresh", type=int, default=3, help="new projects after the restart")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--snapshot-events", type=int, default=10_000, help="snapshot every N events")
    ap.add_argument("--bootstrap", help="an existing broker instead of the embedded one")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the broker on the way out
    settings = replace(SETTINGS, snapshot_every_events=args.snapshot_events)
    broker = None if args.bootstrap else EmbeddedBroker().start()
    bootstrap = args.bootstrap or broker.bootstrap
    work = Path(tempfile.mkdtemp(prefix="witness-recovery-"))
    scenarios = Scenarios(bootstrap, work, settings)
    rows: dict[str, dict[str, Figures]] = {}
    sizes: dict[str, str] = {}
    t_all = time.monotonic()
    try:
        for label, projects in (
            ("1x", args.projects),
            (f"{args.scale}x", args.projects * args.scale),
        ):
            t = time.monotonic()
            hist = history(projects, args.seed)
            fresh = fresh_events(args.fresh, max(hist, key=lambda e: e.ts))
            frames = sum(1 for e in hist if e.type.startswith("frame."))
            sizes[label] = (
                f"{projects} projects, {len(hist)} events ({frames} frames), "
                f"simulated in {time.monotonic() - t:.0f} s"
            )
            print(f"{label}: {sizes[label]}", flush=True)
            rows[label] = {
                "baseline (full rebuild)": scenarios.baseline(hist, fresh),
                "restart from snapshots": scenarios.restart(hist, fresh),
                "one leaves, one joins": scenarios.leave_join(hist, fresh),
            }
            for name, f in rows[label].items():
                print(f"  {name}: first alert {f.first_alert_s:.2f} s", flush=True)
    finally:
        if broker is not None:
            broker.stop()
    return report(rows, sizes, args, broker is not None, time.monotonic() - t_all)


def report(rows, sizes, args, embedded: bool, elapsed: float) -> int:
    small, large = rows
    print(
        f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; broker "
        f"{'embedded' if embedded else args.bootstrap}; bench {elapsed:.0f} s; peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    for label, size in sizes.items():
        print(f"history {label}: {size}")
    head = f"{'':26}{'':>8}{'fold history':>14}{'first alert':>13}{'all live':>10}  snapshots"
    print(head)
    ok = True
    reference = {label: r["baseline (full rebuild)"].alerts for label, r in rows.items()}
    for label, by_name in rows.items():
        for name, f in by_name.items():
            same = content(f.alerts) == content(reference[label])
            ok &= same
            print(
                f"{name:26}{label:>8}{f.fold_s:>13.1f}s{f.first_alert_s:>12.2f}s"
                f"{f.live_s:>9.2f}s  {f.from_snapshot}"
                f"  alerts {len(f.alerts)} "
                + ("= baseline" if same else f"DIFFER: {difference(f.alerts, reference[label])}")
            )
    for name in rows[small]:
        if name.startswith("baseline"):
            continue
        # After a rebalance the first new alert may come from the worker that stayed (its
        # units never stopped): the units that moved are back when all are live.
        what = "all-live" if name.startswith("one leaves") else "first-alert"
        pick = (lambda f: f.live_s) if what == "all-live" else (lambda f: f.first_alert_s)
        a, b = pick(rows[small][name]), pick(rows[large][name])
        met = b <= 1.5 * a and b <= 10
        print(
            f"{name}: {large}/{small} {what} time {b / a:.2f} (target <= 1.5), "
            f"{large} {b:.2f} s (target <= 10 s): {'met' if met else 'MISSED'}"
        )
    base = rows[large]["baseline (full rebuild)"].first_alert_s
    rest = rows[large]["restart from snapshots"].first_alert_s
    print(f"{large}: restart from snapshots {base / rest:.0f}x faster than a full rebuild")
    print(f"alerts identical to the uninterrupted baseline in every scenario: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""What the streams tests share.

- recovery and scale-out: a simulated day, workers driven in one thread, and the alerts
  a run left on the alerts topic;
- faults on demand: a TCP proxy that can refuse connections, a store that fails writes;
- the fault suite: a workload and a stream driven through `witness ingest` +
  `witness run` (the database proxy is `TcpProxy`).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from sqlalchemy.exc import OperationalError

from detectors.sessions import SessionDeriver
from streams.bus import Producer, parse_alert
from streams.cross_worker import CrossProjectWorker
from streams.worker import DetectorWorker
from tests.support.pipeline_run import (
    bond_project,
    cli_env,
    read_topic,
    start_witness,
    witness,
    write_jsonl,
)
from tests.support.relation_events import bid, relation
from witness.alerts import Alert
from witness.config import Settings
from witness.events import FRAME_TYPES, Event, make_event, parse_event
from witness.simulator import Simulation
from witness.store import Store

#: Ticks off: they follow the wall clock, and these runs compare alerts exactly.
SETTINGS = Settings(partitions=3, tick_seconds=0, snapshot_every_events=400)


@lru_cache(maxsize=1)
def day() -> tuple[Event, ...]:
    """12 projects with planted misconduct of every family (REL-RING too), frames every 30 s."""
    return tuple(parse_event(e) for e in Simulation(12, 3, frame_interval=30).events())


def project_part(events) -> list[Event]:
    return [e for e in events if e.type not in FRAME_TYPES]


def frame_part(events) -> list[Event]:
    return [e for e in events if e.type in FRAME_TYPES]


def publish(bootstrap: str, topics, events, **kw) -> None:
    producer = Producer(bootstrap, topics)
    for e in events:
        producer.publish(e, **kw)
    producer.flush()
    producer.close()


def workers(bootstrap, topics, n: int, store=None, settings: Settings = SETTINGS, cross: int = 1):
    """`n` per-project workers and `cross` cross-project workers of one deployment."""
    out: list[DetectorWorker] = [
        DetectorWorker(bootstrap, settings, topics, state_store=store) for _ in range(n)
    ]
    out += [
        CrossProjectWorker(bootstrap, settings, topics, state_store=store) for _ in range(cross)
    ]
    return out


def settled(group: list[DetectorWorker], partitions: int = 3) -> bool:
    """Every unit is running somewhere and has folded everything on its partitions."""
    detectors_ = [w for w in group if not isinstance(w, CrossProjectWorker)]
    cross = [w for w in group if isinstance(w, CrossProjectWorker)]
    if detectors_ and sum(len(w.units) for w in detectors_) < 2 * partitions:
        return False
    if cross and sum(len(w.units) for w in cross) != 1:
        return False
    for w in group:
        if w._outbox or w._computed:
            return False
        for unit in w.units.values():
            if unit.merge.held():
                return False
            end = w.consumer.end_offsets(unit.tps)
            if any(unit.position.get(tp, 0) < end[tp] for tp in unit.tps):
                return False
    return True


#: Each worker's poll in `drive`. kafka-python restarts a group join that its poll
#: timeout cuts short; with four members polled at 50 ms in one thread the group never
#: formed (every join restarted, each restart paying the broker's rebalance delay).
DRIVE_POLL_MS = 200


def drive(group: list[DetectorWorker], until, timeout: float = 180.0) -> bool:
    """Poll every worker in turn (one thread) until `until()`; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for w in group:
            w.poll_once(timeout_ms=DRIVE_POLL_MS)
        if until():
            # a last round: what a settled unit published (sessions) is read too
            for _ in range(3):
                for w in group:
                    w.poll_once(timeout_ms=DRIVE_POLL_MS)
            if until():
                return True
    return False


def sessions_of(events) -> list[Event]:
    """The room sessions the workers derive from the project events."""
    deriver = SessionDeriver()
    return [s for e in events if e.project_id != "*" for s in deriver.step(e)]


def publish_sessions(bootstrap: str, topics, events) -> None:
    """The day's room sessions on their topic before any frame is judged. Live, a room's
    frames may be judged before the worker reading the project has published the
    session they fall in (that race is the cameras' and the network's); these runs
    compare alerts exactly, so the sessions are out first, as a worker that already read
    the projects would have left them. The workers publish them again (same ids)."""
    producer = Producer(bootstrap, topics)
    for s in sessions_of(events):
        producer.publish(s, topics.sessions)
    producer.flush()
    producer.close()


def run_day(bootstrap, topics, group, events, timeout: float = 240.0) -> None:
    publish_sessions(bootstrap, topics, events)
    publish(bootstrap, topics, project_part(events))
    publish(bootstrap, topics, frame_part(events))
    assert drive(group, lambda: settled(group), timeout), "the day was not folded in time"


def moment(events, fraction: float):
    """The event time `fraction` of the way through `events`."""
    return events[int(len(events) * fraction)].ts


def publish_between(bootstrap: str, topics, events, lo=None, hi=None) -> int:
    """The part of the day in [lo, hi) of event time, as it would have arrived by then:
    the sessions first (see `publish_sessions`), then project events, then frames. The
    whole registry comes with the first part (it is reference data every worker reads
    first; late facts re-judged on arrival would make the run depend on poll timing).
    Returns how many records the units will fold (registry facts and sessions aside)."""

    def inside(ts) -> bool:
        return (lo is None or ts >= lo) and (hi is None or ts < hi)

    producer = Producer(bootstrap, topics)
    for s in sessions_of(events):
        if inside(s.ts):
            producer.publish(s, topics.sessions)
    registry = [e for e in events if e.type == "registry.relation"] if lo is None else []
    part = [e for e in events if inside(e.ts) and e.type != "registry.relation"]
    for e in registry + project_part(part) + frame_part(part):
        producer.publish(e)
    producer.flush()
    producer.close()
    return sum(1 for e in part if e.type != "registry.relation")


def expected(phases: list[list[Event]], cross: bool = True) -> set[str]:
    """What the workers must raise for a day published in `phases`, each read before the
    next was written: replay, with reference data as the workers hold it. The registry
    (all in the first phase) is known before any bid. The document corpus is read as the
    workers read it (every document of the phase, every partition, before they judge a
    record of it), but a judgement counts only the documents before its event in event
    time, and its own (detectors/corpus_timeline.py): so DOC-40-4 counts what replay
    counts. The cross-project rules count their own corpus in event order, like their
    worker."""
    from detectors import Context, Engine, cross_project_detectors, project_detectors
    from detectors.base import EventDocumentTexts
    from detectors.neardup import Params, corpus_shape

    ctx = Context(documents=EventDocumentTexts())
    per_project = Engine(project_detectors(), ctx, count_documents=False)
    across = Engine(cross_project_detectors(), Context(documents=EventDocumentTexts()))
    shape = corpus_shape(ctx.thresholds.typed(Params))
    for e in (e for phase in phases for e in phase if e.type == "registry.relation"):
        ctx.registry.add(e.payload)
    runs: list[list[Alert]] = []
    for phase in phases:
        for e in phase:
            if e.type == "document.submitted":
                ctx.documents.observe(e)
                ctx.corpus.add(e.payload.text, shape, ts=e.ts, key=e.event_id)
        for e in phase:
            if e.type == "registry.relation":
                continue
            runs.append(per_project.process(e).alerts)
            if cross and e.type not in FRAME_TYPES:
                runs.append(across.process(e).alerts)
    final: dict[str, Alert] = {}
    for run in runs:
        for a in run:
            final[a.alert_id] = a
    return content(final)


def phases_at(events, *cuts) -> list[list[Event]]:
    """The day split at event times `cuts` (as `publish_between` publishes it)."""
    bounds = [None, *cuts, None]
    return [
        [e for e in events if (lo is None or e.ts >= lo) and (hi is None or e.ts < hi)]
        for lo, hi in zip(bounds, bounds[1:], strict=False)
    ]


def final_alerts(bootstrap: str, topics) -> dict[str, Alert]:
    """The last version of each alert on the alerts topic."""
    out: dict[str, Alert] = {}
    for rec in read_topic(bootstrap, topics.alerts):
        alert = parse_alert(rec.value)
        out[alert.alert_id] = alert
    return out


def content(alerts) -> set[str]:
    values = alerts.values() if isinstance(alerts, dict) else alerts
    return {a.content_key() for a in values}


def close_all(group) -> None:
    for w in group:
        with contextlib.suppress(Exception):  # closing what is left after a failure
            w.close()


def with_settings(**kw) -> Settings:
    return replace(SETTINGS, **kw)


class TcpProxy:
    """127.0.0.1:`port` forwarded to `target`. `refuse()` cuts every connection and
    refuses new ones (as a database that went down); `accept()` lets them through again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        from streams.broker import free_port

        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def accept(self) -> TcpProxy:
        with self._lock:
            if self._listener is not None:
                return self
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self._listener = listener
        threading.Thread(target=self._serve, args=(listener,), daemon=True).start()
        return self

    def refuse(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._open = self._open, []
        if listener is not None:
            listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    close = refuse

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # refused: the listener was closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def pg_via(proxy: TcpProxy, url: str) -> str:
    """`url` (postgresql://user@host:port/db) pointed at the proxy instead."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


class FailingWrites:
    """Makes `store.write` raise as a database outage while `down()` says so."""

    def __init__(self, store, down: Callable[[], bool]) -> None:
        self.store, self.down = store, down
        self.failed = 0
        self._write = store.write
        store.write = self._maybe_fail

    def _maybe_fail(self, *args, **kw):
        if self.down():
            self.failed += 1
            raise OperationalError("INSERT ...", {}, ConnectionRefusedError("injected outage"))
        return self._write(*args, **kw)


def workload(bond_projects: int, shared_rep_projects: int) -> tuple[list[Event], list[Event]]:
    """(registry facts, project events). Every third bond project pays two bonds from one
    account (REL-40-6). Each shared-rep project has two bidders whose only link is that one
    person is legal representative of both in the registry (REL-34): two facts with the same
    `a`, exactly what a key of `a` alone loses to compaction."""
    facts, events = [], []
    for p in range(bond_projects):
        accounts = ["dup", "dup", "x", "y"] if p % 3 == 0 else ["a", "b", "c", "d"]
        events += bond_project(f"JY-B{p:04d}", accounts)
    for p in range(shared_rep_projects):
        project, person = f"JY-R{p:04d}", f"P-{p:04d}"
        a, b, c = (f"{project}-C{i}" for i in range(3))
        facts += [relation(person, a, "legal_rep"), relation(person, b, "legal_rep")]
        events.append(
            make_event(
                "project.registered",
                project,
                "2026-11-20T08:00:00+08:00",
                {"name": f"房建工程{project}", "rooms": []},
                event_id=f"{project}-reg",
            )
        )
        events += [bid(project, x, n=i, account=f"{x}-acct") for i, x in enumerate((a, b, c))]
    return facts, events


def chunks(events: list[Event], n: int) -> list[list[Event]]:
    """`n` slices keeping each project's events in order (whole projects per slice)."""
    by_project: dict[str, list[Event]] = {}
    for e in events:
        by_project.setdefault(e.project_id, []).append(e)
    out: list[list[Event]] = [[] for _ in range(n)]
    for i, evs in enumerate(by_project.values()):
        out[i % n].extend(evs)
    return [c for c in out if c]


class Stream:
    """`witness run` plus a feeder thread that ingests slices one after another, so the
    stream lasts long enough for a fault to land in the middle of it.

    Faults are injected from the test's (main) thread: brokers started there stay alive."""

    def __init__(self, bootstrap: str, db_url: str, prefix: str, tmp_path: Path, **env: str):
        self.env = cli_env(bootstrap, db_url, prefix, **env)
        self.tmp_path = tmp_path
        self.runner = None
        self.logs: list[Path] = []
        self._output = None
        self.feeder: threading.Thread | None = None
        self.ingest_failures: list[str] = []

    def run(self) -> None:
        """Start `witness run`, its output to a file of its own (`logs`): under a fault its
        three processes log for minutes, more than a pipe read only at `stop` holds."""
        path = self.tmp_path / f"witness-run-{len(self.logs)}.log"
        self.logs.append(path)
        self._output = path.open("wb")
        self.runner = start_witness("run", env=self.env, output=self._output)

    def ingest(self, events: list[Event], name: str = "batch") -> None:
        """Ingest now, in this thread; a failed ingest is noted, not raised."""
        path = write_jsonl(self.tmp_path / f"{name}.jsonl", events)
        done = witness("ingest", str(path), "--no-progress", env=self.env, timeout=300)
        if done.returncode != 0:
            self.ingest_failures.append(f"{name}: exit {done.returncode}: {done.stderr[-800:]!r}")

    def feed(self, slices: list[list[Event]], pause: float = 0.3) -> None:
        def target() -> None:
            for i, part in enumerate(slices):
                self.ingest(part, f"slice-{i}")
                time.sleep(pause)

        self.feeder = threading.Thread(target=target, daemon=True)
        self.feeder.start()

    def wait_fed(self, timeout: float = 300) -> None:
        if self.feeder is not None:
            self.feeder.join(timeout)
            assert not self.feeder.is_alive(), "ingest did not finish"

    def alive(self) -> bool:
        return self.runner is not None and self.runner.poll() is None

    def kill(self) -> None:
        self.runner.send_signal(signal.SIGKILL)
        self.runner.wait(timeout=30)

    def wait_stored(self, store: Store, count: int, timeout: float = 180) -> None:
        """Until the store holds more than `count` events; fails at once, with its stderr,
        if `witness run` died on the way."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if store.count_events() > count:
                return
            if not self.alive():
                code, err = self.stop()
                raise AssertionError(f"`witness run` died (exit {code}):\n{err}")
            time.sleep(0.2)
        raise AssertionError(f"fewer than {count} events stored after {timeout:.0f}s")

    def stop(self) -> tuple[int, str]:
        """SIGTERM `witness run`; its exit code and the tail of its output."""
        if self.runner is None or self._output is None or self._output.closed:
            return (self.runner.returncode if self.runner else 0), ""
        if self.runner.poll() is None:
            self.runner.send_signal(signal.SIGTERM)
        try:
            self.runner.wait(timeout=90)
        except Exception:
            self.runner.kill()
            self.runner.wait(timeout=30)
        self._output.close()
        return self.runner.returncode, self.output()[-3000:]

    def output(self) -> str:
        """What the latest `witness run` wrote so far (stdout and stderr)."""
        return self.logs[-1].read_bytes().decode("utf-8", "replace") if self.logs else ""


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False

"""Fault-suite helpers: a workload and a stream driven through `witness ingest` +
`witness run` (the database proxy is `helpers_faults.TcpProxy`)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from helpers_pipeline import bond_project, cli_env, start_witness, witness, write_jsonl
from helpers_relations import bid, relation

from witness.events import Event, make_event
from witness.store import Store


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
        self.feeder: threading.Thread | None = None
        self.ingest_failures: list[str] = []

    def run(self) -> None:
        self.runner = start_witness("run", env=self.env)

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
        """SIGTERM `witness run`; its exit code and the tail of its stderr."""
        if self.runner is None or self.runner.stdout.closed:
            return (self.runner.returncode if self.runner else 0), ""
        if self.runner.poll() is None:
            self.runner.send_signal(signal.SIGTERM)
        try:
            _, err = self.runner.communicate(timeout=90)
        except Exception:
            self.runner.kill()
            _, err = self.runner.communicate(timeout=30)
        return self.runner.returncode, err.decode("utf-8", "replace")[-3000:]


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False

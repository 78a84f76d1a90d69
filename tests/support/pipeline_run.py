"""Helpers for pipeline tests: sample events, subprocess CLI runs, topic readers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from kafka import TopicPartition

from streams.bus import make_consumer
from witness.events import make_event

ROOT = Path(__file__).resolve().parents[2]


def bond_project(project_id: str, accounts: list[str], *, t0: str = "2026-11-20T09:00:00+08:00"):
    """A project whose bids pay bonds from `accounts` (equal accounts -> REL-40-6)."""
    evs = [
        make_event(
            "project.registered",
            project_id,
            "2026-11-20T08:00:00+08:00",
            {
                "name": f"道路工程{project_id}",
                "rooms": [{"room_id": f"{project_id}-R1", "kind": "opening"}],
            },
            event_id=f"{project_id}-reg",
        )
    ]
    for i, acct in enumerate(accounts):
        evs.append(
            make_event(
                "bid.submitted",
                project_id,
                t0.replace("09:00:00", f"09:{i // 60:02d}:{i % 60:02d}"),
                {
                    "bidder": {"id": f"{project_id}-B{i}", "name": f"投标人{i}有限公司"},
                    "price": 1_000_000 + 1000 * i,
                    "bond": {"payer_account": acct, "payer_name": f"付款人{i}"},
                },
                event_id=f"{project_id}-bid-{i}",
            )
        )
    return evs


def write_jsonl(path: Path, events) -> Path:
    path.write_text("".join(e.to_json() + "\n" for e in events), encoding="utf-8")
    return path


def cli_env(bootstrap: str, db_url: str, prefix: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "WITNESS_KAFKA_BOOTSTRAP": bootstrap,
            "WITNESS_DATABASE_URL": db_url,
            "WITNESS_TOPIC_PREFIX": prefix,
            "WITNESS_KAFKA_SESSION_TIMEOUT_MS": "2000",
        }
    )
    env.update(extra)
    return env


def witness(
    *args: str, env: dict[str, str], timeout: float = 120, **kw
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "witness.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=timeout,
        **kw,
    )


def start_witness(*args: str, env: dict[str, str], output=None) -> subprocess.Popen:
    """A `witness` command in the background; it dies with the test run (no orphans
    spinning against a broker that is gone). Its output goes to pipes, or to `output` (an
    open file) for a long run that logs a lot: nobody reads a pipe until the end, and a
    full pipe (64 KiB) blocks every process writing a log line to it."""
    from streams.broker import die_with_parent

    return subprocess.Popen(
        [sys.executable, "-m", "witness.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE if output is None else output,
        stderr=subprocess.PIPE if output is None else output,
        preexec_fn=die_with_parent,
    )


def read_topic(bootstrap: str, topic: str, *, expect: int | None = None, timeout: float = 30):
    """Every record of `topic` (all partitions, from the start), waiting for `expect` of them."""
    consumer = make_consumer(bootstrap, None)
    try:
        deadline = time.monotonic() + timeout
        parts = None
        while parts is None and time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(topic)
            if parts is None:
                time.sleep(0.2)
        if not parts:
            return []
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(tps)
        out = []
        while time.monotonic() < deadline:
            got = [r for records in consumer.poll(timeout_ms=300).values() for r in records]
            out.extend(got)
            if expect is not None:
                if len(out) >= expect:
                    break
                continue
            # At the end offsets asked at the start, and a poll with nothing more (the
            # embedded broker's end offsets read low). A quiet poll alone is not enough:
            # Apache Kafka's first fetch can take longer than one.
            at_end = all(consumer.position(tp) >= ends[tp] for tp in tps)
            if at_end and not got:
                break
        return out
    finally:
        consumer.close()


def wait_for(predicate, timeout: float = 60, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def alerts_json(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]

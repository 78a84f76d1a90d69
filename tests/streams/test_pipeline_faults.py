"""Fault tests: hostile input never stops a worker or loses a good event; kill -9 loses
and duplicates nothing."""

from __future__ import annotations

import json
import random
import signal
import threading

import pytest

from detectors.offline import replay
from streams.bus import Producer
from tests.support.pipeline_run import (
    bond_project,
    cli_env,
    start_witness,
    wait_for,
    witness,
    write_jsonl,
)
from witness.store import Store

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def _hostile_lines(n: int, rng: random.Random) -> list[bytes]:
    good = json.loads(bond_project("X", ["1", "2"])[1].to_json())
    makers = [
        lambda i: b'{"event_id": "bad-%d", "type": ' % i,  # truncated JSON
        lambda i: json.dumps(
            {**good, "event_id": f"bad-{i}", "payload": {**good["payload"], "price": "cheap"}}
        ).encode(),
        lambda i: json.dumps({**good, "event_id": f"bad-{i}", "type": "bid.withdrawn"}).encode(),
        lambda i: json.dumps({**good, "event_id": f"bad-{i}", "ts": "yesterday"}).encode(),
        lambda i: json.dumps(
            {**good, "event_id": f"bad-{i}", "ts": "2026-11-20T09:00:00"}
        ).encode(),  # no offset
        lambda i: json.dumps(
            {
                **good,
                "event_id": f"bad-{i}",
                "payload": {**good["payload"], "bidder": {"id": "A", "name": "名" * 5_000}},
            },
            ensure_ascii=False,
        ).encode(),  # huge field
        lambda i: (
            json.dumps({**good, "event_id": f"bad-{i}"}, ensure_ascii=False)
            .encode("utf-8")
            .replace(b"\xe6", b"\xff")
            + "投标人".encode("gbk")
        ),  # wrong encoding
        lambda i: b"[1, 2, 3]",
        lambda i: b"null",
        lambda i: b"[" * 5_000,  # deep nesting (past the JSON recursion limit)
        lambda i: json.dumps(
            {**good, "event_id": f"bad-{i}", "payload": None, "type": "score.submitted"}
        ).encode(),
        lambda i: json.dumps({**good, "event_id": f"bad-{i}", "extra_field": 1}).encode(),
        lambda i: json.dumps(
            {
                **good,
                "event_id": f"bad-{i}",
                "project_id": "P",
                "type": "registry.relation",
                "payload": {"a": "1", "b": "2", "kind": "kinship"},
            }
        ).encode(),  # must be '*'
    ]
    return [rng.choice(makers)(i) for i in range(n)]


def test_hostile_input_is_dead_lettered_and_good_events_survive(
    any_broker, topics, db_url, tmp_path
):
    broker = any_broker
    rng = random.Random(7)
    good = []
    for p in range(40):
        accounts = ["same", "same", "other"] if p % 2 == 0 else ["a", "b", "c"]
        good += bond_project(f"JY-F{p:03d}", accounts)
    lines = [e.to_json().encode() for e in good]
    bad = _hostile_lines(1000, rng)
    # Bad lines at random places; good lines keep their order (one project's history is ordered).
    slots = sorted(rng.sample(range(len(lines) + len(bad)), len(bad)))
    mixed, good_iter, bad_iter = [], iter(lines), iter(bad)
    for i in range(len(lines) + len(bad)):
        mixed.append(
            next(bad_iter)
            if slots and i == slots[0] and slots.pop(0) is not None
            else next(good_iter)
        )
    mixed.append(b"{" + b'"x":' + b'"' + b"y" * (9 * 1024 * 1024) + b'"}')  # over the size limit
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(b"\n".join(mixed) + b"\n")
    env = cli_env(broker, db_url, topics.prefix)

    ingest = witness("ingest", str(src), "--no-progress", env=env, timeout=180)
    assert ingest.returncode == 1  # some lines rejected, the rest published
    stderr = ingest.stderr.decode()
    assert "1001" in stderr.splitlines()[-1]  # the summary counts every rejected line
    assert "line" in stderr or "行" in stderr

    # Hostile bytes written straight to the events topic (bypassing ingest) reach the worker.
    producer = Producer(broker, topics)
    for raw in bad[:50]:
        producer.send_raw(topics.events, b"k", raw)
    producer.flush()
    producer.close()

    runner = start_witness("run", env=env)
    try:
        store = Store(db_url)
        with store.session() as s:
            from sqlalchemy import func, select

            from witness.store.models import DeadLetter

            def dead_count() -> int:
                return s.execute(select(func.count()).select_from(DeadLetter)).scalar_one()

            # stored events say nothing of alerts still being judged: wait for both
            want = len(replay(good))
            assert wait_for(
                lambda: (
                    store.count_events() == len(good)
                    and dead_count() == 1051
                    and len(store.alert_models()) >= want
                ),
                timeout=120,
            )
            assert runner.poll() is None, "the worker must still be up"
            rows = s.execute(select(DeadLetter)).scalars().all()
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.communicate(timeout=60)
    assert all(r.error for r in rows)
    from_file = [r for r in rows if r.topic.startswith("file:")]
    from_topic = [r for r in rows if r.topic == topics.events]
    assert len(from_file) == 1001 and len(from_topic) == 50
    good_lines = set(lines)
    assert {r.offset for r in from_file} == {
        i + 1 for i, line in enumerate(mixed) if line not in good_lines
    }
    reasons = " ".join(r.error for r in from_file)
    for needle in (
        "not valid JSON",
        "unknown event type",
        "not UTF-8",
        "field payload.price",
        "over the",
        "project_id",
    ):
        assert needle in reasons, needle
    huge = [r for r in from_file if r.raw_size > 8 * 1024 * 1024]
    assert huge == [] or all(r.raw_size >= 512 * 1024 for r in huge)
    expected = replay(good)
    assert {a.content_key() for a in store.alert_models()} == {a.content_key() for a in expected}
    assert sum(a.rule == "REL-40-6" for a in expected) == 20


def test_kill_9_mid_stream_loses_and_duplicates_nothing(any_broker, topics, db_url, tmp_path):
    broker = any_broker
    events = []
    for p in range(1500):
        accounts = ["dup", "dup", "x", "y"] if p % 3 == 0 else ["a", "b", "c", "d"]
        events += bond_project(f"JY-K{p:04d}", accounts)
    src = write_jsonl(tmp_path / "stream.jsonl", events)
    env = cli_env(broker, db_url, topics.prefix)
    store = Store(db_url)

    runner = start_witness("run", env=env)
    ingest_done = threading.Event()

    def ingest() -> None:
        witness("ingest", str(src), "--no-progress", env=env, timeout=300)
        ingest_done.set()

    feeder = threading.Thread(target=ingest)
    feeder.start()
    try:
        assert wait_for(
            lambda: store.count_events() > len(events) // 10, timeout=120, interval=0.05
        )
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=30)
        partial = store.count_events()
        assert partial < len(events), "the kill must land mid-stream"
        feeder.join(timeout=300)
        assert ingest_done.is_set()
        runner = start_witness("run", env=env)
        expected = replay(events)
        assert wait_for(
            lambda: store.count_events() == len(events) and len(store.alerts()) >= len(expected),
            timeout=180,
        )
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.communicate(timeout=60)
    stored = store.alert_models()
    assert len(stored) == len(expected)
    assert sum(a.rule == "REL-40-6" for a in stored) == 500
    assert {a.content_key() for a in stored} == {a.content_key() for a in expected}
    assert len({e.event_id for e in store.events()}) == len(events)
    for project in ("JY-K0000", "JY-K0750", "JY-K1499"):
        assert store.verify_chain(project) is None

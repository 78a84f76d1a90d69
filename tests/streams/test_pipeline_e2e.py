"""End to end through a real broker and a real database: ingest -> run -> store and topic.

`witness replay` on the same file must give the identical alert set.
"""

from __future__ import annotations

import signal

import pytest

from streams.bus import parse_alert
from tests.support.pipeline_run import (
    alerts_json,
    bond_project,
    cli_env,
    read_topic,
    start_witness,
    wait_for,
    witness,
    write_jsonl,
)
from witness.store import Store

pytestmark = [pytest.mark.broker]


def test_ingest_run_store_and_replay_agree(any_broker, topics, db_url, tmp_path):
    broker = any_broker
    events = bond_project("JY-E2E-1", ["6222 0001", "6222-0001", "7777"]) + bond_project(
        "JY-E2E-2", ["1", "2", "3"]
    )
    src = write_jsonl(tmp_path / "events.jsonl", events)
    env = cli_env(broker, db_url, topics.prefix)

    ingest = witness("ingest", str(src), "--no-progress", env=env)
    assert ingest.returncode == 0, ingest.stderr.decode()

    runner = start_witness("run", env=env)
    try:
        store = Store(db_url)
        assert wait_for(
            lambda: len(store.alerts()) >= 1 and store.count_events() == len(events), timeout=60
        )
    finally:
        runner.send_signal(signal.SIGTERM)
        out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err.decode()

    stored = store.alert_models()
    assert [(a.rule, a.project_id, a.subjects) for a in stored] == [
        ("REL-40-6", "JY-E2E-1", ["JY-E2E-1-B0", "JY-E2E-1-B1"])
    ]
    assert stored[0].evidence["payer_account"] == "62220001"
    assert stored[0].legal_basis.endswith("第四十条（六）")

    on_topic = [parse_alert(r.value) for r in read_topic(broker, topics.alerts, expect=1)]
    assert {a.alert_id for a in on_topic} == {stored[0].alert_id}

    replayed = witness("replay", str(src), "--out", str(tmp_path / "alerts.jsonl"), env=env)
    assert replayed.returncode == 0, replayed.stderr.decode()
    offline = alerts_json(tmp_path / "alerts.jsonl")
    from witness.alerts import Alert

    offline_alerts = [Alert.model_validate(a) for a in offline]
    assert {a.content_key() for a in offline_alerts} == {a.content_key() for a in stored}
    assert store.verify_chain("JY-E2E-1") is None

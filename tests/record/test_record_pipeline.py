"""Through a real broker: `witness run` makes the witness record once a project is archived,
after the alerts raised at the archive had time to arrive."""

from __future__ import annotations

import signal

import pytest

from tests.record.conftest import PID, pdf_text, project_events
from tests.support.pipeline_run import cli_env, start_witness, wait_for, witness, write_jsonl
from witness.store import Store
from witness.store.generated import get, listing

pytestmark = [pytest.mark.broker]


def test_witness_run_records_an_archived_project(broker, topics, sqlite_url, tmp_path):
    src = write_jsonl(tmp_path / "events.jsonl", project_events("archived"))
    env = cli_env(broker, sqlite_url, topics.prefix, WITNESS_AUTO_RECORD_SECONDS="2")
    runner = start_witness("run", env=env)
    try:
        ingest = witness("ingest", str(src), "--no-progress", env=env)
        assert ingest.returncode == 0, ingest.stderr.decode()
        store = Store(sqlite_url)
        assert wait_for(lambda: listing(store, PID), timeout=120), "no record was made"
    finally:
        runner.send_signal(signal.SIGTERM)
        _out, err = runner.communicate(timeout=120)
    assert runner.returncode == 0, err.decode()
    [row] = listing(store, PID)
    assert row.made_by == "recorder" and row.doc == "record"
    text = pdf_text(get(store, row.sha256).content)
    rules = {a.rule for a in store.alert_models(project_ids=[PID])}
    assert {"EVAL-TOTAL", "REL-40-6"} <= rules
    assert "评标报告总分与评分汇总不符" in text  # the alert was in before the record
    assert store.verify_chain(PID) is None
    store.close()


def test_the_record_waits_for_detectors_that_start_late(broker, topics, sqlite_url, tmp_path):
    """With only the recorder running, the archive is stored but nobody has judged it: no
    record however long the delay passed. Once the detectors start and their alerts are
    stored, the record is made, and it holds them."""
    src = write_jsonl(tmp_path / "events.jsonl", project_events("archived"))
    env = cli_env(broker, sqlite_url, topics.prefix, WITNESS_AUTO_RECORD_SECONDS="1")
    store = Store(sqlite_url)
    runners = [start_witness("run", "--role", "recorder", env=env)]
    try:
        ingest = witness("ingest", str(src), "--no-progress", env=env)
        assert ingest.returncode == 0, ingest.stderr.decode()
        assert wait_for(lambda: store.events(PID), timeout=120), "the events were not stored"
        assert not wait_for(lambda: listing(store, PID), timeout=8), "made before any judge"
        runners += [
            start_witness("run", "--role", role, env=env) for role in ("detectors", "cross")
        ]
        assert wait_for(lambda: listing(store, PID), timeout=120), "no record was made"
    finally:
        for runner in runners:
            runner.send_signal(signal.SIGTERM)
        errors = [runner.communicate(timeout=120)[1] for runner in runners]
    assert [r.returncode for r in runners] == [0, 0, 0], b"\n".join(errors).decode()
    [row] = listing(store, PID)
    text = pdf_text(get(store, row.sha256).content)
    assert "评标报告总分与评分汇总不符" in text
    store.close()

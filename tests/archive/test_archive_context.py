"""Bundles carry the context a replay needs: room frame segments and registry facts."""

from __future__ import annotations

import json

import pytest

from detectors.offline import replay
from tests.archive.conftest import fix_part_hash, read_zip, record_project_with_context, write_zip
from witness import archive
from witness.cli import main
from witness.store import Store


@pytest.fixture(scope="module")
def ctx_bundle(tmp_path_factory):
    d = tmp_path_factory.mktemp("ctx")
    store = Store(f"sqlite:///{d}/src.db")
    record_project_with_context(store)
    path = d / "P1.zip"
    archive.export_bundle(store.engine, "P1", path)
    live = store.alert_models(project_ids=["P1"])
    store.close()
    return path, live


def test_context_segments_cover_the_project(ctx_bundle):
    path, _ = ctx_bundle
    report = archive.verify_bundle(path)
    assert report.ok, [p.message("en") for p in report.problems]
    segs = {c["chain"]: c for c in report.manifest["context"]}
    assert set(segs) == {"registry/C", "room/R1"}
    assert (segs["registry/C"]["from_seq"], segs["registry/C"]["anchor"]) == (1, "0" * 64)
    room = segs["room/R1"]
    # frame-early (seq 1) and the frame at opening (seq 2) are in the project's time span;
    # frame-late (seq 3) is a week later and belongs to whoever used the room then
    assert (room["from_seq"], room["to_seq"], room["records"]) == (1, 2, 2)
    refs = [json.loads(x)["ref"] for x in read_zip(path)["context.jsonl"].decode().splitlines()]
    assert "frame-late" not in refs and "frame-early" in refs


def test_altered_context_record_is_located(ctx_bundle, tmp_path):
    path, _ = ctx_bundle
    parts = read_zip(path)
    lines = parts["context.jsonl"].decode().splitlines()
    i = next(n for n, x in enumerate(lines) if json.loads(x)["chain"] == "registry/C")
    rec = json.loads(lines[i])
    rec["body"] = rec["body"].replace('"share":0.6', '"share":0.1')
    lines[i] = json.dumps(rec, ensure_ascii=False)
    parts["context.jsonl"] = ("\n".join(lines) + "\n").encode()
    fix_part_hash(parts, "context.jsonl")
    out = tmp_path / "ctx.zip"
    write_zip(out, parts)
    report = archive.verify_bundle(out)
    assert [p.code for p in report.problems] == ["context"]
    p = report.problems[0]
    assert (p.params["chain"], p.seq, p.kind, p.ref) == ("registry/C", 1, "event", rec["ref"])
    assert "altered" in p.message("en")


def test_bundle_replay_reproduces_registry_dependent_alerts(ctx_bundle, capsys, monkeypatch):
    path, live = ctx_bundle
    assert "REL-34" in {a.rule for a in live}
    parts = read_zip(path)
    events = archive.bundle_events(parts)
    assert events[0].type == "registry.relation"
    assert {e.type for e in events} >= {"frame.analyzed", "bid.submitted"}
    # without the context, the registry-based alert cannot be reproduced
    project_only = [e for e in events if e.project_id == "P1"]
    assert "REL-34" not in {a.rule for a in replay(project_only)}

    monkeypatch.setenv("WITNESS_LOCALE", "en")
    assert main(["archive", "replay", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"same {len(live)}, changed 0, new 0, gone 0" in out
    assert any(line.split()[:2] == ["same", "REL-34"] for line in out.splitlines())


def test_a_frame_after_the_project_that_raised_its_alert_travels_with_it(
    tmp_path, capsys, monkeypatch
):
    """The session never closed: the camera heard again a week later raises the project's
    VID-OFFLINE, so that frame is context the replay needs and the bundle carries it."""
    store = Store(f"sqlite:///{tmp_path}/src.db")
    record_project_with_context(store, close_opening=False)
    path = tmp_path / "P1.zip"
    archive.export_bundle(store.engine, "P1", path)
    live = store.alert_models(project_ids=["P1"])
    store.close()
    assert "VID-OFFLINE" in {a.rule for a in live}
    refs = [json.loads(x)["ref"] for x in read_zip(path)["context.jsonl"].decode().splitlines()]
    assert "frame-late" in refs
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    assert main(["archive", "replay", str(path)]) == 0
    assert f"same {len(live)}, changed 0, new 0, gone 0" in capsys.readouterr().out

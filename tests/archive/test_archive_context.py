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


def _replayed(url: str, project: str, monkeypatch, capsys) -> str:
    monkeypatch.setenv("WITNESS_DATABASE_URL", url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    capsys.readouterr()
    assert main(["replay", "--project", project, "--out", "-"]) == 0
    return capsys.readouterr().err


def test_an_imported_project_replays_in_its_new_store_as_it_did_live(
    store, tmp_path, monkeypatch, capsys
):
    """Import restored only the project's own chain: replayed in the auditor's store, its
    REL-34 (a registry fact) came back 'gone' and its VID-OFFLINE (room frames) 'changed',
    though `archive replay` of the same bundle and the live replay agreed."""
    from witness.events import make_event

    record_project_with_context(store)
    store.write(
        [make_event("opening.started", "P1", "2026-11-21T09:00:00+08:00", {"room_id": "R1"})]
    )
    path = tmp_path / "P1.zip"
    archive.export_bundle(store.engine, "P1", path)
    live_rules = sorted(a.rule for a in store.alert_models(project_ids=["P1"]))
    assert {"REL-34", "VID-OFFLINE"} <= set(live_rules)
    auditor = f"sqlite:///{tmp_path}/auditor.db"
    res = archive.import_bundle(Store(auditor).engine, path)
    assert res.context == len(read_zip(path)["context.jsonl"].decode().splitlines()) > 0
    out = _replayed(auditor, "P1", monkeypatch, capsys)
    assert f"same {len(live_rules)}, changed 0, new 0, gone 0" in out, out
    imported = Store(auditor)
    assert imported.verify_chain("registry/C") is None  # a whole chain: verifies on its own
    imported.close()


def test_two_bundles_sharing_a_room_and_the_registry_import_side_by_side(
    tmp_path, monkeypatch, capsys
):
    from witness.events import make_event

    src = Store(f"sqlite:///{tmp_path}/src.db")
    record_project_with_context(src, "P1")
    record_project_with_context(src, "P2")  # same room R1, same registry, its own frames
    for p in ("P1", "P2"):
        src.write(
            [make_event("opening.started", p, "2026-11-21T09:00:00+08:00", {"room_id": "R1"})]
        )
        archive.export_bundle(src.engine, p, tmp_path / f"{p}.zip")
    src.close()
    auditor = f"sqlite:///{tmp_path}/auditor.db"
    first = archive.import_bundle(Store(auditor).engine, tmp_path / "P1.zip")
    second = archive.import_bundle(Store(auditor).engine, tmp_path / "P2.zip")
    assert first.context > 0 and second.context < len(
        read_zip(tmp_path / "P2.zip")["context.jsonl"].decode().splitlines()
    )  # what P1 brought already is not written twice
    for p in ("P1", "P2"):
        assert "changed 0, new 0, gone 0" in _replayed(auditor, p, monkeypatch, capsys)


def test_a_store_whose_room_chain_differs_takes_nothing_from_the_bundle(ctx_bundle, tmp_path):
    """Two stores' room chains at the same seq: the bundle is not mixed into a chain of
    another origin, and the project is not half imported."""
    from tests.archive.conftest import frame_event

    path, _ = ctx_bundle
    other = Store(f"sqlite:///{tmp_path}/other.db")
    frame = frame_event().model_copy(update={"event_id": "another-frame"})
    other.write([frame])  # room/R1 seq 1 here is another frame
    with pytest.raises(archive.ArchiveError, match="room/R1 第 1 条记录与归档包中的不同"):
        archive.import_bundle(other.engine, path)
    assert other.ledger("P1") == [] and other.alert_models(project_ids=["P1"]) == []
    other.close()


def test_a_rebuilt_chain_over_a_non_event_is_named_before_import(ctx_bundle, tmp_path):
    """A forger who rebuilds every hash can link any body; import could not index one that
    is no event (its type, time or id), so verify names it."""
    from tests.archive.test_archive_roundtrip import _forge

    path, _ = ctx_bundle
    parts = read_zip(path)
    forged = _forge(parts, at=1, body='{"type": "x"}')
    out = tmp_path / "forged.zip"
    write_zip(out, parts)
    report = archive.verify_bundle(out)
    codes = [p.code for p in report.problems]
    assert "event_body" in codes, [p.message("en") for p in report.problems]
    p = report.problems[codes.index("event_body")]
    assert (p.seq, p.ref) == (forged["seq"], forged["ref"])
    with pytest.raises(archive.ArchiveError):
        archive.import_bundle(Store(f"sqlite:///{tmp_path}/a.db").engine, out)


def test_a_live_store_keeps_its_room_and_registry_chains_to_itself(
    ctx_bundle, tmp_path, monkeypatch, capsys
):
    """Into a store a recorder runs on, another store's stretches of room/R1 would sit
    among its own live frames (gaps, foreign links): the project comes in, its context
    does not, and the import says so and where to replay instead."""
    from tests.archive.conftest import frame_event
    from witness.store import health

    path, _ = ctx_bundle
    url = f"sqlite:///{tmp_path}/live.db"
    live = Store(url)
    live.write([frame_event().model_copy(update={"event_id": "live-frame"})])
    health.report(live.engine, "recorder", "ok")
    before = live.ledger("room/R1")
    live.close()
    monkeypatch.setenv("WITNESS_DATABASE_URL", url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    assert main(["archive", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "0 records of room and registry chains" in out
    assert "a recorder has reported in this store" in out and "witness archive replay" in out
    after = Store(url)
    assert after.ledger("room/R1") == before and after.ledger("registry/C") == []
    assert after.verify_chain("room/R1") is None and after.ledger("P1")
    after.close()

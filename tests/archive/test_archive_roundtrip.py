"""Export -> fresh store -> import -> replay gives the same alerts; live chain checks."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from detectors.offline import compare, replay
from tests.archive.conftest import TINY_JPEG, record_project
from witness import archive
from witness.cli import main
from witness.events import make_event
from witness.store import Store


def test_export_wipe_import_replay_same_alerts(store, tmp_path):
    record_project(store)
    path = tmp_path / "P1.zip"
    manifest = archive.export_bundle(store.engine, "P1", path)
    live = store.alert_models(project_ids=["P1"])
    assert live, "the fixture project must raise alerts"
    events_before = [e.event_id for e in store.events("P1")]
    chain_before = store.ledger("P1")
    decisions_before = [(d.action, d.actor, d.reason) for d in store.decisions()]

    # a fresh, empty database (SQLite: what an auditor runs on a laptop)
    fresh_url = f"sqlite:///{tmp_path}/fresh.db"
    fresh = Store(fresh_url)
    res = archive.import_bundle(fresh.engine, path)
    assert (res.records, res.events) == (manifest["counts"]["records"], len(events_before))

    assert fresh.ledger("P1") == chain_before  # verbatim: seq, kind, ref, body, hashes
    assert fresh.verify_chain("P1") is None
    assert [e.event_id for e in fresh.events("P1")] == events_before
    assert [(d.action, d.actor, d.reason) for d in fresh.decisions()] == decisions_before
    imported = fresh.alert_models(project_ids=["P1"])
    assert [a.content_key() for a in imported] == [a.content_key() for a in live]
    assert [a.status for a in imported] == [a.status for a in live]
    assert "referred" in [a.status for a in imported]

    now = [a for a in replay(fresh.events("P1")) if a.project_id == "P1"]
    cmp = compare(imported, now)
    assert cmp.identical and len(cmp.same) == len(live)
    assert compare(live, now).identical

    assert archive.verify_live(fresh.engine, "P1").ok
    with fresh.session() as s:
        from witness.store.models import LatestFrame

        frame = s.get(LatestFrame, ("R1", "C1"))
        assert frame is not None
        import base64

        assert base64.b64decode(frame.thumbnail) == TINY_JPEG

    # a second import never overwrites
    with pytest.raises(archive.ArchiveError, match="本库已有项目 P1 的记录"):  # zh-CN default
        archive.import_bundle(fresh.engine, path)
    # the imported store keeps recording: a new event chains after the imported head
    other = Store(fresh_url)
    fresh.close()
    later = make_event("evaluation.started", "P1", "2026-11-22T09:00:00+08:00", {"room_id": "R1"})
    assert other.write([later]).new_events == 1
    assert len(other.ledger("P1")) == len(chain_before) + 1
    assert other.verify_chain("P1") is None
    other.close()


def test_import_keeps_id_sequences_usable(store, tmp_path):
    """Import into either backend; afterwards new decisions get fresh ids (PG sequences)."""
    src = Store(f"sqlite:///{tmp_path}/src.db")
    record_project(src)
    path = tmp_path / "P1.zip"
    archive.export_bundle(src.engine, "P1", path)
    src.close()
    archive.import_bundle(store.engine, path)
    aid = store.alerts(project_ids=["P1"])[0].alert_id
    # status is referred: re-open is not an action, so check the id sequence via a new alert
    record_project(store, project="P2")
    ids = [d.id for d in store.decisions()]
    assert len(ids) == len(set(ids)) == 4
    assert store.verify_chain("P2") is None and store.verify_chain("P1") is None
    assert aid


def test_import_refuses_a_tampered_bundle(tmp_path, sqlite_url):
    from tests.archive.conftest import ledger_lines, read_zip, set_ledger, write_zip

    src = Store(sqlite_url)
    record_project(src)
    path = tmp_path / "P1.zip"
    archive.export_bundle(src.engine, "P1", path)
    src.close()
    parts = read_zip(path)
    lines = ledger_lines(parts)
    set_ledger(parts, lines[:2] + lines[3:], fix_manifest=True)
    bad = tmp_path / "bad.zip"
    write_zip(bad, parts)
    target = Store(f"sqlite:///{tmp_path}/target.db")
    with pytest.raises(archive.ArchiveError):
        archive.import_bundle(target.engine, bad)
    assert target.ledger("P1") == []


def test_live_chain_verification_finds_an_edited_row(store, capsys, monkeypatch):
    record_project(store)
    monkeypatch.setenv("WITNESS_DATABASE_URL", store.url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    assert main(["archive", "verify", "--live", "P1"]) == 0
    assert "intact" in capsys.readouterr().out
    victim = store.ledger("P1")[2]
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger SET body = :b WHERE chain = 'P1' AND seq = 3"),
            {"b": victim.body.replace("B公司", "Z公司")},
        )
    report = archive.verify_live(store.engine, "P1")
    first = report.first_record_fault
    assert (first.code, first.seq, first.kind, first.ref) == ("altered", 3, "event", victim.ref)
    assert main(["archive", "verify", "--live", "P1"]) == 1
    assert f"record 3 (event {victim.ref})" in capsys.readouterr().out


def test_a_wrong_project_id_is_not_an_altered_chain(store, capsys, monkeypatch):
    """`verify --live` of a project this store never heard of said "1 problem found, do not
    rely on this bundle", the exit code for "altered"; export and replay said it was sealed.
    A project it knows whose chain was emptied is still altered."""
    record_project(store)
    monkeypatch.setenv("WITNESS_DATABASE_URL", store.url)
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    assert main(["archive", "verify", "--live", "P9"]) == 2
    err = capsys.readouterr().err
    assert "本库中没有项目 P9 的记录" in err and "处理建议" not in err
    assert main(["archive", "export", "P9", "--out", str(store.url.split("///")[-1]) + ".zip"]) == 1
    err = capsys.readouterr().err
    assert "本库中没有项目 P9 的记录" in err and "尚未开标" not in err
    assert main(["replay", "--project", "P9"]) == 2
    err = capsys.readouterr().err
    assert "本库中没有项目 P9 的记录" in err and "尚未开标" not in err

    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger WHERE chain = 'P1'"))
    assert main(["archive", "verify", "--live", "P1"]) == 1
    assert "本库中没有项目 P1 的记录" in capsys.readouterr().out


def test_cli_export_and_import(tmp_path, sqlite_url, monkeypatch, capsys):
    src = Store(sqlite_url)
    record_project(src)
    src.close()
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    out = tmp_path / "b.zip"
    assert main(["archive", "export", "P1", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "已导出项目 P1" in said and "政府采购法 第四十二条" in said
    assert main(["archive", "export", "NOPE", "--out", str(tmp_path / "x.zip")]) == 1
    assert "NOPE" in capsys.readouterr().err
    monkeypatch.setenv("WITNESS_DATABASE_URL", f"sqlite:///{tmp_path}/audit.db")
    assert main(["archive", "import", str(out)]) == 0
    assert "已导入项目 P1" in capsys.readouterr().out
    assert main(["replay", "--project", "P1", "--out", str(tmp_path / "a.jsonl")]) == 0
    assert "变化 0，新增 0，消失 0" in capsys.readouterr().err


def _forge(parts, at: int, body: str | None = None) -> dict:
    """Rewrite record `at` (its body, if given) and every hash after it, the index, head
    and part hashes."""
    import json

    from tests.archive.conftest import fix_part_hash
    from witness.store.ledger import GENESIS, link_hash

    recs = [json.loads(x) for x in parts["ledger.jsonl"].decode().splitlines()]
    recs[at]["body"] = body if body is not None else recs[at]["body"].replace("B公司", "Z公司")
    prev = GENESIS
    for r in recs:
        r["prev_hash"] = prev
        r["hash"] = prev = link_hash(prev, r["kind"], r["ref"], r["body"])
    parts["ledger.jsonl"] = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode()
    index = [{"seq": r["seq"], "kind": r["kind"], "ref": r["ref"], "hash": r["hash"]} for r in recs]
    parts["ledger.index.jsonl"] = "".join(json.dumps(i) + "\n" for i in index).encode()
    m = json.loads(parts["manifest.json"])
    m["chain"]["head_hash"] = prev
    parts["manifest.json"] = json.dumps(m).encode()
    fix_part_hash(parts, "ledger.jsonl")
    fix_part_hash(parts, "ledger.index.jsonl")
    return recs[at]


def test_a_rebuilt_bundle_is_caught_against_the_live_chain(
    tmp_path, sqlite_url, capsys, monkeypatch
):
    from tests.archive.conftest import read_zip, write_zip

    src = Store(sqlite_url)
    record_project(src)
    src.close()
    path = tmp_path / "P1.zip"
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    assert main(["archive", "export", "P1", "--out", str(path)]) == 0
    assert main(["archive", "verify", str(path), "--live", "P1"]) == 0
    assert "matches the live store" in capsys.readouterr().out

    parts = read_zip(path)
    forged = _forge(parts, at=2)
    bad = tmp_path / "forged.zip"
    write_zip(bad, parts)
    # self-consistent: on its own the forgery verifies (the limit of any self-contained file)
    assert archive.verify_bundle(bad).ok
    assert main(["archive", "verify", str(bad), "--live", "P1"]) == 1
    out = capsys.readouterr().out
    assert f"record 3 (event {forged['ref']}) differs from the live store" in out
    assert main(["archive", "verify", str(path), "--live", "P2"]) == 1
    assert "not P2" in capsys.readouterr().out

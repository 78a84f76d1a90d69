"""`witness record` from the command line: the store, an events file, a bundle, a letter;
and `witness archive verify --record`."""

from __future__ import annotations

import json
from hashlib import sha256

import pytest

from tests.record.conftest import BIDDERS, PID, pdf_text, project_events, record_into
from witness import archive
from witness.cli import main


@pytest.fixture
def db(sqlite_url, monkeypatch):
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    from witness.store import Store

    store = Store(sqlite_url)
    record_into(store, project_events("archived"))
    yield store
    store.close()


def test_record_from_the_store_then_verify_it_against_bundle_and_live(db, tmp_path, capsys):
    out = tmp_path / "r.pdf"
    assert main(["record", PID, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    digest = sha256(out.read_bytes()).hexdigest()
    assert digest in said and "哈希链第" in said
    assert main(["record", PID, "--out", str(tmp_path / "again.pdf")]) == 0
    assert "未重复写入" in capsys.readouterr().out
    bundle = tmp_path / "b.zip"
    assert main(["archive", "export", PID, "--out", str(bundle)]) == 0
    capsys.readouterr()
    assert main(["archive", "verify", str(bundle), "--record", str(out)]) == 0
    assert "相符" in capsys.readouterr().out
    assert main(["archive", "verify", "--live", PID, "--record", str(out)]) == 0
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(out.read_bytes() + b"\n%")
    assert main(["archive", "verify", str(bundle), "--record", str(altered)]) == 1
    assert "核验失败" in capsys.readouterr().out


def test_record_offline_from_an_events_file_reruns_the_detectors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WITNESS_DATABASE_URL", f"sqlite:///{tmp_path}/unused.db")
    events = tmp_path / "events.jsonl"
    lines = [e.to_json() for e in project_events("archived")]
    bad = {"event_id": "bad-1", "type": "bid.submitted", "project_id": PID}
    lines.insert(3, json.dumps(bad))
    lines.insert(4, json.dumps({"event_id": "other", "type": "nope", "project_id": "OTHER-1"}))
    events.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "offline.pdf"
    assert main(["record", PID, "--events", str(events), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "离线" in captured.out and "第 4 行无效" in captured.err
    assert "第 5 行" not in captured.err  # another project's bad line is not this record's
    text = pdf_text(out.read_bytes())
    assert "评标报告总分与评分汇总不符" in text  # raised now by the detectors
    assert sha256(events.read_bytes()).hexdigest() in text
    assert f"{events.name}:4" in text  # the bad line, as this record's dead letter
    assert not (tmp_path / "unused.db").exists()  # offline: no store touched


def test_record_offline_from_a_bundle(db, tmp_path, capsys):
    bundle = tmp_path / "b.zip"
    archive.export_bundle(db.engine, PID, bundle)
    out = tmp_path / "from-bundle.html"
    assert (
        main(["record", PID, "--bundle", str(bundle), "--format", "html", "--out", str(out)]) == 0
    )
    page = out.read_text("utf-8")
    assert "b.zip" in page and "归档包不携带死信" in page
    for name, _ in BIDDERS.values():
        assert name in page
    assert main(["record", "OTHER", "--bundle", str(bundle)]) == 1
    assert "的归档包，不是 OTHER" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "flag", "head"),
    [
        ("r.html", [], b"<!DOCTYPE html"),  # wrote PDF bytes into r.html
        ("R.HTM", [], b"<!DOCTYPE html"),
        ("r.pdf", [], b"%PDF-"),
        ("r.record", [], b"%PDF-"),
        ("r.html", ["--format", "pdf"], b"%PDF-"),  # said outright, it wins
    ],
)
def test_without_format_the_output_name_decides(db, tmp_path, name, flag, head):
    bundle = tmp_path / "b.zip"
    archive.export_bundle(db.engine, PID, bundle)
    out = tmp_path / name
    assert main(["record", PID, "--bundle", str(bundle), *flag, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(head)


def test_a_damaged_bundle_is_refused_with_the_reason(tmp_path, capsys):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    assert main(["record", PID, "--bundle", str(bad)]) == 1
    assert "无法生成" in capsys.readouterr().err


def test_referral_letter_and_listing(db, tmp_path, capsys):
    alert = next(a for a in db.alert_models(project_ids=[PID]) if a.rule == "EVAL-TOTAL")
    out = tmp_path / "letter.pdf"
    assert main(["record", PID, "--referral", alert.alert_id, "--out", str(out)]) == 1
    assert "尚未移交" in capsys.readouterr().err
    db.decide(alert.alert_id, "refer", "officer-li", "请复核")
    assert (
        main(["record", PID, "--referral", alert.alert_id, "--to", "committee", "--out", str(out)])
        == 0
    )
    assert "督办单" in capsys.readouterr().out and "督办单" in pdf_text(out.read_bytes())
    assert main(["record", "ELSEWHERE", "--referral", alert.alert_id]) == 1
    assert "不是 ELSEWHERE" in capsys.readouterr().err
    assert main(["record", PID, "--list"]) == 0
    listed = capsys.readouterr().out
    assert "referral" in listed and alert.alert_id[:12] in listed


def test_help_teaches(capsys, monkeypatch):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    with pytest.raises(SystemExit):
        main(["record", "--help"])
    text = capsys.readouterr().out
    for word in (
        "--events",
        "--bundle",
        "--referral",
        "--format",
        "archive verify",
        "WITNESS_RECORD_FONT",
    ):
        assert word in text
    assert "offline: from an events file" in text
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    with pytest.raises(SystemExit):
        main(["record", "--help"])
    text = capsys.readouterr().out
    for word in ("--events", "--bundle", "--referral", "archive verify", "WITNESS_RECORD_FONT"):
        assert word in text
    assert (
        "离线：依据事件文件生成" in text and "督办单" in text and "指定中文 TrueType 字体" in text
    )


def test_english_messages(db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    out = tmp_path / "en.pdf"
    assert main(["record", PID, "--out", str(out)]) == 0
    assert "appended to project" in capsys.readouterr().out
    assert "Witnessrecord" in pdf_text(out.read_bytes())
    body = json.loads(db.ledger(PID)[-1].body)
    assert body["locale"] == "en" and body["made_by"].startswith("cli:")

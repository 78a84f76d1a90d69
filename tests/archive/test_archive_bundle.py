"""Archive bundles: an untouched bundle verifies; every kind of tampering is located."""

from __future__ import annotations

import json

import pytest

from tests.archive.conftest import (
    TINY_JPEG,
    fix_part_hash,
    ledger_lines,
    read_zip,
    record_project,
    set_ledger,
    write_zip,
)
from witness import archive
from witness.cli import main
from witness.store import Store


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """One exported bundle (SQLite source) shared by the tamper tests; each copies it."""
    d = tmp_path_factory.mktemp("bundle")
    store = Store(f"sqlite:///{d}/src.db")
    record_project(store)
    path = d / "P1.zip"
    archive.export_bundle(store.engine, "P1", path)
    store.close()
    return path


def _records(parts):
    return [json.loads(line) for line in ledger_lines(parts)]


def test_untouched_bundle_verifies_and_is_complete(bundle):
    report = archive.verify_bundle(bundle)
    assert report.ok, [p.message("en") for p in report.problems]
    parts = read_zip(bundle)
    m = report.manifest
    recs = _records(parts)
    assert m["schema_version"] == archive.SCHEMA_VERSION and m["project_id"] == "P1"
    assert [r["seq"] for r in recs] == list(range(1, len(recs) + 1))
    kinds = [r["kind"] for r in recs]
    assert kinds.count("event") == 7 and kinds.count("decision") == 2
    assert "alert" in kinds
    assert m["chain"]["head_seq"] == len(recs) and m["chain"]["head_hash"] == recs[-1]["hash"]
    assert recs[0]["prev_hash"] == "0" * 64
    assert set(m["parts"]) == set(parts) - {"manifest.json"}
    alerts = [json.loads(x) for x in parts["alerts.jsonl"].decode().splitlines()]
    assert "referred" in [a["status"] for a in alerts]
    assert parts["thumbnails/R1__C1.jpg"] == TINY_JPEG
    created_year = int(m["created_at"][:4])
    assert int(m["retention_until"][:4]) - created_year == 15


def _tampered(bundle, tmp_path, edit, *, fix_manifest=False):
    parts = read_zip(bundle)
    lines = ledger_lines(parts)
    new = edit(lines)
    set_ledger(parts, new, fix_manifest=fix_manifest)
    out = tmp_path / "tampered.zip"
    write_zip(out, parts)
    return out, _records(read_zip(bundle))


@pytest.mark.parametrize("fix_manifest", [False, True])
def test_one_altered_byte_is_located(bundle, tmp_path, fix_manifest):
    def edit(lines):
        rec = json.loads(lines[2])
        rec["body"] = rec["body"].replace('"price":101', '"price":901', 1)
        assert rec["body"] != json.loads(lines[2])["body"]
        lines[2] = json.dumps(rec, ensure_ascii=False)
        return lines

    path, orig = _tampered(bundle, tmp_path, edit, fix_manifest=fix_manifest)
    report = archive.verify_bundle(path)
    first = report.first_record_fault
    assert first.code == "altered"
    assert (first.seq, first.kind, first.ref) == (3, "event", orig[2]["ref"])
    assert any(p.code == "part_hash" for p in report.problems) is not fix_manifest


def test_raw_byte_flip_in_zip_is_reported(bundle, tmp_path):
    data = bytearray(bundle.read_bytes())
    # flip a byte inside the ledger member's compressed data
    start = data.index(b"ledger.jsonl") + 40
    data[start] ^= 0xFF
    out = tmp_path / "flipped.zip"
    out.write_bytes(bytes(data))
    report = archive.verify_bundle(out)
    assert not report.ok
    assert {p.code for p in report.problems} & {"damaged", "part_hash", "altered", "unreadable"}


@pytest.mark.parametrize("fix_manifest", [False, True])
def test_deleted_record_is_located(bundle, tmp_path, fix_manifest):
    path, orig = _tampered(bundle, tmp_path, lambda ls: ls[:3] + ls[4:], fix_manifest=fix_manifest)
    first = archive.verify_bundle(path).first_record_fault
    assert first.code == "removed"
    assert (first.seq, first.kind, first.ref) == (4, orig[3]["kind"], orig[3]["ref"])


def test_deleted_record_with_renumbered_seqs_is_located(bundle, tmp_path):
    def edit(lines):
        recs = [json.loads(x) for x in lines]
        del recs[3]
        for i, r in enumerate(recs, start=1):
            r["seq"] = i
        return [json.dumps(r, ensure_ascii=False) for r in recs]

    path, orig = _tampered(bundle, tmp_path, edit, fix_manifest=True)
    first = archive.verify_bundle(path).first_record_fault
    assert first.code == "removed" and first.seq == 4


def test_inserted_record_is_located(bundle, tmp_path):
    """A forged record linked to its predecessor, seqs renumbered after it."""
    from witness.store.ledger import link_hash

    def edit(lines):
        recs = [json.loads(x) for x in lines]
        body = recs[3]["body"].replace('"price":102', '"price":55')
        fake = {
            **recs[3],
            "ref": "bid.submitted:forged",
            "body": body,
            "prev_hash": recs[2]["hash"],
        }
        fake["hash"] = link_hash(fake["prev_hash"], fake["kind"], fake["ref"], body)
        recs.insert(3, fake)
        for i, r in enumerate(recs, start=1):
            r["seq"] = i
        return [json.dumps(r, ensure_ascii=False) for r in recs]

    path, _ = _tampered(bundle, tmp_path, edit, fix_manifest=True)
    first = archive.verify_bundle(path).first_record_fault
    assert (first.code, first.seq, first.ref) == ("inserted", 4, "bid.submitted:forged")


@pytest.mark.parametrize("fix_manifest", [False, True])
def test_swapped_records_are_located(bundle, tmp_path, fix_manifest):
    def edit(lines):
        lines[4], lines[5] = lines[5], lines[4]
        return lines

    path, orig = _tampered(bundle, tmp_path, edit, fix_manifest=fix_manifest)
    first = archive.verify_bundle(path).first_record_fault
    assert first.code == "reordered"
    assert (first.seq, first.ref) == (6, orig[5]["ref"])


def test_swapped_bodies_keeping_seq_order_are_located(bundle, tmp_path):
    def edit(lines):
        a, b = json.loads(lines[4]), json.loads(lines[5])
        a["seq"], b["seq"] = b["seq"], a["seq"]
        return lines[:4] + [json.dumps(b), json.dumps(a)] + lines[6:]

    path, orig = _tampered(bundle, tmp_path, edit, fix_manifest=True)
    first = archive.verify_bundle(path).first_record_fault
    assert first.code == "reordered" and first.seq == 5 and first.ref == orig[5]["ref"]


def test_removed_tail_is_located_by_the_head(bundle, tmp_path):
    path, orig = _tampered(bundle, tmp_path, lambda ls: ls[:-1], fix_manifest=True)
    first = archive.verify_bundle(path).first_record_fault
    assert first.code == "truncated"
    assert (first.seq, first.kind, first.ref) == (len(orig), orig[-1]["kind"], orig[-1]["ref"])


def test_edited_alert_status_disagrees_with_the_chain(bundle, tmp_path):
    parts = read_zip(bundle)
    alerts = [json.loads(x) for x in parts["alerts.jsonl"].decode().splitlines()]
    alerts[0]["status"] = "dismissed"
    parts["alerts.jsonl"] = ("\n".join(json.dumps(a) for a in alerts) + "\n").encode()
    fix_part_hash(parts, "alerts.jsonl")
    out = tmp_path / "status.zip"
    write_zip(out, parts)
    report = archive.verify_bundle(out)
    assert [p.code for p in report.problems] == ["alert_mismatch"]
    assert report.problems[0].params["detail"] == "status"


def test_cli_verify_exit_codes_and_languages(bundle, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)
    assert main(["archive", "verify", str(bundle)]) == 0
    assert "校验通过" in capsys.readouterr().out
    path, orig = _tampered(bundle, tmp_path, lambda ls: ls[:3] + ls[4:])
    assert main(["archive", "verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "校验失败" in out and "第 4 条" in out and orig[3]["ref"] in out
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    assert main(["archive", "verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "record 4" in out and "removed" in out


def test_retention_is_configurable_and_guards_deletion(monkeypatch):
    from datetime import date, datetime

    monkeypatch.setenv("WITNESS_RETENTION_YEARS", "20")
    assert archive.retention_years() == 20
    monkeypatch.delenv("WITNESS_RETENTION_YEARS")
    assert archive.retention_years() == 15
    until = archive.retention_until(datetime.fromisoformat("2024-02-29T10:00:00+08:00"), 15)
    assert until == date(2039, 2, 28)
    m = {"retention_until": until.isoformat()}
    assert not archive.may_delete(m, today=date(2039, 2, 28))
    assert archive.may_delete(m, today=date(2039, 3, 1))
    monkeypatch.setenv("WITNESS_RETENTION_YEARS", "0")
    with pytest.raises(ValueError, match="WITNESS_RETENTION_YEARS"):
        archive.retention_years()

"""Witness records from the store (SQLite and PostgreSQL): what they say, read back from
the PDF; their hash in the chain; sealing before the opening; referral letters."""

from __future__ import annotations

import html
import io
import json
import zipfile
from hashlib import sha256

import pytest

from tests.record.conftest import (
    BIDDERS,
    EXPERTS,
    NAME,
    PID,
    ink_share,
    pdf_text,
    project_events,
    record_into,
    render_page_png,
    squash,
)
from witness import archive
from witness.record import RecordError, make_record, make_referral
from witness.record.sources import from_store
from witness.rules import localized_title
from witness.store.generated import DOCUMENT, covers, listing


def _decide(store) -> dict[str, str]:
    alerts = {a.rule: a.alert_id for a in store.alert_models(project_ids=[PID])}
    store.decide(alerts["REL-40-6"], "acknowledge", "officer-li")
    store.decide(alerts["REL-40-6"], "refer", "officer-li", "保证金由同一账户转出，请监督部门核查")
    store.decide(alerts["VID-OFFLINE"], "dismiss", "officer-wang", "摄像头网络检修，已登记")
    return alerts


def test_the_record_says_project_alerts_decisions_and_chain_head(archived_store, tmp_path):
    store = archived_store
    _decide(store)
    doc, new = make_record(store, PID)
    assert new and doc.format == "pdf" and doc.content.startswith(b"%PDF")
    text = pdf_text(doc.content)
    assert PID in text and squash(NAME) in text
    for a in store.alert_models(project_ids=[PID]):
        assert squash(localized_title(a.rule, a.title, "zh-CN")) in text, a.rule
        assert squash(a.legal_basis) in text
    for d in store.decisions():
        assert d.actor in text
        if d.reason:
            assert squash(d.reason) in text
    assert "确认" in text and "移交" in text and "排除" in text
    head = covers(store, PID)
    assert doc.covers_hash == head.hash and head.hash in text
    for bid, (name, _) in BIDDERS.items():
        assert name in text and bid in text
    assert "9,876,543.21" in text  # the read-out price
    for name in EXPERTS.values():
        assert name in text
    # camera coverage: C2 silent for five minutes during the evaluation
    assert "PB-1-C2" in text and "评标" in text
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(doc.content)
    png = render_page_png(pdf, tmp_path / "page")
    assert ink_share(png) > 0.02, "page 1 rendered (almost) blank"


def test_its_hash_is_chained_once_and_the_chain_still_verifies(archived_store):
    store = archived_store
    before = covers(store, PID)
    doc, new = make_record(store, PID)
    links = store.ledger(PID)
    last = links[-1]
    assert (last.kind, last.ref, last.seq) == (DOCUMENT, f"record:{doc.sha256}", doc.chain_seq)
    assert json.loads(last.body)["sha256"] == sha256(doc.content).hexdigest()
    assert store.verify_chain(PID) is None
    assert archive.verify_live(store.engine, PID).ok
    again, new_again = make_record(store, PID)  # nothing changed: same bytes, no new link
    assert (again.sha256, new_again) == (doc.sha256, False)
    assert len(store.ledger(PID)) == len(links)
    assert covers(store, PID) == before  # a document link is not what a record covers
    alert = store.alert_models(project_ids=[PID])[0]
    store.decide(alert.alert_id, "acknowledge", "officer-li")
    later, new_later = make_record(store, PID)
    assert new_later and later.sha256 != doc.sha256 and later.covers_seq > doc.covers_seq
    assert [r.sha256 for r in listing(store, PID)] == [later.sha256, doc.sha256]


def test_an_altered_record_no_longer_matches_the_chain_or_the_bundle(archived_store, tmp_path):
    store = archived_store
    doc, _ = make_record(store, PID)
    links = store.ledger(PID)
    assert archive.generated_parts.find(links, doc.content).seq == doc.chain_seq
    forged = doc.content.replace(b"/Author (Witness)", b"/Author (Someone)")
    assert forged != doc.content
    assert archive.generated_parts.find(links, forged) is None
    bundle = tmp_path / "b.zip"
    archive.export_bundle(store.engine, PID, bundle)
    assert archive.verify_bundle(bundle).ok
    parts, _ = archive.read_parts(bundle)
    name = f"generated/{doc.sha256}.pdf"
    assert parts[name] == doc.content  # the bundle carries the record
    # swap the file and fix the manifest's part hash too: the chain link still catches it
    parts[name] = forged
    manifest = json.loads(parts.pop("manifest.json"))
    manifest["parts"][name]["sha256"] = sha256(forged).hexdigest()
    manifest["parts"][name]["bytes"] = len(forged)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for k, v in parts.items():
            z.writestr(k, v)
    report = archive.verify_bundle(bad)
    assert [p.code for p in report.problems] == ["document_altered"]
    assert report.problems[0].seq == doc.chain_seq


def test_a_document_dropped_from_a_bundle_is_missed(archived_store, tmp_path):
    store = archived_store
    doc, _ = make_record(store, PID)
    bundle = tmp_path / "b.zip"
    archive.export_bundle(store.engine, PID, bundle)
    parts, _ = archive.read_parts(bundle)
    name = f"generated/{doc.sha256}.pdf"
    del parts[name]
    manifest = json.loads(parts.pop("manifest.json"))
    del manifest["parts"][name]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for k, v in parts.items():
            z.writestr(k, v)
    (tmp_path / "dropped.zip").write_bytes(buf.getvalue())
    report = archive.verify_bundle(tmp_path / "dropped.zip")
    assert [p.code for p in report.problems] == ["document_missing"]


def test_import_restores_the_documents_verbatim(archived_store, tmp_path, sqlite_url):
    from witness.store import Store

    store = archived_store
    doc, _ = make_record(store, PID)
    bundle = tmp_path / "b.zip"
    archive.export_bundle(store.engine, PID, bundle)
    other = Store(f"sqlite:///{tmp_path}/other.db")
    res = archive.import_bundle(other.engine, bundle)
    assert res.documents == 1
    from witness.store.generated import get

    assert get(other, doc.sha256).content == doc.content
    assert archive.verify_live(other.engine, PID).ok
    other.close()


def test_a_record_made_before_opening_is_sealed(bidding_store, tmp_path):
    store = bidding_store
    [alert] = store.alert_models(project_ids=[PID])
    assert alert.rule == "REL-40-6" and alert.sealed
    store.decide(
        alert.alert_id, "acknowledge", "officer-li", "甲建设集团有限公司与乙工程有限公司同账户"
    )
    for fmt in ("pdf", "html"):
        doc, _ = make_record(store, PID, fmt=fmt)
        raw = doc.content.decode("utf-8", "replace") if fmt == "html" else ""
        text = pdf_text(doc.content) if fmt == "pdf" else squash(raw)
        shown = html.escape(NAME, quote=False) if fmt == "html" else NAME
        assert PID in text and squash(shown) in text
        assert "开标前保密" in text
        assert squash(alert.legal_basis) in text and "投标保证金从同一账户转出" in text
        assert "officer-li" in text  # who decided, and when, may be shown ...
        for bid, (name, price) in BIDDERS.items():  # ... but no bidder, id or price
            assert name not in text and bid not in text
            for spelled in (f"{price:,.2f}", f"{price:.2f}", f"{int(price)}", f"{price:,.0f}"):
                assert spelled not in text, spelled
        assert "6222-0000-1111" not in text and "同账户" not in text  # evidence, reason


def test_sealed_pdf_metadata_names_no_bidder(bidding_store):
    """Document systems index title, subject and keywords: they carry no bidder either."""
    from pypdf import PdfReader

    doc, _ = make_record(bidding_store, PID, fmt="pdf")
    meta = PdfReader(io.BytesIO(doc.content)).metadata
    values = " ".join(str(v) for v in meta.values())
    assert PID in values and NAME in values
    for bid, (name, _) in BIDDERS.items():
        assert name not in values and bid not in values


def test_english_record(archived_store):
    doc, _ = make_record(archived_store, PID, locale="en")
    text = pdf_text(doc.content)
    assert "Witnessrecord" in text and "Hashchainandverification" in text
    for a in archived_store.alert_models(project_ids=[PID]):
        assert squash(localized_title(a.rule, a.title, "en")) in text


def test_html_record_is_escaped_and_self_contained(archived_store):
    doc, _ = make_record(archived_store, PID, fmt="html")
    page = doc.content.decode("utf-8")
    assert "滨江路&amp;综合管廊&lt;一期&gt;工程" in page and NAME not in page
    assert "<script" not in page and "http" not in page.split("<body>")[0]
    assert covers(archived_store, PID).hash in page


def test_timeline_and_coverage_in_the_record_data(archived_store):
    from witness.record.gather import build

    data = build(from_store(archived_store, PID), "zh-CN")
    steps = {m.key: m for m in data.milestones}
    assert all(steps[k].at is not None and not steps[k].flags for k in steps)
    [opening, evaluation] = data.coverage
    assert (opening.room_id, evaluation.room_id) == ("KB-1", "PB-1")
    c1, c2 = evaluation.cameras
    assert c1.gaps == () and c1.online_minutes == pytest.approx(evaluation.minutes, abs=0.2)
    [gap] = c2.gaps
    assert gap.minutes == pytest.approx(5 - 1, abs=0.2)  # silent 5 min, each frame covers 1
    assert [p.what for p in c2.tamper] == ["VID-OFFLINE"]


def test_referral_letter_needs_a_referral_and_says_who_and_why(archived_store):
    store = archived_store
    alerts = {a.rule: a.alert_id for a in store.alert_models(project_ids=[PID])}
    with pytest.raises(RecordError, match="尚未移交"):
        make_referral(store, alerts["EVAL-TOTAL"])
    store.decide(alerts["EVAL-TOTAL"], "refer", "officer-li", "总分汇总错误，请评标委员会复核")
    for to, title in (("committee", "督办单"), ("supervisor", "移交函")):
        doc, new = make_referral(store, alerts["EVAL-TOTAL"], to=to)
        assert new and doc.doc == "referral" and doc.alert_id == alerts["EVAL-TOTAL"]
        text = pdf_text(doc.content)
        assert title in text and PID in text
        assert "评标报告总分与评分汇总不符" in text and "财政部令第87号第六十四条" in text
        assert "officer-li" in text and "总分汇总错误，请评标委员会复核" in text
        assert "recomputed_total" in text  # the evidence
        assert store.ledger(PID)[-1].ref == f"referral:{doc.sha256}"
    assert store.verify_chain(PID) is None
    with pytest.raises(RecordError, match="本库中没有告警 .nope."):
        make_referral(store, "nope")


def test_a_referral_before_opening_names_no_bidder(bidding_store):
    store = bidding_store
    [alert] = store.alert_models(project_ids=[PID])
    store.decide(alert.alert_id, "refer", "officer-li", "乙工程有限公司代付")
    doc, _ = make_referral(store, alert.alert_id)
    text = pdf_text(doc.content)
    assert "移交函" in text and "开标前" in text and "officer-li" in text
    for bid, (name, _price) in BIDDERS.items():
        assert name not in text and bid not in text
    assert "6222-0000-1111" not in text


def test_unknown_project_is_a_clear_error(store, monkeypatch):
    monkeypatch.setenv("WITNESS_LOCALE", "zh-CN")
    with pytest.raises(RecordError, match="本库中没有项目 NO-SUCH 的事件"):
        make_record(store, "NO-SUCH")


def test_same_chain_gives_the_same_bytes_in_a_new_store(archived_store, sqlite_url, tmp_path):
    """Deterministic output: the record depends on what the chain says, not on when."""
    from witness.store import Store

    a, _ = make_record(archived_store, PID)
    other = Store(f"sqlite:///{tmp_path}/again.db")
    record_into(other, project_events("archived"))
    b, _ = make_record(other, PID)
    other.close()
    # recorded_at differs between the two stores, so only the "as of" line may differ
    ta, tb = pdf_text(a.content), pdf_text(b.content)
    cut = ta.index("一、项目概况")
    assert ta[cut:] == tb[tb.index("一、项目概况") :]

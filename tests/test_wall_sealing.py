"""Sealed bids (开标前保密): the one function that decides what of an alert is visible."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboards import evidence
from dashboards.sealing import alert_view, event_visible, is_sealed, localized_title
from witness.alerts import make_alert
from witness.rules import rule

TS = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _alert(sealed: bool, project: str = "P1"):
    a = make_alert(
        "REL-40-6",
        project,
        identity={"account": "X"},
        subjects=["B1", "B2"],
        evidence={"payer_account": "X", "bidders": [{"bidder_id": "B1", "bidder_name": "甲公司"}]},
        event_ids=["e1", "e2"],
        first_seen=TS,
        sealed=sealed,
        title_detail="2 家",
    )
    return a


def test_sealed_alert_shows_catalogue_title_only():
    v = alert_view(_alert(True), project_opened=False, locale="zh-CN")
    assert v.sealed
    assert v.title == rule("REL-40-6").title_zh  # the stored detail ("2 家") is dropped
    assert (v.subjects, v.evidence, v.event_ids) == ((), {}, ())
    assert v.severity == "red" and v.rule == "REL-40-6"


def test_unopened_project_seals_even_if_row_says_unsealed():
    v = alert_view(_alert(False), project_opened=False, locale="en")
    assert v.sealed and v.subjects == () and "甲公司" not in repr(v)


def test_opening_unseals():
    v = alert_view(_alert(False), project_opened=True, locale="zh-CN")
    assert not v.sealed
    assert v.subjects == ("B1", "B2") and v.evidence["payer_account"] == "X"
    assert v.title.endswith("2 家")


def test_row_sealed_flag_wins_over_opened_project():
    assert is_sealed(True, "P1", True)
    assert not is_sealed(False, "*", False)  # cross-project alerts have no opening


def test_bid_events_hidden_until_opening():
    for kind in ("bid.submitted", "document.submitted", "bid.opened"):
        assert not event_visible(kind, False)
        assert event_visible(kind, True)
    assert event_visible("project.registered", False)


def test_title_follows_wall_locale():
    r = rule("REL-40-6")
    assert localized_title("REL-40-6", r.title_zh + "：2 家", "en") == r.title_en + ": 2 家"
    assert localized_title("REL-40-6", "custom", "en") == "custom"


def test_sealed_views_feed_no_picture():
    v = alert_view(_alert(True), project_opened=False, locale="zh-CN")
    assert evidence.relation_dot([v], {}) is None
    assert evidence.doc_findings([v]) == []


def test_relation_graph_highlights_evidence_path():
    a = make_alert(
        "REL-34",
        "P1",
        identity={"c": "X"},
        subjects=["B1", "B2"],
        evidence={
            "bidders": [
                {
                    "bidder_id": "B1",
                    "path": [{"from": "X", "to": "B1", "kind": "shareholder", "share": 0.6}],
                },
                {"bidder_id": "B2", "path": [{"from": "X", "to": "B2", "kind": "legal_rep"}]},
            ]
        },
        event_ids=[],
        first_seen=TS,
    )
    dot = evidence.relation_dot([alert_view(a, project_opened=True, locale="en")], {"B1": "甲"})
    assert '"X" -- "B1" [label="shareholder 60%", color="red", penwidth=3]' in dot
    assert '"X" -- "B2"' in dot and "甲" in dot

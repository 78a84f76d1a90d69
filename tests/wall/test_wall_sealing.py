"""Sealed bids (开标前保密): the one module that decides what of an alert is visible."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboards import evidence
from witness.alerts import make_alert
from witness.events import make_event
from witness.rules import localized_title, rule
from witness.sealing import alert_sealed, alert_view, event_view

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
    v = alert_view(_alert(True), set(), "zh-CN")
    assert v.sealed
    assert v.title == rule("REL-40-6").title_zh  # the stored detail ("2 家") is dropped
    assert (v.subjects, v.evidence, v.event_ids) == ((), {}, ())
    assert v.severity == "red" and v.rule == "REL-40-6"


def test_unopened_project_seals_even_if_row_says_unsealed():
    v = alert_view(_alert(False), {"P2"}, "en")
    assert v.sealed and v.subjects == () and "甲公司" not in repr(v)


def test_opening_unseals():
    v = alert_view(_alert(False), {"P1"}, "zh-CN")
    assert not v.sealed
    assert v.subjects == ("B1", "B2") and v.evidence["payer_account"] == "X"
    assert v.title.endswith("2 家")


def test_row_sealed_flag_wins_over_opened_project():
    assert alert_sealed(_alert(True), {"P1"})
    assert not alert_sealed(_alert(False, "*"), set())  # names no project: nothing to open


def test_bid_events_hidden_until_opening():
    for kind, payload in (
        ("bid.submitted", {"bidder": {"id": "B1", "name": "甲公司"}, "price": 1.0}),
        ("document.submitted", {"doc_id": "D", "owner": "B1", "kind": "technical", "text": "x"}),
        ("bid.opened", {"bidder_id": "B1", "price": 1.0}),
    ):
        e = make_event(kind, "P1", "2026-11-20T09:00:00+08:00", payload)
        assert event_view(e, set()) is None
        assert event_view(e, {"P1"}).payload is not None
    registered = make_event(
        "project.registered", "P1", "2026-11-20T08:00:00+08:00", {"name": "道路"}
    )
    assert event_view(registered, set()) is not None


def test_title_follows_wall_locale():
    r = rule("REL-40-6")
    assert localized_title("REL-40-6", r.title_zh + "：2 家", "en") == r.title_en + ": 2 家"
    assert localized_title("REL-40-6", "custom", "en") == "custom"


def test_sealed_views_feed_no_picture():
    v = alert_view(_alert(True), set(), "zh-CN")
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
    dot = evidence.relation_dot([alert_view(a, {"P1"}, "en")], {"B1": "甲"})
    assert '"X" -- "B1" [label="shareholder 60%", color="red", penwidth=3]' in dot
    assert '"X" -- "B2"' in dot and "甲" in dot

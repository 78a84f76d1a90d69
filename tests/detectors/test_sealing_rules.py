"""witness/sealing.py and those who honour it: the engine, the store, alerts naming many projects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import detectors
from detectors.engine import Engine
from detectors.rings import RingDetector
from tests.detectors.test_relations_rings import tender
from witness.alerts import make_alert
from witness.events import make_event
from witness.sealing import (
    LISTED_WHILE_SEALED,
    alert_sealed,
    alert_view,
    catalogue_title,
    dead_letter_view,
    event_view,
    projects_named,
)

TS = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ALLOWED_SEALED_KEYS = {
    "alert_id",
    "rule",
    "severity",
    "project_id",
    "title",
    "legal_basis",
    "first_seen",
    "last_seen",
    "status",
    "sealed",
}


def cross_alert(project: str = "P2", names=("P1", "P2"), sealed: bool = False):
    return make_alert(
        "DOC-40-4",
        project,
        identity={"x": 1},
        subjects=["P1-A", "P2-B"],
        evidence={"documents": [{"project_id": "P1", "bidder": "P1-A", "doc_id": "D1"}]},
        event_ids=["e1"],
        first_seen=TS,
        sealed=sealed,
        projects=list(names),
        title_detail="相似度 0.93",
    )


def test_cross_project_alert_sealed_while_any_named_project_is():
    a = cross_alert()
    assert projects_named(a) == {"P1", "P2"}
    assert alert_sealed(a, {"P2"}) and alert_sealed(a, {"P1"})
    assert not alert_sealed(a, {"P1", "P2"})
    v = alert_view(a, {"P2"}, "zh-CN")
    assert v.sealed and set(v.to_dict()) == ALLOWED_SEALED_KEYS
    assert "P1-A" not in repr(v) and "0.93" not in repr(v)
    opened = alert_view(a, {"P1", "P2"}, "zh-CN").to_dict()
    assert opened["projects"] == ["P1", "P2"] and opened["subjects"] == ["P1-A", "P2-B"]


@given(
    rule=st.sampled_from(["REL-40-6", "DOC-40-4", "PROC-ORDER", "EXP-DEV", "NEW-RULE-X"]),
    evidence=st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=4),
    title=st.text(min_size=1, max_size=30),
)
def test_sealed_view_never_carries_more_than_the_allow_list(rule, evidence, title):
    """Whatever a detector (or a future rule) writes, a sealed view shows only allowed keys,
    and the title is the catalogue's, never the stored one."""
    from witness.alerts import Alert

    a = Alert(
        alert_id="x" * 32,
        rule=rule,
        severity="red",
        project_id="P9",
        room_id="R-secret",
        title=title,
        legal_basis="x",
        subjects=["S-secret"],
        evidence=evidence,
        event_ids=["E-secret"],
        first_seen=TS,
        last_seen=TS,
    )
    v = alert_view(a, set(), "zh-CN")
    d = v.to_dict()
    assert set(d) == ALLOWED_SEALED_KEYS
    assert (v.subjects, v.evidence, v.event_ids, v.room_id) == ((), {}, (), None)
    assert d["title"] == catalogue_title(rule, "zh-CN")  # never the stored title


def test_video_alerts_are_about_rooms_and_never_sealed():
    a = make_alert(
        "VID-OFFLINE",
        "P1",
        identity={"c": "C1"},
        subjects=["R1", "C1"],
        evidence={"camera_id": "C1"},
        event_ids=[],
        first_seen=TS,
        sealed=True,
    )
    assert not alert_sealed(a, set())


def test_events_listed_while_sealed_show_type_and_time_only():
    reg = make_event("project.registered", "P1", "2026-11-20T08:00:00+08:00", {"name": "密封工程"})
    v = event_view(reg, set())
    assert v.sealed and v.payload is None and v.event_id == "" and v.type == "project.registered"
    for kind, payload in (
        (
            "score.submitted",
            {
                "expert_id": "E1",
                "bidder_id": "B1",
                "item_id": "t",
                "kind": "objective",
                "score": 1,
                "max_score": 5,
            },
        ),
        ("expert.activity", {"expert_id": "E1", "action": "open_file", "bidder_id": "B1"}),
        ("evaluation.finished", {"room_id": "R", "ranking": [{"bidder_id": "B1", "rank": 1}]}),
        ("bid.opened", {"bidder_id": "B1", "price": 1.5}),
    ):
        assert kind not in LISTED_WHILE_SEALED
        e = make_event(kind, "P1", "2026-11-20T09:00:00+08:00", payload)
        assert event_view(e, set()) is None, kind
        assert event_view(e, None) is None, kind  # no store: sealed
        assert event_view(e, {"P1"}).payload["bidder_id" if "bidder_id" in payload else "room_id"]


@pytest.mark.parametrize(
    "raw, key, opened, shows_raw, shows_error",
    [
        (b'{"project_id": "P1", "payload": {"name": "X"}}', None, {"P1"}, True, True),
        (b'{"project_id": "P1", "payload": {"name": "X"}}', None, set(), False, False),
        (b'{"project_id": "P1", "payload": {"name": "X"}}', None, None, False, False),
        (b'{"payload": {"name": "X"}}', None, {"P1"}, False, False),  # whose? sealed
        (b'{"payload": {"name": "X"}}', "P1", {"P1"}, True, True),  # the key tells
        (b"not json at all X", None, {"P1"}, False, True),  # form error: reason only
        (b"not json at all X", "P1", set(), False, False),
        (b'{"project_id": "*", "type": "frame.analyzed"}', None, set(), True, True),
    ],
)
def test_dead_letter_bytes_only_for_opened_projects(raw, key, opened, shows_raw, shows_error):
    v = dead_letter_view(
        at=TS,
        topic="witness.events",
        partition=0,
        offset=1,
        key=key,
        error="field payload.price: X",
        raw=raw,
        size=len(raw),
        opened=opened,
        stage="store",
    )
    assert v.stage == "store"  # where it failed is no secret
    assert (v.raw is not None) == shows_raw
    assert (v.error is not None) == shows_error
    assert v.sealed == (not shows_raw)


def test_ring_alert_names_every_tender_and_stays_sealed_until_all_open():
    """A ring whose latest tender finished before its opening (PROC-ORDER) names it."""
    plan = [(["A", "B", "C"], w) for w in "ABCA"]
    events = []
    for i, (bidders, winner) in enumerate(plan):
        if i < 3:
            events.append(make_event("opening.started", f"T{i}", TS, {"room_id": "R"}))
        events += tender(f"T{i}", bidders, winner, n=10 * i)
    eng = Engine([RingDetector()])
    rings = [a for e in events for a in eng.process(e).alerts]
    assert rings and rings[-1].projects == ["T0", "T1", "T2", "T3"]
    assert rings[-1].sealed  # T3 has not opened
    out = eng.process(make_event("opening.started", "T3", TS, {"room_id": "R"}))
    assert [a.sealed for a in out.alerts if a.rule == "REL-RING"] == [False]


def test_engine_unseals_a_cross_project_alert_only_at_the_last_opening():
    eng = detectors.Engine(detectors.all_detectors())
    eng._merge(cross_alert())  # as if the cross-project detector had raised it
    first = eng.process(make_event("opening.started", "P2", TS, {"room_id": "R"}))
    assert not [a for a in first.alerts if a.rule == "DOC-40-4"]
    second = eng.process(make_event("opening.started", "P1", TS, {"room_id": "R"}))
    assert [a.sealed for a in second.alerts if a.rule == "DOC-40-4"] == [False]


def test_store_keeps_a_cross_project_alert_sealed_while_another_named_project_is(store):
    odd = "项目_1%"  # a LIKE wildcard and non-ASCII in the id must not confuse the lookup
    reg = [
        make_event("project.registered", p, "2026-11-20T08:00:00+08:00", {"name": p})
        for p in (odd, "P2", "P1")
    ]
    store.write(reg, [cross_alert(names=(odd, "P2"), sealed=True)])
    store.write(
        [make_event("opening.started", "P1", "2026-11-20T09:00:00+08:00", {"room_id": "R"})]
    )
    store.write(
        [make_event("opening.started", "P2", "2026-11-20T10:00:00+08:00", {"room_id": "R"})]
    )
    (row,) = store.alerts()
    assert row.sealed and row.projects == ["P2", odd]  # sorted
    from dashboards import queries

    # filed under P2, listed on the page of every project it names (and no other)
    assert [r.alert_id for r in queries.project_alerts(store, odd)] == [row.alert_id]
    assert [r.alert_id for r in queries.project_alerts(store, "P2")] == [row.alert_id]
    assert queries.project_alerts(store, "P1") == []
    assert store.opened_projects() == {"P1", "P2"}
    store.write([make_event("opening.started", odd, "2026-11-20T11:00:00+08:00", {"room_id": "R"})])
    (row,) = store.alerts()
    assert not row.sealed
    assert store.alert_models()[0].projects == ["P2", odd]


def test_content_key_of_single_project_alerts_is_unchanged_by_the_projects_field():
    """Hashes recorded before `projects` existed stay valid (no key while empty)."""
    a = make_alert(
        "REL-40-6", "P1", identity={}, subjects=[], evidence={}, event_ids=[], first_seen=TS
    )
    assert '"projects"' not in a.content_key() and '"projects"' not in a.to_json()
    assert '"projects":["P1","P2"]' in cross_alert().content_key()


def test_bid_loser_and_rej_rate_stay_sealed_while_a_recent_project_is():
    """Their evidence names the bidder's recent tenders: a finish arriving before that
    tender's opening (PROC-ORDER) must not show that the bidder bid there."""
    from detectors.losers import LoserDetector
    from detectors.rejections import RejectionRateDetector
    from tests.detectors.test_award_rules import tender as award_tender

    events = []
    for i in range(9):
        prices = {"A": 1_000 + 50 * (i % 2), "B": 1_050 - 50 * (i % 2), "L": 1_100}
        t = award_tender(f"T{i}", prices, rejected_ids=("L",) if i < 6 else ())
        if i == 8:  # the last tender finishes before its opening
            t = [e for e in t if not e.type.startswith("opening.")]
        events += t
    eng = Engine([LoserDetector(), RejectionRateDetector()])
    alerts = {a.rule: a for e in events for a in eng.process(e).alerts}
    for rule_id in ("BID-LOSER", "REJ-RATE"):
        a = alerts[rule_id]
        assert "T8" in a.projects and a.subjects == ["L"]
        assert a.sealed and alert_sealed(a, {f"T{i}" for i in range(8)})
        assert not alert_sealed(a.model_copy(update={"sealed": False}), {f"T{i}" for i in range(9)})
    out = eng.process(make_event("opening.started", "T8", TS, {"room_id": "R1"}))
    assert {a.rule for a in out.alerts if not a.sealed} == {"BID-LOSER", "REJ-RATE"}


def test_record_keeps_a_cross_project_alert_sealed_even_if_its_flag_says_otherwise(store):
    """The record asks witness/sealing.py with the store's opened projects, not the flag."""
    from witness.record import from_store, render_record

    evs = [
        make_event("project.registered", p, "2026-11-20T08:00:00+08:00", {"name": p})
        for p in ("P1", "P2")
    ]
    evs.append(make_event("opening.started", "P2", "2026-11-20T10:00:00+08:00", {"room_id": "R"}))
    store.write(evs, [cross_alert(sealed=False)])
    with store.session() as s:  # as if a writer had unsealed it too early
        from witness.store.models import AlertRow

        row = s.get(AlertRow, cross_alert().alert_id)
        row.sealed = False
        s.add(row)
        s.commit()
    html = render_record(from_store(store, "P2"), fmt="html").decode("utf-8")
    assert "P2" in html and "P1-A" not in html and "0.93" not in html
    store.write(
        [make_event("opening.started", "P1", "2026-11-20T11:00:00+08:00", {"room_id": "R"})]
    )
    html = render_record(from_store(store, "P2"), fmt="html").decode("utf-8")
    assert "P1-A" in html

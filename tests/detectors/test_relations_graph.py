"""REL-34 and REL-40-1/2/2-IP/3: what must fire, the traps that must not, stable ids."""

from __future__ import annotations

from detectors.base import Context
from detectors.offline import run_detectors
from detectors.relations import RelationGraphDetector
from tests.support.relation_events import bid, by_rule, relation
from witness.config import Thresholds

P = "JY-2026-0100"
DEVICE = {"mac": "00-1A-2B-3C-4D-5E", "cpu_id": "BFEBFBFF000906EA", "disk_id": "WD-123"}


def rules(alerts) -> set[str]:
    return {a.rule for a in alerts}


# ---------------------------------------------------------------- REL-40-1


def test_same_machine_code_fires_once_per_value_and_grows():
    events = [
        bid(P, "A", n=1, submission={"machine_code": "MC-77"}),
        bid(P, "B", n=2, submission={"machine_code": "mc 77"}),
        bid(P, "C", n=3, submission={"machine_code": "MC-77"}),
        bid(P, "D", n=4, submission={"machine_code": "MC-99"}),
    ]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-40-1")
    assert len(alerts) == 1
    a = alerts[0]
    assert a.severity == "red"
    assert a.subjects == ["A", "B", "C"]
    assert a.evidence["attribute"] == "machine_code"
    assert {row["bidder_name"] for row in a.evidence["bidders"]} == {
        "A 建设有限公司",
        "B 建设有限公司",
        "C 建设有限公司",
    }


def test_dongle_and_file_creation_id_each_their_own_alert():
    events = [
        bid(P, "A", n=1, submission={"dongle_id": "K1", "file_creation_id": "F1"}),
        bid(P, "B", n=2, submission={"dongle_id": "K1", "file_creation_id": "F1"}),
    ]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-40-1")
    assert sorted(a.evidence["attribute"] for a in alerts) == ["dongle_id", "file_creation_id"]


# ---------------------------------------------------------------- REL-40-2 / -IP


def test_same_device_needs_all_three_parts():
    partial = dict(DEVICE, disk_id="OTHER")
    events = [
        bid(P, "A", n=1, submission=dict(DEVICE, ip="1.2.3.4")),
        bid(P, "B", n=2, submission=dict(DEVICE, ip="5.6.7.8")),
        bid(P, "C", n=3, submission=dict(partial, ip="9.9.9.9")),
    ]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-40-2")
    assert len(alerts) == 1
    assert alerts[0].subjects == ["A", "B"]
    assert alerts[0].evidence["attribute"] == "device"


def test_nat_ip_alone_is_only_orange_ip_rule():
    events = [
        bid(
            P,
            "A",
            n=1,
            submission={"ip": "202.96.1.10", "mac": "AA", "cpu_id": "1", "disk_id": "x"},
        ),
        bid(
            P,
            "B",
            n=2,
            submission={"ip": "202.96.1.10", "mac": "BB", "cpu_id": "2", "disk_id": "y"},
        ),
    ]
    alerts = run_detectors(events, [RelationGraphDetector()])
    assert rules(alerts) == {"REL-40-2-IP"}
    assert alerts[0].severity == "orange"
    assert alerts[0].subjects == ["A", "B"]


def test_venue_upload_exempt_from_device_ip_and_contact():
    venue = dict(DEVICE, ip="10.0.0.1", at_venue=True)
    contact = {"name": "王芳", "phone": "13800000000"}
    events = [
        bid(P, "A", n=1, submission=venue, contact=contact),
        bid(P, "B", n=2, submission=venue, contact=contact),
    ]
    assert run_detectors(events, [RelationGraphDetector()]) == []


def test_venue_upload_still_caught_by_machine_code():
    venue = dict(DEVICE, at_venue=True, machine_code="MC-1")
    events = [bid(P, "A", n=1, submission=venue), bid(P, "B", n=2, submission=venue)]
    assert rules(run_detectors(events, [RelationGraphDetector()])) == {"REL-40-1"}


def test_venue_contact_exemption_is_configurable():
    venue = {"at_venue": True}
    contact = {"phone": "+86 138-0000-0000"}
    events = [
        bid(P, "A", n=1, submission=venue, contact=contact),
        bid(P, "B", n=2, submission=venue, contact={"phone": "13800000000"}),
    ]
    ctx = Context(
        thresholds=Thresholds.defaults().with_overrides("REL-40-2", venue_exempt_contact=False)
    )
    alerts = run_detectors(events, [RelationGraphDetector()], ctx)
    assert [(a.rule, a.evidence["attribute"]) for a in alerts] == [("REL-40-2", "contact_phone")]


def test_same_contact_phone_and_email():
    events = [
        bid(P, "A", n=1, contact={"name": "王芳", "phone": "138 0000 0000", "email": "X@a.cn"}),
        bid(P, "B", n=2, contact={"name": "李强", "phone": "13800000000", "email": "x@a.cn "}),
    ]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-40-2")
    assert sorted(a.evidence["attribute"] for a in alerts) == ["contact_email", "contact_phone"]


def test_same_contact_name_with_different_phones_is_two_people():
    events = [
        bid(P, "A", n=1, contact={"name": "王芳", "phone": "13800000001"}),
        bid(P, "B", n=2, contact={"name": "王芳", "phone": "13900000002"}),
    ]
    assert run_detectors(events, [RelationGraphDetector()]) == []


def test_same_contact_name_without_contradiction_fires():
    events = [
        bid(P, "A", n=1, contact={"name": "王 芳", "phone": "13800000001"}),
        bid(P, "B", n=2, contact={"name": "王芳"}),
    ]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-40-2")
    assert [a.evidence["attribute"] for a in alerts] == ["contact_name"]


# ---------------------------------------------------------------- REL-40-3


def test_same_project_manager_cert():
    events = [
        bid(P, "A", n=1, pm={"name": "赵六", "cert_no": "京111-2020"}),
        bid(P, "B", n=2, pm={"name": "赵六", "cert_no": "京1112020"}),
        bid(P, "C", n=3, pm={"name": "赵六", "cert_no": "沪999"}),
    ]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-40-3")
    assert len(alerts) == 1 and alerts[0].subjects == ["A", "B"]


# ---------------------------------------------------------------- REL-34


def test_shared_legal_rep_by_id_number():
    rep = {"name": "张伟", "id_no": "110101199001011234"}
    events = [bid(P, "A", n=1, legal_rep=rep), bid(P, "B", n=2, legal_rep=rep)]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34")
    assert len(alerts) == 1
    a = alerts[0]
    assert a.subjects == ["A", "B"]
    assert a.evidence["controller"] == {"id": "110101199001011234", "name": "张伟"}
    assert a.evidence["bidders"][0]["path"] == [
        {
            "from": "110101199001011234",
            "from_name": "张伟",
            "kind": "legal_rep",
            "share": None,
            "to": "A",
            "to_name": "A 建设有限公司",
            "source": f"bid:{P}-bid-A-1",
        }
    ]


def test_same_name_different_id_numbers_are_different_people():
    events = [
        bid(P, "A", n=1, legal_rep={"name": "张伟", "id_no": "110101199001011234"}),
        bid(P, "B", n=2, legal_rep={"name": "张伟", "id_no": "320101198502023456"}),
    ]
    assert run_detectors(events, [RelationGraphDetector()]) == []


def test_different_people_same_surname_do_not_match():
    events = [
        bid(P, "A", n=1, legal_rep={"name": "张伟"}, contact={"name": "张伟"}),
        bid(P, "B", n=2, legal_rep={"name": "张强"}, contact={"name": "张强"}),
        bid(P, "C", n=3, legal_rep={"name": "张"}, directors=[{"name": "张丽"}]),
    ]
    assert run_detectors(events, [RelationGraphDetector()]) == []


def test_minority_shareholding_below_control_does_not_fire():
    events = [
        relation("A", "B", "shareholder", 0.30),
        bid(P, "A", n=1),
        bid(P, "B", n=2, shareholders=[{"id": "A", "name": "A 建设有限公司", "share": 0.49}]),
    ]
    assert run_detectors(events, [RelationGraphDetector()]) == []


def test_direct_control_from_bid_party_data():
    events = [
        bid(P, "A", n=1),
        bid(P, "B", n=2, shareholders=[{"id": "A", "name": "A 建设有限公司", "share": 0.6}]),
    ]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34")
    assert len(alerts) == 1
    ev = alerts[0].evidence
    assert ev["controller"]["id"] == "A"
    path_b = next(b["path"] for b in ev["bidders"] if b["bidder_id"] == "B")
    assert [(s["from"], s["kind"], s["share"], s["to"]) for s in path_b] == [
        ("A", "shareholder", 0.6, "B")
    ]


def test_multi_hop_control_through_registry():
    """Holding H controls X (registry) which controls C (registry); H's person rep is on A."""
    events = [
        relation("H", "X", "shareholder", 0.7),
        relation("X", "C", "shareholder", 0.51),
        relation("P1", "H", "legal_rep"),
        relation("Y", "C", "shareholder", 0.2),  # minority: ignored
        bid(P, "A", n=1, legal_rep={"name": "陈一", "id_no": "P1"}),
        bid(P, "C", n=2),
        bid(P, "D", n=3),
    ]
    alerts = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34")
    assert len(alerts) == 1
    a = alerts[0]
    assert a.subjects == ["A", "C"]
    assert a.evidence["controller"]["id"] == "P1"
    path_c = next(b["path"] for b in a.evidence["bidders"] if b["bidder_id"] == "C")
    assert [(s["from"], s["kind"], s["to"]) for s in path_c] == [
        ("P1", "legal_rep", "H"),
        ("H", "shareholder", "X"),
        ("X", "shareholder", "C"),
    ]
    assert path_c[0]["source"].startswith("registry:")


def test_chain_longer_than_max_hops_is_not_followed():
    events = [
        relation("H", "X", "shareholder", 0.7),
        relation("X", "C", "shareholder", 0.7),
        relation("H", "A", "shareholder", 0.7),
        bid(P, "A", n=1),
        bid(P, "C", n=2),
    ]
    ctx = Context(thresholds=Thresholds.defaults().with_overrides("REL-34", max_hops=1))
    assert run_detectors(events, [RelationGraphDetector()], ctx) == []
    assert len(by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34")) == 1


def test_expired_registry_fact_does_not_count():
    events = [
        relation("A", "B", "shareholder", 0.8, until="2020-01-01"),
        bid(P, "A", n=1),
        bid(P, "B", n=2),
    ]
    assert run_detectors(events, [RelationGraphDetector()]) == []


def test_direct_controller_named_and_group_grows_with_stable_id():
    """B controls C: the alert names B; when A (controls B) bids, one maximal group A,B,C."""
    events = [
        relation("B", "C", "shareholder", 0.9),
        relation("A", "B", "shareholder", 0.9),
        bid(P, "B", n=1),
        bid(P, "C", n=2),
    ]
    first = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34")
    assert [a.evidence["controller"]["id"] for a in first] == ["B"]
    grown = by_rule(run_detectors([*events, bid(P, "A", n=3)], [RelationGraphDetector()]), "REL-34")
    latest = [a for a in grown if a.subjects == ["A", "B", "C"]]
    assert len(latest) == 1 and latest[0].evidence["controller"]["id"] == "A"


def test_director_relation_configurable():
    events = [
        relation("P9", "A", "director"),
        relation("P9", "B", "director"),
        bid(P, "A", n=1),
        bid(P, "B", n=2),
    ]
    assert len(by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34")) == 1
    ctx = Context(
        thresholds=Thresholds.defaults().with_overrides("REL-34", director_is_control=False)
    )
    assert run_detectors(events, [RelationGraphDetector()], ctx) == []


# ---------------------------------------------------------------- determinism


def test_alert_ids_deterministic_and_order_independent():
    rep = {"name": "张伟", "id_no": "ID-1"}
    events = [
        bid(P, "A", n=1, legal_rep=rep, submission=dict(DEVICE, machine_code="M")),
        bid(P, "B", n=2, legal_rep=rep, submission=dict(DEVICE, machine_code="M")),
        bid(P, "C", n=3, submission=dict(DEVICE, machine_code="M")),
    ]
    a1 = run_detectors(events, [RelationGraphDetector()])
    a2 = run_detectors(list(reversed(events)), [RelationGraphDetector()])
    ids1 = {(a.rule, a.alert_id, tuple(a.subjects)) for a in a1}
    ids2 = {(a.rule, a.alert_id, tuple(a.subjects)) for a in a2}
    assert ids1 == ids2
    assert {r for r, _, _ in ids1} == {"REL-34", "REL-40-1", "REL-40-2"}
    # another project: same case, different id
    other = [e.model_copy(update={"project_id": "JY-OTHER"}) for e in events]
    ids3 = {a.alert_id for a in run_detectors(other, [RelationGraphDetector()])}
    assert ids3.isdisjoint({i for _, i, _ in ids1})


def test_resubmitted_bid_replaces_old_attributes():
    events = [
        bid(P, "A", n=1, submission={"machine_code": "M1"}),
        bid(P, "B", n=2, submission={"machine_code": "M2"}),
        bid(P, "B", n=3, submission={"machine_code": "M1"}),
        bid(P, "B", n=4, submission={"machine_code": "M3"}),
        bid(P, "C", n=5, submission={"machine_code": "M2"}),
    ]
    alerts = run_detectors(events, [RelationGraphDetector()])
    # the M1 case was raised while B's second bid stood; M2 never had two holders
    assert [(a.evidence["value"], a.subjects) for a in alerts] == [("M1", ["A", "B"])]


def test_resubmission_keeps_control_declared_by_another_bidder():
    events = [
        bid(P, "B", n=1, shareholders=[{"id": "A", "name": "A 建设有限公司", "share": 0.7}]),
        bid(P, "A", n=2),
        bid(P, "A", n=3, submission={"machine_code": "X"}),
    ]
    alerts = run_detectors(events, [RelationGraphDetector()])
    final = by_rule(alerts, "REL-34")
    assert len(final) == 1 and final[0].subjects == ["A", "B"]
    assert final[0].event_ids == [f"{P}-bid-A-3", f"{P}-bid-B-1"]


def test_engine_seals_relation_alerts_until_opening():
    from detectors.engine import Engine
    from detectors.prices import PriceDetector
    from detectors.rings import RingDetector
    from tests.support.relation_events import ts
    from witness.events import make_event

    engine = Engine([RelationGraphDetector(), PriceDetector(), RingDetector()])
    sub = {"machine_code": "MC-1"}
    out = engine.process(bid(P, "A", n=1, submission=sub)).alerts
    out += engine.process(bid(P, "B", n=2, submission=sub)).alerts
    rel = [a for a in out if a.rule == "REL-40-1"]
    assert len(rel) == 1 and rel[0].sealed is True
    opened = engine.process(
        make_event("opening.started", P, ts(60), {"room_id": "R1"}, event_id="open")
    ).alerts
    assert [(a.rule, a.sealed) for a in opened if a.rule == "REL-40-1"] == [("REL-40-1", False)]

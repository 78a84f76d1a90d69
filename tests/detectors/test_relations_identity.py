"""REL-34 on realistic identities: common names never tie firms, registry facts that
arrive after the bids still do (while the project is live), and replay agrees."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import Context
from detectors.offline import run_detectors
from detectors.relations import RelationGraphDetector
from tests.support.relation_events import bid, by_rule, relation, ts
from witness.events import make_event

COMMON = ["王伟", "李娜", "张伟", "王芳", "刘洋", "陈静"]


def test_two_legal_representatives_called_wang_wei_without_ids_are_two_people():
    events = [
        bid("P", "A", legal_rep={"name": "王伟"}),
        bid("P", "B", n=1, legal_rep={"name": "王伟"}),
        bid("P", "C", n=2, legal_rep={"name": "王 伟"}),
    ]
    assert by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34") == []


def test_a_shareholder_named_without_an_id_controls_nobody_by_name():
    holder = [{"name": "王伟", "share": 0.8}]
    events = [bid("P", "A", shareholders=holder), bid("P", "B", n=1, shareholders=holder)]
    assert by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34") == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(COMMON), min_size=2, max_size=8))
def test_names_alone_never_raise_rel34(reps):
    events = [
        bid("P", f"B{i}", n=i, legal_rep={"name": n}, directors=[{"name": n}])
        for i, n in enumerate(reps)
    ]
    assert by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34") == []


def _late_fact(a: str, b: str, kind: str, minutes: float, share: float | None = None):
    payload = {"a": a, "b": b, "kind": kind, "share": share, "source": "SAMR"}
    return make_event(
        "registry.relation", "*", ts(minutes), payload, event_id=f"late-{a}-{b}-{kind}"
    )


def test_a_registry_fact_after_the_bids_is_judged_while_the_project_is_live():
    events = [
        bid("P", "A", legal_rep={"name": "王伟", "id_no": "110101198001010011"}),
        bid("P", "B", n=1),
        _late_fact("110101198001010011", "B", "legal_rep", 30),
    ]
    [alert] = by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34")
    assert alert.project_id == "P" and alert.subjects == ["A", "B"]
    assert alert.first_seen == ts(30)
    paths = [link["source"] for b in alert.evidence["bidders"] for link in b["path"]]
    assert any(s.startswith("registry:") for s in paths)


def test_a_fact_after_archive_raises_nothing_and_other_projects_are_untouched():
    events = [
        bid("P", "A", legal_rep={"name": "王伟", "id_no": "110101198001010011"}),
        bid("P", "B", n=1),
        make_event("project.archived", "P", ts(5), {}, event_id="arch-P"),
        bid("Q", "C", n=6),
        bid("Q", "D", n=7),
        _late_fact("110101198001010011", "B", "legal_rep", 30),
    ]
    assert by_rule(run_detectors(events, [RelationGraphDetector()]), "REL-34") == []


def test_live_and_replay_agree_whatever_the_order_of_facts_and_bids():
    """The full engine, facts before the bids (the worker read the registry first) or
    after them (a late registry feed): the same REL-34 alert, by id."""
    person = {"name": "王伟", "id_no": "110101198001010011"}
    bids = [bid("P", "A", legal_rep=person), bid("P", "B", n=1), bid("P", "C", n=2)]
    early = [relation("110101198001010011", "B", "legal_rep"), *bids]
    late = [*bids, _late_fact("110101198001010011", "B", "legal_rep", 30)]
    ids = []
    for events in (early, late):
        alerts = run_detectors(events, None, Context())
        ids.append(sorted(a.alert_id for a in alerts if a.rule == "REL-34"))
    assert ids[0] == ids[1] and len(ids[0]) == 1


def test_an_unrelated_fact_after_the_bids_leaves_the_alert_as_it_was():
    """Live, every new registry fact re-judges every live project: a fact about other
    firms, stamped before the bids, must not move the alert's first_seen to its time."""
    person = {"name": "王伟", "id_no": "110101198001010011"}
    bids = [bid("P", "A", legal_rep=person), bid("P", "B", n=1, legal_rep=person)]
    [before] = by_rule(run_detectors(bids, [RelationGraphDetector()]), "REL-34")
    other = _late_fact("F-1", "F-1-CO", "legal_rep", -60)
    [after] = by_rule(run_detectors([*bids, other], [RelationGraphDetector()]), "REL-34")
    assert after == before and after.first_seen == bids[1].ts  # raised at the second bid


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=6))
def test_unrelated_facts_anywhere_in_the_stream_give_replay_s_alerts(positions):
    """The fault suite's case: filler facts about other firms land between the bids (a
    registry feed running beside the projects); the alerts are those of the facts first."""
    person = {"name": "王伟", "id_no": "110101198001010011"}
    events = [
        relation("P-9", "C-9", "legal_rep"),
        bid("P", "A", legal_rep=person),
        bid("P", "B", n=1, legal_rep=person),
        bid("Q", "C-9", n=2),
        bid("Q", "D", n=3, legal_rep={"name": "李娜", "id_no": "P-9"}),
        bid("P", "E", n=4),
    ]
    filler = [_late_fact(f"F-{i}", f"F-{i}-CO", "employment", -60 + i) for i in range(6)]
    mixed = list(events)
    for fact, at in sorted(zip(filler, positions, strict=False), key=lambda x: -x[1]):
        mixed.insert(min(at, len(mixed)), fact)
    first = run_detectors([*filler, *events], None, Context())
    live = run_detectors(mixed, None, Context())
    assert by_rule(first, "REL-34") and live == first

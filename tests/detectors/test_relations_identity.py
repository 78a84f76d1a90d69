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

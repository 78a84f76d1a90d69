"""EXP-DEV is judged against the committee, not against the first two scores in.

Found by `witness evaluate --seeds 1,2,3 --projects 200` (seed 2, JY-2026-0161): on a
15-point item scored in tiers, an honest expert gave 10.5 first; with two of six other
scores in (8.25 and 6.5) the "others' mean" was 7.375 and 10.5 deviated by 3.125 > 3.
The other four then gave 8.25, the mean became 7.96, nothing deviated - and the orange
alert stayed listed ("no longer deviating") for a score nobody disputes. Experts score
in parallel, so half-filled cells are normal while the committee works.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.base import Context
from detectors.experts import ScoringDetector
from tests.detectors.conftest import by_rule, ev, expert, fold, score, tiered_committee
from witness.config import Thresholds

COMMITTEE = ["E115", "E183", "E099", "E140", "R611", "E038", "E062"]
SEED2_CELL = [10.5, 8.25, 6.5, 8.25, 8.25, 8.25, 8.25]  # in order of arrival


def _old_rule() -> Context:
    """The rule as it was: judged as soon as two other scores are in."""
    th = Thresholds.defaults().with_overrides("EXP-DEV", min_peer_share=0.0)
    return Context(thresholds=th)


def _seed2(assigned: bool) -> list:
    events = [expert(e) for e in COMMITTEE] if assigned else []
    if not assigned:  # the committee known only from its sheets: everyone scores B0 first
        events += [score(e, "B0", "plan", 8.25, mx=15, at=10) for e in COMMITTEE]
    events += [
        score(e, "B1", "plan", v, mx=15, at=20 + k)
        for k, (e, v) in enumerate(zip(COMMITTEE, SEED2_CELL, strict=True))
    ]
    return events


def test_one_tier_up_against_two_early_scores_is_no_deviation():
    events = _seed2(assigned=True)
    assert by_rule(fold(ScoringDetector(), events, _old_rule()), "EXP-DEV"), "the trap bites"
    assert by_rule(fold(ScoringDetector(), events), "EXP-DEV") == []


def test_the_committee_is_known_from_the_sheets_without_assignments():
    events = _seed2(assigned=False)
    assert by_rule(fold(ScoringDetector(), events, _old_rule()), "EXP-DEV")
    assert by_rule(fold(ScoringDetector(), events), "EXP-DEV") == []


def test_a_real_deviation_fires_when_the_last_member_scores_the_cell():
    det, ctx = ScoringDetector(), Context()
    state = det.initial()
    for e in COMMITTEE:
        state, _ = det.step(state, expert(e), ctx)
    values = [4.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0]  # E115 far below six agreeing peers
    raised_at = []
    for k, (e, v) in enumerate(zip(COMMITTEE, values, strict=True)):
        state, alerts = det.step(state, score(e, "B1", "plan", v, mx=15, at=20 + k), ctx)
        if by_rule(alerts, "EXP-DEV"):
            raised_at.append(k)
    assert raised_at == [6]  # not before the committee's mean exists
    [alert] = by_rule(fold(det, [expert(e) for e in COMMITTEE] + _cell(values)), "EXP-DEV")
    [row] = alert.evidence["deviating"]
    assert alert.subjects == ["E115"] and row["score"] == 4.0 and len(row["others"]) == 6


def _cell(values: list[float], members: list[str] = COMMITTEE) -> list:
    return [
        score(e, "B1", "plan", v, mx=15, at=20 + k)
        for k, (e, v) in enumerate(zip(members, values, strict=True))
    ]


def test_a_cell_a_member_never_scores_is_judged_when_the_evaluation_finishes():
    events = [expert(e) for e in COMMITTEE]
    events += _cell([4.0, 12.0, 12.0, 12.0, 12.0, 12.0], COMMITTEE[:6])  # E062 never scores
    assert by_rule(fold(ScoringDetector(), events), "EXP-DEV") == []  # still waiting
    events.append(ev("evaluation.finished", {"room_id": "R2"}, at=90))
    [alert] = by_rule(fold(ScoringDetector(), events), "EXP-DEV")
    assert alert.subjects == ["E115"] and len(alert.evidence["deviating"][0]["others"]) == 5


def _parallel(rng: random.Random, table: dict, assigned: bool = True) -> list:
    """Experts score at the same time: each in its own order, interleaved at random."""
    queues = {e: [(b, i, v) for (b, i), v in cells.items()] for e, cells in table.items()}
    events = [expert(e) for e in table] if assigned else []
    minute = 0.0
    while any(queues.values()):
        e = rng.choice(sorted(k for k, q in queues.items() if q))
        b, i, v = queues[e].pop(0)
        minute += 0.1
        events.append(score(e, b, i, v, mx=15 if i == "t1" else 10, at=minute))
    return events


def _withdrawn(alerts) -> list:
    """Alerts that ended with nothing deviating: raised on a mean the committee denied."""
    return [a for a in by_rule(alerts, "EXP-DEV") if not a.evidence["deviating"]]


def test_honest_tiered_committees_scoring_in_parallel_raise_no_interim_alerts():
    rng = random.Random(20261202)
    old = new = 0
    committees = 200
    for _ in range(committees):
        table = tiered_committee(
            rng, rng.choice([5, 7, 9]), rng.randint(3, 8), off=rng.uniform(0.1, 0.35)
        )
        events = _parallel(rng, table)
        old += bool(_withdrawn(fold(ScoringDetector(), events, _old_rule())))
        new += bool(_withdrawn(fold(ScoringDetector(), events)))
    assert old >= committees // 5, f"the old rule should bite: {old} of {committees}"
    assert new == 0, f"{new} of {committees} honest committees got an interim-only alert"


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    experts=st.sampled_from([3, 5, 7, 9]),
)
def test_without_corrections_every_alert_raised_still_holds_at_the_end(seed, experts):
    """Whatever the arrival order, a deviation raised on an assigned committee is one the
    complete sheet confirms (only a corrected score may turn it into "no longer").
    Without `expert.assigned` the committee is whoever has scored so far, and a member
    who starts late can still make an early judgement premature: that is the limit."""
    rng = random.Random(seed)
    table = tiered_committee(rng, experts, rng.randint(2, 5), off=0.35)
    if rng.random() < 0.5:  # sometimes one real outlier
        e = rng.choice(sorted(table))
        cell = rng.choice(sorted(table[e]))
        table[e][cell] = 0.0
    events = _parallel(rng, table)
    alerts = fold(ScoringDetector(), events)
    assert _withdrawn(alerts) == []

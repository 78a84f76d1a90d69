"""Property tests for the scoring rules: honest bands never fire, order does not matter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.experts import ScoringDetector
from tests.detectors.conftest import by_rule, fold, score

EXPERTS = [f"E{i}" for i in range(5)]
CELLS = [(b, i) for b in ("B1", "B2", "B3") for i in ("t1", "t2")]
FEW = settings(max_examples=40, deadline=None)

#: per cell a centre, per (expert, cell) an offset in [-1.5, 1.5] in half points
centres = st.lists(st.integers(4, 16), min_size=len(CELLS), max_size=len(CELLS))
offsets = st.lists(
    st.sampled_from([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]),
    min_size=len(CELLS) * len(EXPERTS),
    max_size=len(CELLS) * len(EXPERTS),
)


def sheet(cs: list[int], offs: list[float]) -> list:
    events = []
    for k, (b, i) in enumerate(CELLS):
        for j, e in enumerate(EXPERTS):
            events.append(score(e, b, i, cs[k] + offs[k * len(EXPERTS) + j]))
    return events


@FEW
@given(centres, offsets)
def test_scores_within_three_points_of_each_other_never_deviate(cs, offs) -> None:
    # every score is within 1.5 of the cell's centre, so within 3 of the others' mean
    assert by_rule(fold(ScoringDetector(), sheet(cs, offs)), "EXP-DEV") == []


@FEW
@given(centres, offsets, st.randoms(use_true_random=False))
def test_final_deviations_do_not_depend_on_arrival_order(cs, offs, rnd) -> None:
    events = sheet(cs, offs)
    # plant one wild score so that something fires
    events[7] = score("E2", "B1", "t2", 0.0 if cs[1] > 8 else 20.0)
    shuffled = events[:]
    rnd.shuffle(shuffled)

    def current(evts: list) -> set:
        out = set()
        for a in by_rule(fold(ScoringDetector(), evts), "EXP-DEV"):
            out |= {(a.subjects[0], r["bidder_id"], r["item_id"]) for r in a.evidence["deviating"]}
        return out

    assert current(events) == current(shuffled)
    assert ("E2", "B1", "t2") in current(events)


@FEW
@given(st.lists(st.integers(0, 10), min_size=len(CELLS), max_size=len(CELLS)))
def test_objective_agreement_never_fires_obj(values) -> None:
    events = [
        score(e, b, i, values[k], kind="objective", mx=10)
        for k, (b, i) in enumerate(CELLS)
        for e in EXPERTS
    ]
    alerts = fold(ScoringDetector(), events)
    assert by_rule(alerts, "EXP-OBJ") == [] and by_rule(alerts, "EXP-CLIQUE") == []

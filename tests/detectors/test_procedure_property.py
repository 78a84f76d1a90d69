"""Property tests: the lifecycle state machine against an independent, declarative oracle.

The oracle does not walk phases. It says, for each event type, which milestones must
already have happened (at least one of them) and which must not have happened yet, and
reads the phase off the latest milestone seen. Random orders, random subsequences and
repeats of one lifecycle are fed to the detector: it must not raise, and it must raise
exactly one PROC-ORDER alert per distinct out-of-order step, first at the right event.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.base import Context
from detectors.offline import run_detectors
from detectors.procedure import ProcedureDetector
from tests.detectors.conftest import T0, expert_detectors, fold
from witness.events import Event, make_event

REG, BID, OPEN, EVAL, FIN, ARCH = (
    "project.registered",
    "bid.submitted",
    "opening.started",
    "evaluation.started",
    "evaluation.finished",
    "project.archived",
)
#: Milestones in lifecycle order, and the phase each one starts.
MILESTONES = [REG, BID, OPEN, EVAL, FIN, ARCH]
PHASE_OF = dict(
    zip(
        MILESTONES,
        ["registered", "bidding", "opening", "evaluation", "finished", "archived"],
        strict=True,
    )
)
LATER_THAN_BIDDING = {OPEN, EVAL, FIN, ARCH}

#: type -> (at least one of these must have happened before, none of these may have)
ORACLE: dict[str, tuple[set[str] | None, set[str]]] = {
    REG: (None, LATER_THAN_BIDDING),
    BID: ({REG, BID}, LATER_THAN_BIDDING),
    "document.submitted": ({REG, BID}, LATER_THAN_BIDDING),
    "expert.assigned": ({REG, BID, OPEN, EVAL}, {FIN, ARCH}),
    OPEN: ({REG, BID, OPEN}, {EVAL, FIN, ARCH}),
    "bid.opened": ({OPEN}, {EVAL, FIN, ARCH}),
    "opening.closed": ({OPEN}, {EVAL, FIN, ARCH}),
    EVAL: ({OPEN, EVAL}, {FIN, ARCH}),
    "score.submitted": ({EVAL}, {FIN, ARCH}),
    "expert.activity": ({EVAL}, {FIN, ARCH}),
    FIN: ({EVAL, FIN}, {ARCH}),
    ARCH: ({FIN, ARCH}, set()),
}

DEADLINE_MIN = 10  # bid_deadline = T0 + 10 min; event i happens at T0 + i min

TEMPLATES: list[tuple[str, dict]] = [
    (REG, {"name": "p", "bid_deadline": (T0 + timedelta(minutes=DEADLINE_MIN)).isoformat()}),
    (BID, {"bidder": {"id": "B1", "name": "甲"}, "price": 100.0}),
    (BID, {"bidder": {"id": "B2", "name": "乙"}, "price": 101.0}),
    (BID, {"bidder": {"id": "B3", "name": "丙"}, "price": 102.0}),
    ("document.submitted", {"doc_id": "D1", "owner": "B1", "kind": "technical"}),
    ("expert.assigned", {"expert": {"id": "E1"}}),
    (OPEN, {"room_id": "R1"}),
    ("bid.opened", {"bidder_id": "B1", "price": 100.0}),
    ("opening.closed", {"room_id": "R1"}),
    (EVAL, {"room_id": "R2"}),
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
    ("expert.activity", {"expert_id": "E1", "action": "score_click"}),
    (FIN, {"room_id": "R2", "ranking": [{"bidder_id": "B1", "rank": 1}]}),
    (ARCH, {}),
]


def build(indices: list[int]) -> list[Event]:
    """Template i at position k becomes an event at T0 + k minutes, with a unique id."""
    return [
        make_event(t, "P", T0 + timedelta(minutes=k), dict(p), event_id=f"e{k}")
        for k, (t, p) in enumerate(TEMPLATES[i] for i in indices)
    ]


def oracle(events: list[Event]) -> tuple[dict[tuple[str, str], int], set[str]]:
    """Expected PROC-ORDER steps -> index of first occurrence; expected late bidders
    (any submission or modification accepted after the deadline makes its bidder late)."""
    seen: set[str] = set()
    expected: dict[tuple[str, str], int] = {}
    registered = any(e.type == REG for e in events)
    bids: dict[str, list[Event]] = {}
    for k, e in enumerate(events):
        need, forbid = ORACLE[e.type]
        latest = [m for m in MILESTONES if m in seen]
        phase = PHASE_OF[latest[-1]] if latest else "unregistered"
        if (need is not None and not need & seen) or forbid & seen:
            expected.setdefault((e.type, phase), k)
        if e.type == OPEN and REG in seen and e.ts < T0 + timedelta(minutes=DEADLINE_MIN):
            expected.setdefault((OPEN, "before bid_deadline"), k)
        if e.type == BID:
            bids.setdefault(e.payload.bidder.id, []).append(e)
        seen.add(e.type)
    late = {
        b
        for b, subs in bids.items()
        if registered and any(e.ts > T0 + timedelta(minutes=DEADLINE_MIN) for e in subs)
    }
    return expected, late


def observe(events: list[Event]) -> tuple[dict[str, tuple[str, str]], dict[str, int], set[str]]:
    """Run the detector; alert id -> step, alert id -> index first raised, late bidders."""
    det, ctx = ProcedureDetector(), Context()
    state = det.initial()
    step_of: dict[str, tuple[str, str]] = {}
    first_at: dict[str, int] = {}
    late: set[str] = set()
    for k, e in enumerate(events):
        state, alerts = det.step(state, e, ctx)
        for a in alerts:
            if a.rule == "PROC-ORDER":
                step_of[a.alert_id] = (a.evidence["step"], a.evidence["phase"])
                first_at.setdefault(a.alert_id, k)
            elif a.rule == "PROC-LATE":
                late.update(a.subjects)
    return step_of, first_at, late


lifecycle_orders = st.lists(st.integers(0, len(TEMPLATES) - 1), max_size=30)
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(lifecycle_orders)
def test_every_out_of_order_step_flagged_exactly_once(indices: list[int]) -> None:
    events = build(indices)
    expected, late_expected = oracle(events)
    step_of, first_at, late = observe(events)
    # one alert id per step, and one step per alert id
    assert sorted(step_of.values()) == sorted(set(step_of.values()))
    assert set(step_of.values()) == set(expected)
    # raised at the first offending event
    assert {step_of[a]: k for a, k in first_at.items()} == expected
    assert late == late_expected


@FAST
@given(st.permutations(list(range(len(TEMPLATES)))))
def test_shuffled_complete_lifecycle(order: list[int]) -> None:
    events = build(order)
    expected, _ = oracle(events)
    step_of, _, _ = observe(events)
    assert set(step_of.values()) == set(expected)
    if order == sorted(order):
        assert expected == {(OPEN, "before bid_deadline"): 6}  # opening at T0+6 < deadline


def test_canonical_lifecycle_after_the_deadline_is_clean() -> None:
    indices = list(range(len(TEMPLATES)))
    events = build(indices)
    # push every event past the deadline except the bids
    events = [
        e if e.type in (REG, BID) else e.model_copy(update={"ts": e.ts + timedelta(hours=1)})
        for e in events
    ]
    assert oracle(events)[0] == {}
    alerts = fold(ProcedureDetector(), events).values()
    assert [a for a in alerts if a.rule in ("PROC-ORDER", "PROC-LATE")] == []
    assert {a.rule for a in alerts} == {"PROC-FEW"}  # only B1 is read out in the template


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(TEMPLATES) - 1), max_size=25), st.data())
def test_engine_with_duplicates_never_raises(indices: list[int], data: st.DataObject) -> None:
    events = build(indices)
    if events:
        dup = data.draw(st.lists(st.sampled_from(events), max_size=5))
        events = events + dup  # re-delivered: same event ids
    alerts = run_detectors(events, expert_detectors())
    ids = [a.alert_id for a in alerts]
    assert len(ids) == len(set(ids))
    assert all(a.rule.startswith(("PROC", "EXP")) for a in alerts)

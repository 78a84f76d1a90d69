"""EVAL-* (评标报告核验): the report at `evaluation.finished` against the scores behind it."""

from __future__ import annotations

import json
from statistics import fmean

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import detectors
from detectors.base import Context
from detectors.evaluation import EvaluationReportDetector, recompute
from detectors.offline import run_detectors
from tests.detectors.conftest import bid, by_rule, ev, fold, score
from witness.config import Thresholds
from witness.events import ContractError, make_event, parse_event

EXPERTS = ["E1", "E2", "E3"]
ITEMS = {"tech": 40.0, "service": 20.0}
PRICES = {"B1": 980_000.0, "B2": 950_000.0, "B3": 990_000.0}


def sheet(b1: float = 0.0) -> dict[tuple[str, str, str], float]:
    """Scores that rank B1 > B2 > B3 (b1 shifts B1's tech scores)."""
    base = {"B1": 30.0 + b1, "B2": 28.0, "B3": 20.0}
    out = {}
    for k, e in enumerate(EXPERTS):
        for b, v in base.items():
            out[(e, b, "tech")] = v + k * 0.5
            out[(e, b, "service")] = 15.0 - k
    return out


def platform_ranking(cells: dict, bidders: list[str] | None = None) -> list[dict]:
    """What an honest platform reports: the mean of the experts' sums, rounded, sorted."""
    sums: dict[str, dict[str, float]] = {}
    for (e, b, _), s in cells.items():
        sums.setdefault(b, {}).setdefault(e, 0.0)
        sums[b][e] += s
    totals = {b: round(fmean(per.values()), 2) for b, per in sums.items()}
    order = sorted(totals, key=lambda b: (-totals[b], PRICES.get(b, 0), b))
    if bidders is not None:
        order = [b for b in order if b in bidders]
    return [{"bidder_id": b, "total": totals[b], "rank": r + 1} for r, b in enumerate(order)]


def project(cells: dict, ranking: list[dict], method: str | None = "综合评分法") -> list:
    events = [ev("project.registered", {"name": "测试项目", "evaluation_method": method}, -5000)]
    events += [bid(b, price=p) for b, p in PRICES.items()]
    events += [ev("bid.opened", {"bidder_id": b, "price": p}, -50) for b, p in PRICES.items()]
    events += [score(e, b, item, s, mx=ITEMS[item]) for (e, b, item), s in sorted(cells.items())]
    events.append(ev("evaluation.finished", {"room_id": "R2", "ranking": ranking}, 120))
    return events


def run(events, ctx: Context | None = None):
    return fold(EvaluationReportDetector(), events, ctx)


def evals(alerts) -> list:
    return [a for a in alerts.values() if a.rule.startswith("EVAL-")]


def test_an_honest_report_raises_nothing():
    cells = sheet()
    assert evals(run(project(cells, platform_ranking(cells)))) == []


def test_a_wrong_total_is_flagged_with_the_recomputation():
    cells = sheet()
    ranking = platform_ranking(cells)
    ranking[1]["total"] += 1.5  # B2
    alerts = by_rule(run(project(cells, ranking)), "EVAL-TOTAL")
    assert len(alerts) == 1
    a = alerts[0]
    ev_ = a.evidence
    assert ev_["bidder_id"] == "B2"
    assert ev_["recomputed_total"] == pytest.approx(ev_["reported_total"] - 1.5)
    sums = ev_["expert_sums"]
    assert set(sums) == set(EXPERTS)
    assert fmean(sums.values()) == pytest.approx(ev_["recomputed_total"], abs=1e-3)
    assert a.subjects == ["B2"]
    assert a.severity == "red" and a.legal_basis.startswith("财政部令第87号")


def test_rounding_within_the_tolerance_is_quiet_and_the_tolerance_is_configurable():
    cells = sheet()
    ranking = platform_ranking(cells)
    ranking[0]["total"] += 0.01
    assert by_rule(run(project(cells, ranking)), "EVAL-TOTAL") == []
    strict = Context(thresholds=Thresholds({"EVAL-TOTAL": {"tolerance": 0.001}}))
    assert len(by_rule(run(project(cells, ranking), strict), "EVAL-TOTAL")) == 1


def test_a_corrected_score_replaces_the_first_one():
    cells = sheet()
    events = project(cells, platform_ranking(cells))
    wrong = score("E1", "B1", "tech", 1.0, mx=40, at=10)  # later corrected by the sheet's score
    events.insert(-1 - len(cells), wrong)
    assert evals(run(events)) == []


@pytest.mark.parametrize("value", [40.5, -1.0])
def test_a_score_outside_its_range_is_flagged(value):
    cells = sheet()
    cells[("E2", "B3", "tech")] = value
    alerts = by_rule(run(project(cells, platform_ranking(cells))), "EVAL-RANGE")
    assert len(alerts) == 1
    a = alerts[0]
    assert a.evidence["expert_id"] == "E2"
    assert a.evidence["cells"] == [
        {"bidder_id": "B3", "item_id": "tech", "score": value, "range": [0, 40.0]}
    ]
    assert set(a.subjects) == {"E2", "B3"}


def test_the_edges_of_the_range_are_legal():
    cells = sheet()
    cells[("E1", "B1", "tech")] = 40.0
    cells[("E1", "B3", "service")] = 0.0
    assert by_rule(run(project(cells, platform_ranking(cells))), "EVAL-RANGE") == []


def test_a_negative_score_passes_the_contract_but_nan_and_infinite_ranges_do_not():
    ok = make_event(
        "score.submitted",
        "P",
        "2026-11-20T09:00:00+08:00",
        {
            "expert_id": "E",
            "bidder_id": "B",
            "item_id": "i",
            "kind": "objective",
            "score": -2,
            "max_score": 10,
        },
    )
    assert ok.payload.score == -2
    envelope = {"event_id": "x", "type": "score.submitted", "project_id": "P", "source": "t"}
    envelope["ts"] = "2026-11-20T09:00:00+08:00"
    base = {"expert_id": "E", "bidder_id": "B", "item_id": "i", "kind": "objective"}
    for bad in ({"score": float("nan"), "max_score": 10}, {"score": 1, "max_score": float("inf")}):
        raw = json.dumps({**envelope, "payload": {**base, **bad}})  # NaN / Infinity literals
        with pytest.raises(ContractError):
            parse_event(raw)


def test_unscored_cells_are_flagged_per_expert_and_bidder():
    cells = sheet()
    del cells[("E3", "B2", "service")]
    alerts = by_rule(run(project(cells, platform_ranking(cells))), "EVAL-MISSING")
    assert len(alerts) == 1
    a = alerts[0]
    assert a.evidence["missing_items"] == ["service"]
    assert (a.evidence["expert_id"], a.evidence["bidder_id"]) == ("E3", "B2")
    assert set(a.subjects) == {"E3", "B2"} and a.severity == "orange"
    # the platform summed what it had, so the totals still agree
    assert by_rule(run(project(cells, platform_ranking(cells))), "EVAL-TOTAL") == []


def test_a_ranked_bidder_nobody_scored_is_missing_for_every_expert():
    cells = sheet()
    ranking = platform_ranking(cells) + [{"bidder_id": "B9", "total": 1.0, "rank": 4}]
    missing = by_rule(run(project(cells, ranking)), "EVAL-MISSING")
    assert sorted(a.evidence["expert_id"] for a in missing) == EXPERTS
    assert {a.evidence["bidder_id"] for a in missing} == {"B9"}


def test_ranks_against_the_totals_are_flagged():
    cells = sheet()
    ranking = platform_ranking(cells)
    ranking[0]["rank"], ranking[1]["rank"] = 2, 1
    alerts = by_rule(run(project(cells, ranking)), "EVAL-ORDER")
    assert len(alerts) == 1
    problems = alerts[0].evidence["problems"]
    assert problems == [
        {"problem": "lower_total_ranked_higher", "ranked_higher": "B2", "ranked_lower": "B1"}
    ]
    rows = alerts[0].evidence["ranking"]
    assert [r["bidder_id"] for r in rows] == ["B2", "B1", "B3"]
    assert all(r["recomputed_total"] is not None for r in rows)


def _tied() -> tuple[dict, list[dict]]:
    """B1 and B2 tie on the total; B2 has the lower price, so B2 ranks first."""
    cells = sheet(b1=-2.0)
    ranking = platform_ranking(cells)
    assert ranking[0]["total"] == ranking[1]["total"]
    assert [r["bidder_id"] for r in ranking[:2]] == ["B2", "B1"]
    return cells, ranking


def test_ties_go_to_the_lower_price():
    cells, ranking = _tied()
    assert by_rule(run(project(cells, ranking)), "EVAL-ORDER") == []
    ranking[0]["rank"], ranking[1]["rank"] = 2, 1
    alerts = by_rule(run(project(cells, ranking)), "EVAL-ORDER")
    assert [p["problem"] for p in alerts[0].evidence["problems"]] == ["tie_broken_against_rule"]
    no_rule = Context(thresholds=Thresholds({"EVAL-ORDER": {"tie_break": "none"}}))
    assert by_rule(run(project(cells, ranking), no_rule), "EVAL-ORDER") == []


def test_shared_ranks_need_equal_totals():
    cells, ranking = _tied()
    ranking[1]["rank"] = 1  # 并列第一: fine with equal totals
    assert by_rule(run(project(cells, ranking)), "EVAL-ORDER") == []
    ranking[2]["rank"] = 1  # B3 has a lower total
    alerts = by_rule(run(project(cells, ranking)), "EVAL-ORDER")
    kinds = {p["problem"] for p in alerts[0].evidence["problems"]}
    assert kinds == {"same_rank_different_totals"}


def test_a_bidder_left_out_above_a_ranked_one_and_a_bidder_ranked_twice():
    cells = sheet()
    full = platform_ranking(cells)
    top_two_without_b1 = [dict(full[1], rank=1), dict(full[2], rank=2)]
    alerts = by_rule(run(project(cells, top_two_without_b1)), "EVAL-ORDER")
    assert alerts[0].evidence["problems"][0]["problem"] == "left_out_above_ranked"
    assert alerts[0].evidence["problems"][0]["left_out"] == "B1"
    # listing only the best two is fine
    assert by_rule(run(project(cells, full[:2])), "EVAL-ORDER") == []
    twice = full + [dict(full[0], rank=4)]
    problems = by_rule(run(project(cells, twice)), "EVAL-ORDER")[0].evidence["problems"]
    assert {"problem": "ranked_twice", "bidder_id": "B1"} in problems


def test_lowest_price_methods_rank_the_lowest_evaluated_price_first():
    cells: dict = {}
    ranking = [
        {"bidder_id": "B2", "total": 950_000.0, "rank": 1},
        {"bidder_id": "B1", "total": 980_000.0, "rank": 2},
    ]
    method = "经评审的最低投标价法"
    assert evals(run(project(cells, ranking, method))) == []
    ranking[0]["rank"], ranking[1]["rank"] = 2, 1
    assert len(by_rule(run(project(cells, ranking, method)), "EVAL-ORDER")) == 1


def test_alert_ids_are_stable_and_a_second_finish_updates_the_same_alerts():
    cells = sheet()
    ranking = platform_ranking(cells)
    ranking[2]["total"] += 3
    events = project(cells, ranking)
    first = run(events)
    again = run(events + [ev("evaluation.finished", {"room_id": "R2", "ranking": ranking}, 130)])
    assert set(first) == set(again)


def test_the_engine_runs_the_evaluation_check():
    assert {"EVAL-TOTAL", "EVAL-RANGE", "EVAL-ORDER", "EVAL-MISSING"} <= detectors.rules_covered()
    cells = sheet()
    cells[("E1", "B1", "tech")] = 99.0
    ranking = platform_ranking(cells)
    ranking[1]["total"] -= 2
    events = [
        ev("opening.started", {"room_id": "R1"}, -60),
        *project(cells, ranking),
    ]
    alerts = run_detectors(events, None, Context())
    rules = {a.rule for a in alerts}
    assert {"EVAL-RANGE", "EVAL-TOTAL"} <= rules


# ------------------------------------------------------------------ properties

_score = st.floats(min_value=0, max_value=20, allow_nan=False).map(lambda x: round(x * 2) / 2)


@st.composite
def sheets(draw):
    n_exp = draw(st.integers(1, 5))
    n_bid = draw(st.integers(1, 4))
    items = [f"i{k}" for k in range(draw(st.integers(1, 4)))]
    return {
        (f"E{e}", f"B{b}", i): draw(_score)
        for e in range(n_exp)
        for b in range(n_bid)
        for i in items
    }


@settings(max_examples=60, deadline=None)
@given(cells=sheets(), keep=st.integers(1, 4))
def test_property_an_honest_platform_report_is_always_quiet(cells, keep):
    full = platform_ranking(cells)
    events = [ev("project.registered", {"name": "p", "evaluation_method": "综合评分法"}, -5000)]
    events += [score(e, b, i, s, mx=20) for (e, b, i), s in sorted(cells.items())]
    events.append(ev("evaluation.finished", {"room_id": "R", "ranking": full[:keep]}, 100))
    assert evals(run(events)) == []


@settings(max_examples=60, deadline=None)
@given(cells=sheets(), shift=st.floats(0.02, 50), pick=st.integers(0, 3))
def test_property_any_total_off_by_more_than_the_tolerance_is_found(cells, shift, pick):
    ranking = platform_ranking(cells)
    target = ranking[pick % len(ranking)]
    target["total"] = round(target["total"] + shift, 2)
    calc = recompute({k: _cell(v) for k, v in cells.items()})[target["bidder_id"]]["total"]
    events = [ev("project.registered", {"name": "p"}, -5000)]
    events += [score(e, b, i, s, mx=20) for (e, b, i), s in sorted(cells.items())]
    events.append(ev("evaluation.finished", {"room_id": "R", "ranking": ranking}, 100))
    calc_all = recompute({k: _cell(v) for k, v in cells.items()})[target["bidder_id"]]
    trimmed = calc_all["trimmed_mean"]
    experts = len({e for e, _, _ in cells})
    # the one total that fits the trimmed mean may be a report of that convention
    assume(experts < 5 or trimmed is None or abs(target["total"] - trimmed) > 0.01 + 1e-9)
    totals = by_rule(run(events), "EVAL-TOTAL")
    if abs(target["total"] - calc) > 0.01 + 1e-9:
        assert [a.evidence["bidder_id"] for a in totals] == [target["bidder_id"]]
    else:
        assert totals == []


def _cell(v: float):
    from detectors.evaluation import Cell

    return Cell(v, 20, "x")


# ------------------------------------------------------------------ trimmed means


def _trimmed_report(cells: dict) -> list[dict]:
    """A platform whose 评标办法 drops one highest and one lowest expert sum."""
    sums: dict[str, dict[str, float]] = {}
    for (e, b, _), v in sorted(cells.items()):
        sums.setdefault(b, {}).setdefault(e, 0.0)
        sums[b][e] += v
    totals = {b: round(fmean(sorted(per.values())[1:-1]), 2) for b, per in sums.items()}
    order = sorted(totals, key=lambda b: (-totals[b], PRICES.get(b, 0), b))
    return [{"bidder_id": b, "total": totals[b], "rank": r + 1} for r, b in enumerate(order)]


def _seven_experts(spread: dict[str, list[float]]) -> dict:
    """Tech scores per bidder and expert (seven experts), service fixed."""
    cells = {}
    for b, tech in spread.items():
        for k, v in enumerate(tech):
            cells[(f"E{k + 1}", b, "tech")] = v
            cells[(f"E{k + 1}", b, "service")] = 15.0
    return cells


SEVEN = _seven_experts(
    {
        "B1": [30.0, 31.0, 29.5, 38.0, 30.5, 22.0, 31.0],
        "B2": [28.0, 27.5, 36.0, 28.5, 28.0, 27.0, 20.0],
        "B3": [20.0, 21.0, 19.0, 20.5, 30.0, 20.0, 12.0],
    }
)


def test_a_report_that_drops_the_highest_and_lowest_sum_is_quiet():
    """Before, every total of such a report (common with seven experts) was red."""
    ranking = _trimmed_report(SEVEN)
    plain = platform_ranking(SEVEN)
    assert all(t["total"] != p["total"] for t, p in zip(ranking, plain, strict=True))
    assert evals(run(project(SEVEN, ranking))) == []


def test_in_a_trimmed_report_a_total_altered_by_hand_still_fires():
    ranking = _trimmed_report(SEVEN)
    ranking[1]["total"] = round(ranking[1]["total"] + 1.5, 2)
    (alert,) = by_rule(run(project(SEVEN, ranking)), "EVAL-TOTAL")
    assert alert.subjects == [ranking[1]["bidder_id"]]
    assert alert.evidence["recomputed_as"] == "trimmed_mean_of_expert_sums"
    assert alert.evidence["aggregation"]["aggregation"] == "trimmed_mean"
    assert "trimmed mean 2" in alert.evidence["aggregation"]["chosen_by"]


def test_a_mean_report_with_one_total_trimmed_by_hand_fires_on_that_one():
    ranking = platform_ranking(SEVEN)
    trimmed = {t["bidder_id"]: t["total"] for t in _trimmed_report(SEVEN)}
    ranking[0]["total"] = trimmed[ranking[0]["bidder_id"]]
    (alert,) = by_rule(run(project(SEVEN, ranking)), "EVAL-TOTAL")
    assert alert.subjects == [ranking[0]["bidder_id"]]
    assert alert.evidence["recomputed_as"] == "mean_of_expert_sums"


def test_a_centre_that_averages_every_sum_can_say_so():
    strict = Context(thresholds=Thresholds({"EVAL-TOTAL": {"aggregation": "mean"}}))
    alerts = by_rule(run(project(SEVEN, _trimmed_report(SEVEN)), strict), "EVAL-TOTAL")
    assert len(alerts) == 3
    assert {a.evidence["aggregation"]["chosen_by"] for a in alerts} == {
        "set in the thresholds (EVAL-TOTAL aggregation)"
    }


def test_with_fewer_experts_than_the_trim_minimum_the_trimmed_mean_is_not_tried():
    four = {k: v for k, v in SEVEN.items() if k[0] in ("E1", "E2", "E3", "E4")}
    alerts = by_rule(run(project(four, _trimmed_report(four))), "EVAL-TOTAL")
    assert alerts and "not tried: 4 experts" in alerts[0].evidence["aggregation"]["chosen_by"]


@st.composite
def big_sheets(draw):
    n_exp = draw(st.integers(5, 9))
    n_bid = draw(st.integers(1, 5))
    return {
        (f"E{e}", f"B{b}", i): draw(_score)
        for e in range(n_exp)
        for b in range(n_bid)
        for i in ("i0", "i1")
    }


@settings(max_examples=60, deadline=None)
@given(cells=big_sheets(), shift=st.floats(0.02, 50), pick=st.integers(0, 4), trim=st.booleans())
def test_property_either_convention_is_quiet_and_an_altered_total_is_found(
    cells, shift, pick, trim
):
    report = _trimmed_report(cells) if trim else platform_ranking(cells)
    events = [ev("project.registered", {"name": "p", "evaluation_method": "综合评分法"}, -5000)]
    events += [score(e, b, i, s, mx=20) for (e, b, i), s in sorted(cells.items())]
    honest = [*events, ev("evaluation.finished", {"room_id": "R", "ranking": report}, 100)]
    assert evals(run(honest)) == []
    target = report[pick % len(report)]
    target["total"] = round(target["total"] + shift, 2)
    calc = recompute({k: _cell(v) for k, v in cells.items()})[target["bidder_id"]]
    assume(all(abs(target["total"] - calc[k]) > 0.01 + 1e-9 for k in ("mean", "trimmed_mean")))
    altered = [*events, ev("evaluation.finished", {"room_id": "R", "ranking": report}, 100)]
    totals = by_rule(run(altered), "EVAL-TOTAL")
    assert [a.evidence["bidder_id"] for a in totals] == [target["bidder_id"]]

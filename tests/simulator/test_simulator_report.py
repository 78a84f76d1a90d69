"""The simulator's evaluation reports: each EVAL-* error planted and visible in the events,
honest reports (corrected scores, rejected bids left out, ties to the lower price,
lowest-price methods) quiet."""

from __future__ import annotations

import json
from collections import defaultdict
from functools import lru_cache
from statistics import fmean

from detectors.evaluation import EvaluationReportDetector
from detectors.offline import run_detectors
from tests.support.simulator_run import default_run
from witness.events import parse_event
from witness.methods import lowest_price_method
from witness.simulator import Simulation
from witness.simulator.truth_eval import evaluate

EVAL = ("EVAL-TOTAL", "EVAL-RANGE", "EVAL-ORDER", "EVAL-MISSING")


@lru_cache(maxsize=1)
def _long_run() -> tuple[Simulation, tuple[str, ...]]:
    sim = Simulation(60, seed=5)
    return sim, tuple(sim.lines())


def _by_project(lines) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(lambda: {"scores": {}, "entries": defaultdict(list)})
    for line in lines:
        if '"type":"score.submitted"' in line or '"type":"evaluation.finished"' in line:
            ev = json.loads(line)
            p, proj = ev["payload"], out[ev["project_id"]]
            if ev["type"] == "evaluation.finished":
                proj["ranking"] = p["ranking"]
            else:
                cell = (p["expert_id"], p["bidder_id"], p["item_id"])
                proj["scores"][cell] = (p["score"], p["max_score"])
                proj["entries"][cell].append(p["score"])
    return out


def _recomputed(scores) -> dict[str, float]:
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (e, b, _), (s, _) in scores.items():
        sums[b][e] += s
    return {b: fmean(per.values()) for b, per in sums.items()}


def test_every_eval_rule_is_planted_with_subjects_per_design():
    sim, _ = default_run()
    by_pid = {p.pid: p for p in sim.projects}
    cases = [c for c in sim.truth if c["rule"] in EVAL]
    assert {c["rule"] for c in cases} == set(EVAL)
    for c in cases:
        p = by_pid[c["project_id"]]
        bidders = {b.company.id for b in p.bids}
        experts = {e.id for e in p.committee}
        subjects = set(c["subjects"])
        expected = {
            "EVAL-TOTAL": (0, 1),
            "EVAL-RANGE": (1, 0),
            "EVAL-ORDER": (0, 2),
            "EVAL-MISSING": (1, 1),
        }[c["rule"]]
        assert (len(subjects & experts), len(subjects & bidders)) == expected, c


def test_planted_errors_are_in_the_events():
    sim, lines = default_run()
    projects = _by_project(lines)
    for c in sim.truth:
        if c["rule"] not in EVAL:
            continue
        proj = projects[c["project_id"]]
        scores, ranking = proj["scores"], proj["ranking"]
        subj = set(c["subjects"])
        if c["rule"] == "EVAL-TOTAL":
            calc = _recomputed(scores)
            [row] = [r for r in ranking if r["bidder_id"] in subj]
            assert abs(row["total"] - calc[row["bidder_id"]]) > 1
        elif c["rule"] == "EVAL-RANGE":
            assert any(e in subj and s > mx for (e, _, _), (s, mx) in scores.items())
        elif c["rule"] == "EVAL-MISSING":
            items = {i for _, _, i in scores}
            expert = next(x for x in subj if any(e == x for e, _, _ in scores))
            bidder = next(iter(subj - {expert}))
            assert {i for (e, b, i) in scores if (e, b) == (expert, bidder)} < items
        elif c["rule"] == "EVAL-ORDER":
            rows = sorted((r for r in ranking if r["bidder_id"] in subj), key=lambda r: r["rank"])
            assert rows[0]["total"] < rows[1]["total"]


def test_the_detector_finds_exactly_the_planted_reports():
    """Precision and recall 1 for EVAL-* on a longer run: honest reports stay quiet."""
    sim, lines = _long_run()
    alerts = run_detectors(map(parse_event, lines), [EvaluationReportDetector()])
    truth = [c for c in sim.truth if c["rule"] in EVAL]
    assert truth, "a 60-project run plants some report errors"
    report = evaluate(truth, [a.to_dict() for a in alerts])
    for s in report.rules:
        assert (s.detected, s.true_alerts) == (s.cases, s.alerts), s.to_dict()
    assert not report.false and not report.missed


def test_corrected_scores_are_honest_and_the_report_uses_the_last_entry():
    sim, lines = _long_run()
    projects = _by_project(lines)
    corrected = 0
    for p in sim.projects:
        for cell, first in p.corrections.items():
            entries = projects[p.pid]["entries"][cell]
            assert entries == [first, p.scores[cell]]  # logged twice, the last one counts
            corrected += 1
    assert corrected >= 1
    planted = {c["project_id"] for c in sim.truth if c["rule"] in EVAL}
    alerts = run_detectors(map(parse_event, lines), [EvaluationReportDetector()])
    assert {a.project_id for a in alerts} <= planted


def test_reports_rank_valid_bids_by_total_then_lower_price_or_by_price():
    sim, lines = default_run()
    planted = {c["project_id"] for c in sim.truth if c["rule"] in EVAL}
    projects = _by_project(lines)
    for p in sim.projects:
        if p.pid in planted:
            continue
        ranking = projects[p.pid]["ranking"]
        price = {b.company.id: b.price for b in p.bids}
        order = sorted(ranking, key=lambda r: r["rank"])
        if lowest_price_method(p.method):  # the evaluated price decides, lowest first
            keys = [(r["total"], r["bidder_id"]) for r in order]
            assert all(r["total"] == price[r["bidder_id"]] for r in order), p.pid
        else:
            keys = [(-r["total"], price[r["bidder_id"]]) for r in order]
        assert keys == sorted(keys), p.pid
        assert {r["bidder_id"] for r in ranking} == set(price) - set(p.rejected)
        assert sum(1 for r in ranking if r["candidate"]) == min(p.candidates, len(ranking))

"""Experts, committees and score sheets.

Honest experts disagree, but within limits: each has a personal leniency and some
noise, clipped so that no subjective score strays more than about 2.5 points from
the others (EXP-DEV's line is 3). Objective items are computed, so honest experts
agree on them exactly. Planted misconduct edits the sheet afterwards, and `oracle`
confirms that exactly the planted conditions hold.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from typing import Any

from witness.simulator import names, oracle
from witness.simulator.identity import make_id_no, make_uscc

#: (item id, kind, max score) — 综合评估法: price 40, qualification 5, track record 10, technical 45.
ITEMS: list[tuple[str, str, float]] = [
    ("price", "objective", 40.0),
    ("qualification", "objective", 5.0),
    ("performance", "objective", 10.0),
    ("tech_plan", "subjective", 15.0),
    ("quality", "subjective", 10.0),
    ("schedule", "subjective", 10.0),
    ("safety", "subjective", 10.0),
]
SUBJECTIVE = {i for i, k, _ in ITEMS if k == "subjective"}
OBJECTIVE = {i for i, k, _ in ITEMS if k == "objective"}
MAX = {i: m for i, _, m in ITEMS}


def half(x: float) -> float:
    """Experts score in half points."""
    return round(x * 2) / 2


@dataclass
class ExpertPlan:
    record: dict[str, Any]  # the `expert` payload of expert.assigned
    bias: float  # personal leniency in points

    @property
    def id(self) -> str:
        return self.record["id"]


def expert_pool(
    rng: random.Random,
    uniq: names.Unique,
    n: int,
    category: str,
    old_employers: list[str],
    sim_year: int,
) -> list[ExpertPlan]:
    """Experts of the provincial pool; some left a company long ago (more than 3 years: no conflict)."""
    pool = []
    for k in range(n):
        div = names.division(rng, 0.95)
        org_name = f"{div[2].removesuffix('市')}{rng.choice(names.EXPERT_ORGS)}"
        employer = uniq.draw(lambda div=div: make_uscc(rng, div[0], authority="1", category="2"))
        relatives = [
            {
                "name": names.person_name(rng),
                "id_no": uniq.draw(lambda div=div: make_id_no(rng, div[0])),
                "relation": rng.choice(["配偶", "子女", "兄弟姐妹", "父母"]),
            }
            for _ in range(rng.choice((0, 1, 1, 2)))
        ]
        past = []
        if old_employers and rng.random() < 0.3:
            past.append(
                {"id": rng.choice(old_employers), "until": f"{sim_year - rng.randint(5, 9)}-06-30"}
            )
        record = {
            "id": f"ZJ{div[0][:2]}{k + 1:05d}",
            "name": names.person_name(rng),
            "employer": employer,
            "employer_name": org_name,
            "past_employers": past,
            "relatives": relatives,
            "specialty": rng.choice(names.SPECIALTIES[category]),
            "role": "expert",
        }
        bias = rng.choice([-0.8, -0.4, 0.0, 0.0, 0.3, 0.6, 0.9])  # strict and lenient experts exist
        pool.append(ExpertPlan(record, bias))
    return pool


def objective_scores(
    prices: dict[str, float], performance: dict[str, int], qualified: dict[str, float]
) -> dict[str, dict[str, float]]:
    low = min(prices.values())
    return {
        b: {
            "price": round(40.0 * low / prices[b], 2),
            "qualification": qualified[b],
            "performance": float(min(10, 2 * performance[b])),
        }
        for b in prices
    }


def honest_sheet(
    rng: random.Random,
    experts: list[ExpertPlan],
    quality: dict[str, float],
    objective: dict[str, dict[str, float]],
) -> oracle.Scores:
    scores: oracle.Scores = {}
    for b, q in quality.items():
        for item in sorted(SUBJECTIVE):
            c = MAX[item] * min(0.98, max(0.3, q + rng.uniform(-0.04, 0.04)))
            for ex in experts:
                s = min(c + 1.0, max(c - 1.0, c + ex.bias + rng.uniform(-0.6, 0.6)))
                scores[(ex.id, b, item)] = min(MAX[item], max(0.0, half(s)))
        for item in sorted(OBJECTIVE):
            for ex in experts:
                scores[(ex.id, b, item)] = objective[b][item]
    return scores


def others_mean(scores: oracle.Scores, expert: str, bidder: str, item: str) -> float:
    vals = [s for (e, b, i), s in scores.items() if b == bidder and i == item and e != expert]
    return statistics.fmean(vals)


def plant_dev(scores: oracle.Scores, expert: str, bidder: str, item: str) -> None:
    """One score far below the others: off by more than max(3, 30 % of their mean)."""
    m = others_mean(scores, expert, bidder, item)
    scores[(expert, bidder, item)] = max(0.0, half(m - max(5.0, 0.55 * m)))


def plant_obj(scores: oracle.Scores, expert: str, bidder: str) -> None:
    """A different score on the objective track-record item (miscounted or bent)."""
    s = scores[(expert, bidder, "performance")]
    scores[(expert, bidder, "performance")] = s - 2.0 if s >= 2.0 else s + 2.0


def plant_clique(scores: oracle.Scores, leader: str, followers: list[str]) -> None:
    """Followers copy the leader's whole sheet."""
    for (e, b, i), s in list(scores.items()):
        if e == leader:
            for f in followers:
                scores[(f, b, i)] = s


def plant_favor(scores: oracle.Scores, expert: str, favoured: str) -> None:
    """Push one bidder up and the rest down, each score within the EXP-DEV limit."""
    cells = sorted({(b, i) for (e, b, i) in scores if e == expert and i in SUBJECTIVE})
    for b, i in cells:
        m = others_mean(scores, expert, b, i)
        step = 2.0 if b == favoured else -2.0
        scores[(expert, b, i)] = min(MAX[i], max(0.0, half(m + step)))


def ranking(scores: oracle.Scores) -> list[tuple[str, float]]:
    """Committee ranking by mean total (the evaluation report's order)."""
    tot = oracle.totals(scores)
    bidders = sorted({b for v in tot.values() for b in v})
    mean = {b: round(statistics.fmean(tot[e][b] for e in tot), 2) for b in bidders}
    return sorted(mean.items(), key=lambda kv: (-kv[1], kv[0]))

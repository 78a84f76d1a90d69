"""Experts, committees and score sheets: the pool, each project's committee, its scores.

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
from witness.simulator.clock import BASE
from witness.simulator.identity import make_id_no, make_uscc
from witness.simulator.plan import Project, case

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


#: Tiered scoring (档次分): a subjective item is marked on a few levels, as shares of its maximum.
TIERS = (1.0, 0.85, 0.7, 0.55, 0.4)


def tier(item: str, s: float) -> float:
    """The level of `item` nearest to the continuous score `s`."""
    levels = [MAX[item] * t for t in TIERS]
    return min(levels, key=lambda v: (abs(v - s), v))


def honest_sheet(
    rng: random.Random,
    experts: list[ExpertPlan],
    quality: dict[str, float],
    objective: dict[str, dict[str, float]],
    *,
    tiered: bool = False,
) -> oracle.Scores:
    """Honest experts: a personal leniency and some noise around each cell's merit; on a
    tiered project the mark is the nearest level, so honest experts agree most cells."""
    scores: oracle.Scores = {}
    for b, q in quality.items():
        for item in sorted(SUBJECTIVE):
            c = MAX[item] * min(0.98, max(0.3, q + rng.uniform(-0.04, 0.04)))
            for ex in experts:
                s = min(c + 1.0, max(c - 1.0, c + ex.bias + rng.uniform(-0.6, 0.6)))
                s = tier(item, s) if tiered else half(s)
                scores[(ex.id, b, item)] = min(MAX[item], max(0.0, s))
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


def ranking(
    scores: oracle.Scores, prices: dict[str, float] | None = None, *, trimmed: bool = False
) -> list[tuple[str, float]]:
    """Committee ranking by mean total (the evaluation report's order), equal totals to the
    lower price (财政部令第87号 第五十五条). An expert who left a bidder's item unscored
    counts what they scored (the platform sums what it has). `trimmed`: the 评标办法
    drops one highest and one lowest expert total first (去掉一个最高分和一个最低分)."""
    tot = oracle.totals(scores)
    bidders = sorted({b for v in tot.values() for b in v})

    def combine(values: list[float]) -> float:
        if trimmed and len(values) >= 3:
            values = sorted(values)[1:-1]
        return round(statistics.fmean(values), 2)

    mean = {b: combine([tot[e].get(b, 0.0) for e in tot]) for b in bidders}
    price = prices or {}
    return sorted(mean.items(), key=lambda kv: (-kv[1], price.get(kv[0], 0.0), kv[0]))


# ---------------------------------------------------------------- a project's committee


def plan_committee(p: Project, rng: random.Random, pool: list[ExpertPlan]) -> None:
    """Draw the committee, plant conflicts of interest, then the score sheet and ranking."""
    spec = p.spec
    size = rng.choices([5, 7], weights=[7, 3])[0]
    reps = rng.choice([0, 1]) if size == 5 else rng.choice([0, 1, 2])
    if "committee" in spec.exp:
        size, reps = rng.choice([(4, 0), (5, 2), (6, 1), (3, 0)])
    chosen = [
        ExpertPlan(
            {
                **e.record,
                "past_employers": list(e.record["past_employers"]),
                "relatives": list(e.record["relatives"]),
            },
            e.bias,
        )
        for e in rng.sample(pool, size - reps)
    ]
    for k in range(reps):
        chosen.append(
            ExpertPlan(
                {
                    "id": f"ZBR{p.idx + 1:04d}{k + 1}",
                    "name": names.person_name(rng),
                    "employer": None,
                    "employer_name": p.tenderer,
                    "past_employers": [],
                    "relatives": [],
                    "specialty": "招标人代表",
                    "role": "tenderer_rep",
                },
                rng.choice([-0.3, 0.0, 0.4]),
            )
        )
    rng.shuffle(chosen)
    p.committee = chosen
    bidder_ids = {b.company.id for b in p.bids}
    for e in chosen:  # an honest pool expert may have left a bidder years ago: no conflict
        e.record["past_employers"] = [
            x
            for x in e.record["past_employers"]
            if x["id"] not in bidder_ids or int(x["until"][:4]) <= BASE.year - 5
        ]
    if "committee" in spec.exp:
        p.truth.append(
            case(
                "EXP-COMMITTEE",
                p.pid,
                [e.id for e in chosen],
                f"planted: {size} members, {reps} tenderer reps",
            )
        )
    favored = _conflicts(p, rng)
    _scores(p, rng, favored)


def _conflicts(p: Project, rng: random.Random) -> tuple[str, str] | None:
    """Plant EXP-AVOID conflicts and honest look-alikes; return (expert, bidder) to favour."""
    spec = p.spec
    pool_experts = [e for e in p.committee if e.record["role"] == "expert"]
    kinds = [k for k in spec.exp if k.startswith("avoid")]
    favored: tuple[str, str] | None = None
    for kind in kinds:
        e = rng.choice(pool_experts)
        b = rng.choice(p.bids).company
        if kind == "avoid_employed":
            e.record["employer"] = b.id
            e.record["employer_name"] = b.name
        elif kind == "avoid_past":
            e.record["past_employers"].append(
                {"id": b.id, "until": f"{BASE.year - rng.randint(1, 2)}-12-31"}
            )
        elif kind == "avoid_kin":
            e.record["relatives"].append(
                {
                    "name": b.legal_rep["name"],
                    "id_no": b.legal_rep["id_no"],
                    "relation": rng.choice(["配偶", "兄弟姐妹", "子女"]),
                }
            )
        p.truth.append(case("EXP-AVOID", p.pid, [e.id, b.id], f"planted: {kind}"))
        pool_experts.remove(e)
        if "favor_conflict" in spec.exp and favored is None:
            favored = (e.id, b.id)
    if rng.random() < 0.04 and pool_experts:  # trap: same name as a legal rep, another person
        e = rng.choice(pool_experts)
        b = rng.choice(p.bids).company
        e.record["relatives"].append(
            {
                "name": b.legal_rep["name"],
                "id_no": make_other_id(rng, b.legal_rep["id_no"]),
                "relation": "兄弟姐妹",
            }
        )
    if rng.random() < 0.04 and pool_experts:  # trap: left a bidder more than three years ago
        e = rng.choice(pool_experts)
        e.record["past_employers"].append(
            {
                "id": rng.choice(p.bids).company.id,
                "until": f"{BASE.year - rng.randint(4, 8)}-03-31",
            }
        )
    return favored


def _scores(p: Project, rng: random.Random, favored_pair: tuple[str, str] | None) -> None:
    """Draw score sheets until the oracle confirms exactly the planted EXP-* conditions."""
    spec = p.spec
    ids = [e.id for e in p.committee]
    pool_ids = [e.id for e in p.committee if e.record["role"] == "expert"]
    plan_rng = random.Random(rng.random())
    dev_e = obj_e = None
    clique: list[str] = []
    if "clique" in spec.exp:
        clique = plan_rng.sample([i for i in ids if not favored_pair or i != favored_pair[0]], 3)
    free = [i for i in pool_ids if i not in clique and (not favored_pair or i != favored_pair[0])]
    if "dev" in spec.exp and free:
        dev_e = plan_rng.choice(free)
        free.remove(dev_e)
    if "obj" in spec.exp and free:
        obj_e = plan_rng.choice(free)
        free.remove(obj_e)
    favor_e = (
        favored_pair[0]
        if favored_pair
        else (plan_rng.choice(free) if "favor" in spec.exp and free else None)
    )
    scores: oracle.Scores = {}
    ok = False
    tiered = plan_rng.random() < 0.4  # many centres mark subjective items in tiers (档次分)
    for attempt in range(400):
        quality = {
            b.company.id: b.quality if attempt < 200 else rng.uniform(0.55, 0.9) for b in p.bids
        }
        if spec.ring:
            quality = {b.company.id: b.quality for b in p.bids}
        objective = objective_scores(
            {b.company.id: b.price for b in p.bids},
            {b.company.id: b.company.performance for b in p.bids},
            {b.company.id: (5.0 if rng.random() < 0.85 else 4.0) for b in p.bids},
        )
        target = None
        if favor_e is not None:
            # the favoured bidder sits third by quality, close behind the top two
            order = sorted(quality, key=lambda k: (-quality[k], k))
            target = favored_pair[1] if favored_pair else order[2]
            rest = [k for k in order if k != target]
            q = min(0.82, quality[rest[0]])
            quality[target] = q
            quality[rest[0]] = q + rng.uniform(0.03, 0.05)
            quality[rest[1]] = q + rng.uniform(0.01, 0.025)
            for k in rest[2:]:
                quality[k] = min(quality[k], q - rng.uniform(0.04, 0.2))
        scores = honest_sheet(rng, p.committee, quality, objective, tiered=tiered)
        planted_dev = planted_obj = None
        favored = None
        if favor_e is not None:
            favored = target
            plant_favor(scores, favor_e, favored)
        if dev_e is not None:
            b = rng.choice(sorted(quality))
            planted_dev = (dev_e, b, rng.choice(sorted(SUBJECTIVE)))
            plant_dev(scores, *planted_dev)
        if obj_e is not None:
            planted_obj = (obj_e, rng.choice(sorted(quality)))
            plant_obj(scores, *planted_obj)
        if clique:
            plant_clique(scores, clique[0], clique[1:])
        dev_found = oracle.exp_dev(scores, SUBJECTIVE)
        dev_margin = oracle.exp_dev(scores, SUBJECTIVE, margin=0.4)
        obj_found = oracle.exp_obj(scores, OBJECTIVE)
        cliques = oracle.exp_clique(scores, SUBJECTIVE)
        fav_planted = oracle.exp_favor(scores)
        fav_honest = oracle.exp_favor(scores, honest=True)
        ok = (
            ({planted_dev} if planted_dev else set()) == dev_found == dev_margin
            and obj_found == ({obj_e} if obj_e else set())
            and all(set(g) <= set(clique) for g in cliques)
            and (not clique or sorted(clique) in cliques)
            and (favored is None or (favor_e, favored) in fav_planted)
            and fav_honest <= ({(favor_e, favored)} if favored else set())
        )
        if ok:
            break
    if not ok:  # keep the last draw, but tell the truth about it
        dev_found = oracle.exp_dev(scores, SUBJECTIVE)
        planted_dev = None
    p.scores = scores
    for e in sorted({e for e, _, _ in dev_found}):
        p.truth.append(
            case(
                "EXP-DEV",
                p.pid,
                [e],
                "planted: one subjective score far from the others" if ok else "incidental",
            )
        )
    # Truth says only what the DESIGN oracle confirms on the final draw.
    if obj_e and obj_e in obj_found:
        p.truth.append(case("EXP-OBJ", p.pid, [obj_e], "planted: different objective score"))
    if clique and sorted(clique) in cliques:
        p.truth.append(
            case(
                "EXP-CLIQUE",
                p.pid,
                sorted(clique),
                "planted: three identical score sheets" + (" (tiered scoring)" if tiered else ""),
            )
        )
    if favor_e is not None and favored is not None and (favor_e, favored) in fav_planted:
        p.truth.append(
            case(
                "EXP-FAVOR",
                p.pid,
                [favor_e, favored],
                "planted: one bidder pushed up within the deviation limit",
            )
        )
    p.ranking = ranking(scores, {b.company.id: b.price for b in p.bids})
    p.candidates = min(len(p.bids), rng.choice([4, 5]) if "cand" in spec.proc else 3)
    if "cand" in spec.proc:
        p.truth.append(case("PROC-CAND", p.pid, [], f"planted: {p.candidates} ranked candidates"))


def make_other_id(rng: random.Random, id_no: str) -> str:
    """Another person's id number from the same district (a namesake, not a relative)."""
    while True:
        other = make_id_no(rng, id_no[:6])
        if other != id_no:
            return other

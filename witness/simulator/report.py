"""The evaluation report (评标报告) of `evaluation.finished`, and the errors planted in it.

An honest platform ranks the valid bids (rejected ones left out) by the mean of the
experts' totals (the sum of each expert's item scores), breaks equal totals by the lower
price (财政部令第87号 第五十五条), rounds totals to cents and flags the recommended
candidates; under a lowest-price method (经评审的最低投标价法) it ranks by the evaluated
price, lowest first, and reports that price as the total. Planted (EVAL-*, DESIGN §6),
never on two-bid or lowest-price projects:

- `total`: the winner's reported total is a few points above the recomputed one;
- `range`: one expert scores a subjective item above its maximum (11 of 10);
- `order`: the second and third candidates swap ranks, their totals unchanged;
- `missing`: one expert leaves one subjective item of one bidder unscored (the platform
  sums what it has, so the totals still agree).

Sheet edits (`range`, `missing`) are kept only where the EXP-* oracle finds exactly what
it found before, so an EVAL plant never creates or hides an expert finding.
Honest traps: an expert who enters a score and corrects it at once (the report uses the
last one), equal totals ranked by the lower price, scores of exactly 0 or the max.
The plants and traps draw on their own generator, so adding them changes no other plan.
"""

from __future__ import annotations

import random
import statistics
from typing import Any

from witness.methods import lowest_price_method
from witness.simulator import expert_panel, oracle
from witness.simulator.expert_panel import MAX, OBJECTIVE, SUBJECTIVE
from witness.simulator.plan import Project, case
from witness.simulator.planting import REPORT_INCOMPATIBLE

KINDS = ("total", "range", "order", "missing")
#: Realistic rates of report errors beyond the guaranteed bundles.
RATES = {"total": 0.02, "range": 0.015, "order": 0.01, "missing": 0.02}
#: Share of projects where an expert corrects a score just entered (honest).
CORRECTION_RATE = 0.15


def compatible(p: Project) -> bool:
    """Report errors stay off two-bid and lowest-price projects and whole-sheet expert plants."""
    return not (
        set(p.spec.exp) & REPORT_INCOMPATIBLE
        or {"few", "rej_low"} & set(p.spec.proc)
        or lowest_price_method(p.method)
    )


def _exp_findings(scores: oracle.Scores) -> tuple:
    return (
        oracle.exp_dev(scores, SUBJECTIVE),
        oracle.exp_dev(scores, SUBJECTIVE, margin=0.4),
        oracle.exp_obj(scores, OBJECTIVE),
        sorted(oracle.exp_clique(scores, SUBJECTIVE)),
        oracle.exp_favor(scores),
        oracle.exp_favor(scores, honest=True),
    )


def _edit_sheet(p: Project, rng: random.Random, edit) -> tuple[str, str, str] | None:
    """Apply `edit(scores, cell)` to the first cell that leaves the EXP-* findings as they were."""
    before = _exp_findings(p.scores)
    cells = sorted(
        c for c in p.scores if c[2] in SUBJECTIVE and c != p.early_score and c[1] not in p.rejected
    )
    rng.shuffle(cells)
    cells.sort(key=lambda c: -expert_panel.others_mean(p.scores, *c) / MAX[c[2]])
    for cell in cells[:40]:
        trial = dict(p.scores)
        edit(trial, cell)
        if _exp_findings(trial) == before:
            p.scores = trial
            return cell
    return None


def _above_max(scores: oracle.Scores, cell: tuple[str, str, str]) -> None:
    scores[cell] = MAX[cell[2]] + 1.0


def _unscored(scores: oracle.Scores, cell: tuple[str, str, str]) -> None:
    del scores[cell]


def _extras(p: Project, rng: random.Random) -> list[str]:
    if not compatible(p):
        return []
    kinds = list(p.spec.report)
    return kinds or [k for k, rate in RATES.items() if rng.random() < rate]


def plan_report(p: Project, seed: str) -> None:
    """Fill `p.report` (the ranking rows), `p.corrections`, and the EVAL truth."""
    rng = random.Random(f"{seed}:report:{p.idx}")
    kinds = _extras(p, rng)
    prices = {b.company.id: b.price for b in p.bids}
    if "range" in kinds and (cell := _edit_sheet(p, rng, _above_max)):
        p.truth.append(case("EVAL-RANGE", p.pid, [cell[0]], f"planted: {cell[2]} above its max"))
    if "missing" in kinds and (cell := _edit_sheet(p, rng, _unscored)):
        p.truth.append(
            case("EVAL-MISSING", p.pid, [cell[0], cell[1]], f"planted: {cell[2]} left unscored")
        )
    valid = {b: price for b, price in prices.items() if b not in p.rejected}
    if lowest_price_method(p.method):
        p.ranking = sorted(valid.items(), key=lambda kv: (kv[1], kv[0]))
    else:
        # the honest look-alike of EVAL-TOTAL: seven-expert committees whose 评标办法 drops
        # the highest and the lowest expert total (the plain mean differs)
        trimmed = len({e for e, _, _ in p.scores}) >= 7
        p.ranking = [
            kv for kv in expert_panel.ranking(p.scores, prices, trimmed=trimmed) if kv[0] in valid
        ]
    rows: list[dict[str, Any]] = [
        {"bidder_id": b, "total": total, "rank": r + 1, "candidate": r < p.candidates}
        for r, (b, total) in enumerate(p.ranking)
    ]
    if "total" in kinds and rows:
        delta = rng.choice([1.5, 2.0, 3.0, 4.5])
        rows[0]["total"] = round(rows[0]["total"] + delta, 2)
        p.truth.append(
            case("EVAL-TOTAL", p.pid, [rows[0]["bidder_id"]], f"planted: total +{delta}")
        )
    if "order" in kinds and len(rows) >= 3 and rows[1]["total"] - rows[2]["total"] > 0.05:
        rows[1]["rank"], rows[2]["rank"] = 3, 2
        p.truth.append(
            case(
                "EVAL-ORDER",
                p.pid,
                [rows[1]["bidder_id"], rows[2]["bidder_id"]],
                "planted: second and third swapped",
            )
        )
    p.report = rows
    if rng.random() < CORRECTION_RATE:
        _correction(p, rng)


def _correction(p: Project, rng: random.Random) -> None:
    """Trap: a first entry half a point off, corrected at once (toward the committee)."""
    cells = sorted(c for c in p.scores if c[2] in SUBJECTIVE and c != p.early_score)
    if not cells:
        return
    cell = rng.choice(cells)
    final = p.scores[cell]
    others = [s for (e, b, i), s in p.scores.items() if (b, i) == cell[1:] and e != cell[0]]
    toward = 0.5 if not others or statistics.fmean(others) >= final else -0.5
    first = min(MAX[cell[2]], max(0.0, final + toward))
    if first != final:
        p.corrections[cell] = first

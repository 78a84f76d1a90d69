"""EXP-CLIQUE's judgement: are identical score sheets more alike than chance allows?

Experts who score in tiers (档次分: 8/6/4 on a 10-point item) agree cell by cell all the
time, so identity alone is no evidence. What matters is how unlikely the identity is for
independent experts *on this committee's scale*:

1. Group the experts whose whole subjective score sheets are identical (same cells, same
   scores; objective items are computed and expected to agree).
2. Measure how often independent experts agree on a cell of each item here: the share of
   agreeing (cell, expert pair) combinations among pairs with at least one expert outside
   the group, smoothed towards `prior_agreement` (with `prior_weight` pseudo-pairs), so a
   committee with no outside expert is judged by the prior alone.
3. The chance that k independent experts give identical scores on n cells is about
   prod over cells of r_item^(k-1); multiplied by the number of k-expert groups that could
   have been identical (C(E, k)), it is the number of such groups expected by chance.
   The group is reported when that expectation is at most `max_chance`.

Tiered, honest committees (r near 0.8-0.9) stay quiet; copied sheets among experts who
otherwise disagree (r near 0.3) are far below the line. The evidence carries r per item,
the expectation and the threshold, so a person can check the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

Cell = tuple[str, str]  # (bidder_id, item_id)
#: expert -> {cell: score} of subjective cells
Sheets = Mapping[str, Mapping[Cell, float]]


@dataclass(frozen=True)
class CliqueFinding:
    experts: tuple[str, ...]
    cells: tuple[Cell, ...]
    agreement: dict[str, float]  # item -> independent agreement rate r
    expected_by_chance: float
    comparable_experts: int


def identical_groups(sheets: Sheets, min_experts: int, min_cells: int) -> list[tuple[str, ...]]:
    """Experts with identical whole sheets of at least `min_cells` cells, groups of
    at least `min_experts`, sorted."""
    by_sheet: dict[frozenset, list[str]] = {}
    for expert, sheet in sheets.items():
        if len(sheet) >= min_cells:
            by_sheet.setdefault(frozenset(sheet.items()), []).append(expert)
    return sorted(tuple(sorted(g)) for g in by_sheet.values() if len(g) >= min_experts)


def agreement_rates(
    sheets: Sheets, group: tuple[str, ...], prior: float, weight: float
) -> dict[str, float]:
    """Per item: how often two experts agree on a cell, from pairs not both in `group`."""
    members = set(group)
    experts = sorted(sheets)
    agree: dict[str, float] = {}
    pairs: dict[str, float] = {}
    for a, b in combinations(experts, 2):
        if a in members and b in members:
            continue
        sa, sb = sheets[a], sheets[b]
        for cell in sa.keys() & sb.keys():
            item = cell[1]
            pairs[item] = pairs.get(item, 0) + 1
            agree[item] = agree.get(item, 0) + (sa[cell] == sb[cell])
    items = {c[1] for e in group for c in sheets[e]}
    return {
        item: (agree.get(item, 0) + weight * prior) / (pairs.get(item, 0) + weight)
        for item in sorted(items)
    }


def judge(
    sheets: Sheets,
    *,
    min_experts: int,
    min_cells: int,
    max_chance: float,
    prior_agreement: float,
    prior_weight: float,
) -> list[CliqueFinding]:
    """Every identical group whose identity is less likely than `max_chance` by chance."""
    findings = []
    comparable = [e for e, s in sheets.items() if len(s) >= min_cells]
    for group in identical_groups(sheets, min_experts, min_cells):
        cells = tuple(sorted(sheets[group[0]]))
        rates = agreement_rates(sheets, group, prior_agreement, prior_weight)
        k = len(group)
        log_p = sum((k - 1) * math.log(max(rates[c[1]], 1e-12)) for c in cells)
        expected = math.comb(len(comparable), k) * math.exp(log_p)
        if expected <= max_chance:
            findings.append(CliqueFinding(group, cells, rates, expected, len(comparable)))
    return findings

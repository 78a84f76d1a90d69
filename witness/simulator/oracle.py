"""The DESIGN §6 conditions of the statistical rules, computed on planned data.

The simulator uses these to keep honest data honest (re-draw until no condition holds
by accident, with a safety margin) and to confirm that each planted case really meets
its condition, so the truth file says exactly what DESIGN says. `margin` > 0 makes a
check stricter for honest data (flags more); planted data must pass with margin 0 and
honest data must stay clean with the margin, so detectors that differ in small
conventions (sample vs population deviation, leave-one-out means) still agree.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections import defaultdict
from functools import cache
from itertools import combinations

Scores = dict[tuple[str, str, str], float]  # (expert, bidder, item) -> score


def _sd(values: list[float], sample: bool) -> float:
    n = len(values)
    mean = sum(values) / n
    ss = sum((v - mean) ** 2 for v in values)
    return (ss / (n - 1 if sample else n)) ** 0.5


def _cv(values: list[float], sample: bool) -> float:
    if len(values) < 2:
        return float("inf")
    mean = sum(values) / len(values)
    if mean == 0:
        return float("inf")
    return _sd(values, sample) / abs(mean)


#: PRICE-40-4's ladder tolerances, as in witness/thresholds.toml [PRICE-40-4] (a test keeps
#: them equal): base_k for k = 3, 4, 5, the cap, and the rounding guard.
LADDER_BASE = (0.002, 0.035, 0.12)
LADDER_CAP = 0.05
LADDER_MIN_GAP_UNITS = 50.0
#: A ladder is judged at the rounding (power of ten, up to its own) this share of the
#: other bids use.
LADDER_ROUNDING_SHARE = 0.5
_UNITS = (1_000_000, 100_000, 10_000, 1_000, 100, 10, 1)


def _multiple(x: float, u: float) -> bool:
    return abs(x / u - round(x / u)) < 1e-9


def _ladder_unit(subset: tuple[float, ...], p: list[float]) -> float:
    own = next((float(u) for u in _UNITS if all(_multiple(x, u) for x in subset)), 0.01)
    others = [x for x in p if x not in subset]
    if len(others) < 2:  # nothing shows how the tender's bidders round
        return own
    for u in _UNITS:
        if u <= own and sum(_multiple(x, u) for x in others) >= LADDER_ROUNDING_SHARE * len(others):
            return float(u)
    return 0.01


def price_regular(prices: list[float], margin: float = 0.0) -> list[float] | None:
    """PRICE-40-4 (DESIGN §6): a subset of >= 3 distinct prices in regular differences or
    ratios, by brute force over every subset of 3, 4 and 5 (the detector searches ladders
    greedily; this is the independent re-derivation, a superset of what it can find).
    `margin` widens every tolerance by (1 + 20 x margin), for draws that must be far from
    the line. Returns the ladder's prices, lowest first, or None."""
    p = sorted({x for x in prices if x > 0})
    n = len(p)
    best = None
    for k in range(3, min(n, 5) + 1):
        tol = min(LADDER_CAP, LADDER_BASE[k - 3] * math.comb(n, k) ** (-1 / (k - 2)))
        tol *= 1 + 20 * margin
        for subset in combinations(p, k):
            gaps = [b - a for a, b in zip(subset, subset[1:], strict=False)]
            unit = _ladder_unit(subset, p)
            if min(gaps) < LADDER_MIN_GAP_UNITS * unit:
                continue
            logs = [math.log(b / a) for a, b in zip(subset, subset[1:], strict=False)]
            for g, res in ((gaps, unit), (logs, unit / subset[0])):
                if (max(g) - min(g) + res) / (sum(g) / len(g)) <= tol:
                    best = list(subset)
    return best


def identical_prices(prices: dict[str, float]) -> list[list[str]]:
    groups: dict[float, list[str]] = defaultdict(list)
    for bidder, price in prices.items():
        groups[round(price, 2)].append(bidder)
    return [sorted(g) for _, g in sorted(groups.items()) if len(g) > 1]


#: PRICE-SCREEN's chance bar, as in witness/thresholds.toml [PRICE-SCREEN] max_chance (a
#: test keeps them equal).
SCREEN_MAX_CHANCE = 0.005


@cache
def _rd_by_chance(n: int) -> list[float]:
    """Sorted RD of 20,000 tenders of n independent normal bids (its own draws, not the
    detector's table: the two agree only as far as chance does, which `margin` covers)."""
    rng = random.Random(7_919 + n)
    out = []
    for _ in range(20_000):
        x = sorted(rng.gauss(0.0, 1.0) for _ in range(n))
        sd = _sd(x[1:], True)
        out.append((x[1] - x[0]) / sd if sd > 0 else math.inf)
    return sorted(out)


def rd_chance(rd: float, n: int) -> float:
    """Share of tenders of n independent normal bids with an RD of at least `rd`."""
    table = _rd_by_chance(min(n, 60))
    return (len(table) - bisect_left(table, rd)) / len(table)


def price_screen(prices: list[float], margin: float = 0.0, chance_factor: float = 1.0) -> bool:
    """PRICE-SCREEN (Imhof): n >= 4, CV <= 0.06 and RD > 1 (RD = gap of the two lowest / sd
    of losers), with an RD that independent bids reach at most 0.5 % of the time.

    `chance_factor` < 1 asks a planted case for a lowest bid further apart than the bar,
    so that the oracle's and the detector's chance tables cannot split it."""
    p = sorted(prices)
    if len(p) < 4:
        return False
    losers = p[1:]
    cv = min(_cv(p, True), _cv(p, False))
    sds = [_sd(losers, True), _sd(losers, False)]
    rd = max((p[1] - p[0]) / sd if sd > 0 else float("inf") for sd in sds)
    if not (cv <= 0.06 + margin * 0.5 and rd > 1.0 - margin * 3):
        return False
    return rd_chance(rd, len(p)) <= SCREEN_MAX_CHANCE * (1 + 25 * margin) * chance_factor


def exp_dev(scores: Scores, subjective: set[str], margin: float = 0.0) -> set[tuple[str, str, str]]:
    """EXP-DEV: a subjective score off the others' mean by more than max(3, 30 % of that mean)."""
    by_cell: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for (e, b, i), s in scores.items():
        if i in subjective:
            by_cell[(b, i)].append((e, s))
    out = set()
    for (b, i), cell in by_cell.items():
        if len(cell) < 3:
            continue
        total = sum(s for _, s in cell)
        for e, s in cell:
            others = (total - s) / (len(cell) - 1)
            limit = max(3.0, 0.3 * others)
            if abs(s - others) > limit - margin:
                out.add((e, b, i))
    return out


def exp_obj(scores: Scores, objective: set[str]) -> set[str]:
    """EXP-OBJ: experts whose objective score differs from the majority on some item."""
    by_cell: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for (e, b, i), s in scores.items():
        if i in objective:
            by_cell[(b, i)].append((e, s))
    out = set()
    for cell in by_cell.values():
        counts: dict[float, int] = defaultdict(int)
        for _, s in cell:
            counts[s] += 1
        if len(counts) > 1:
            mode = max(sorted(counts), key=lambda v: counts[v])
            out.update(e for e, s in cell if s != mode)
    return out


def exp_clique(
    scores: Scores,
    subjective: set[str],
    min_experts: int = 3,
    max_chance: float = 0.001,
    prior: float = 0.9,
    weight: float = 2.0,
) -> list[list[str]]:
    """EXP-CLIQUE: >= 3 experts with identical whole subjective sheets, less likely than
    `max_chance` for independent experts given how often experts outside the group agree
    on each item (tiered scoring agrees often). An independent re-derivation of DESIGN's
    rule, so the ground truth does not borrow the detector's code."""
    experts = sorted({e for e, _, _ in scores})
    cells = sorted({(b, i) for _, b, i in scores if i in subjective})
    sheet = {e: tuple(scores.get((e, b, i)) for b, i in cells) for e in experts}
    seen: dict[tuple, list[str]] = defaultdict(list)
    for e in experts:
        seen[sheet[e]].append(e)
    out = []
    for group in (sorted(g) for g in seen.values() if len(g) >= min_experts):
        agree: dict[str, float] = defaultdict(float)
        pairs: dict[str, float] = defaultdict(float)
        for x in range(len(experts)):
            for y in range(x + 1, len(experts)):
                a, b = experts[x], experts[y]
                if a in group and b in group:
                    continue
                for (_bidder, item), sa, sb in zip(cells, sheet[a], sheet[b], strict=True):
                    pairs[item] += 1
                    agree[item] += sa == sb
        chance = math.comb(len(experts), len(group))
        for _, item in cells:
            r = (agree[item] + weight * prior) / (pairs[item] + weight)
            chance *= r ** (len(group) - 1)
        if chance <= max_chance:
            out.append(group)
    return out


def totals(scores: Scores) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (e, b, _), s in scores.items():
        out[e][b] += s
    return {e: dict(v) for e, v in out.items()}


def _rank_bounds(values: dict[str, float], b: str) -> tuple[int, int]:
    """Best and worst rank of b under any tie-break (1 = highest)."""
    v = values[b]
    higher = ties = 0
    for k, x in values.items():
        if x > v + 1e-9:
            higher += 1
        elif k != b and x >= v - 1e-9:
            ties += 1
    return higher + 1, higher + ties + 1


def exp_favor(scores: Scores, min_gap: int = 2, honest: bool = False) -> set[tuple[str, str]]:
    """EXP-FAVOR: an expert ranks a bidder >= min_gap places above the committee consensus.

    Consensus = mean total over all experts, or over the other experts; a planted case
    must also show the gap against the median of the other experts' ranks. `honest=True`
    takes the tie-break that makes the gap largest (a clean project must stay clean
    under any convention); False the smallest (a planted case must hold under any).
    """
    tot = totals(scores)
    experts = sorted(tot)
    bidders = sorted({b for v in tot.values() for b in v})
    if len(bidders) < 3:
        return set()
    n = len(experts)
    sums = {b: sum(tot[x][b] for x in experts) for b in bidders}
    ranks = {x: _average_ranks(tot[x]) for x in experts}
    out = set()
    for e in experts:
        own = tot[e]
        cons_all = {b: sums[b] / n for b in bidders}
        cons_others = {b: (sums[b] - own[b]) / (n - 1) for b in bidders} if n > 1 else cons_all
        own_bounds = {b: _rank_bounds(own, b) for b in bidders}
        for cons in (cons_all, cons_others):
            for b in bidders:
                e_best, e_worst = own_bounds[b]
                c_best, c_worst = _rank_bounds(cons, b)
                gap = (c_worst - e_best) if honest else (c_best - e_worst)
                if gap >= min_gap and (honest or _median_gap(ranks, e, b) >= min_gap):
                    out.add((e, b))
    return out


def _average_ranks(values: dict[str, float]) -> dict[str, float]:
    """1 = highest total; tied bidders share the average of their places."""
    order = sorted(values, key=lambda k: -values[k])
    out: dict[str, float] = {}
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and abs(values[order[j + 1]] - values[order[i]]) <= 1e-9:
            j += 1
        for k in order[i : j + 1]:
            out[k] = (i + j) / 2 + 1
        i = j + 1
    return out


def _median_gap(ranks: dict[str, dict[str, float]], expert: str, bidder: str) -> float:
    """Median of the other experts' ranks of `bidder` minus `expert`'s rank: a planted
    favour must also hold by this measure (the one the detector documents)."""
    others = sorted(r[bidder] for x, r in ranks.items() if x != expert)
    mid = len(others) // 2
    median = others[mid] if len(others) % 2 else (others[mid - 1] + others[mid]) / 2
    return median - ranks[expert][bidder]


def ring_groups(
    participations: list[tuple[list[str], str | None]],
    size: int = 3,
    min_shared: int = 4,
    min_winners: int = 2,
    min_win_share: float = 0.6,
) -> list[tuple[str, ...]]:
    """REL-RING on the whole run: groups that bid together and rotate the win."""
    together: dict[tuple[str, ...], list[str | None]] = defaultdict(list)
    for bidders, winner in participations:
        for group in combinations(sorted(bidders), size):
            together[group].append(winner)
    out = []
    for group, winners in sorted(together.items()):
        if len(winners) < min_shared:
            continue
        inside = [w for w in winners if w in group]
        if len(set(inside)) >= min_winners and len(inside) / len(winners) >= min_win_share:
            out.append(group)
    return out


# ---------------------------------------------------------------- award and disqualification
# Written from DESIGN §6 and the default thresholds, apart from detectors/ (the truth must
# not be computed by the code it judges).

CLOSE_GAP = 0.002  # PRICE-CLOSE: runner-up within this share of the lowest bid
CLOSE_CHANCE = 0.05  # ... and chance puts the two lowest that close this rarely
DISCOUNT_GAP = 0.25  # PRICE-DISCOUNT: lowest bid this share or more below the runner-up
PRICE_DECIDES = ("经评审的最低投标价法", "最低投标价法", "最低评标价法", "最低价法", "lowest_price")


def price_gap(prices: list[float]) -> float | None:
    """(second lowest - lowest) / lowest, for tenders of >= 3 bids (the rules' min_bids)."""
    p = sorted(prices)
    return (p[1] - p[0]) / p[0] if len(p) >= 3 else None


def price_close(prices: list[float], margin: float = 0.0) -> bool:
    """Within CLOSE_GAP, and that close by chance (given lowest and highest, the rest
    anywhere between; one rounding step added) in at most CLOSE_CHANCE of tenders. With a
    margin, the gap alone: honest draws keep clear of the gap fence whatever the odds."""
    gap = price_gap(prices)
    if gap is None or gap > CLOSE_GAP + margin:
        return False
    if margin:
        return True
    p = sorted(prices)

    def on(x: float, u: float) -> bool:
        return abs(x / u - round(x / u)) < 1e-9

    step = 0.01  # the grid most bids are on, never coarser than the two lowest
    for u in (1_000_000, 100_000, 10_000, 1_000, 100, 10, 1):
        if 2 * sum(on(x, u) for x in set(p)) >= len(set(p)) and on(p[0], u) and on(p[1], u):
            step = u
            break
    spread = p[-1] - p[0]
    if spread <= 0:
        return False
    chance = 1 - (1 - min(1.0, (p[1] - p[0] + step) / spread)) ** (len(p) - 2)
    return chance <= CLOSE_CHANCE


def price_discount(prices: list[float], margin: float = 0.0) -> bool:
    gap = price_gap(prices)
    return gap is not None and gap >= DISCOUNT_GAP - margin


def rejected_all_but_winner(bidders: set[str], rejected: set[str], winner: str | None) -> bool:
    others = bidders - {winner}
    return winner is not None and winner not in rejected and bool(others) and others <= rejected


def rejected_lowest(prices: dict[str, float], rejected: set[str], method: str) -> list[str]:
    """The rejected bidders whose price is the lowest, where price decides."""
    if method not in PRICE_DECIDES or len(prices) < 2:
        return []
    low = min(prices.values())
    return sorted(b for b in rejected if prices.get(b) == low)

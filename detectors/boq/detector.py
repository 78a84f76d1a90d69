"""BOQ-SAME, BOQ-RATIO, BOQ-ERROR, BOQ-MIX, BOQ-LOCK and BOQ-UNBAL over one project's bills.

When: bills are judged together once the bids are opened (`opening.started`), when
every bill that counts is in, so "shared by most bidders" (an addendum, a wrong control
price) can be told from "shared by a few" (one pricing file); a bill arriving after
that (a late decryption, `witness ingest-boq` during 清标) re-judges the project, and
the same pairs keep their alert ids. A bidder's later bill replaces its earlier one.

What is compared: items are matched by code (bills.py); items fixed by the tender are
left out of every price and build-up rule; items where both bills follow the public
control bill (its price, its price at the bidder's own level, its build-up) are left
out too, and so are prices most of the field charges to the fen (measures.py). A ratio
within `min_departure` of 1 is "nearly the same prices", not a scaled copy; the same
build-up is the same to the rounding of the fen, not within a flat tolerance. One alert
per pair and rule (identity = the sorted pair), except BOQ-UNBAL: one per group of
bidders tied by shared unbalanced items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from scipy.stats import hypergeom

from detectors.base import Context, ProjectDetector
from detectors.boq import item_tables as ev
from detectors.boq import measures as ms
from detectors.boq.bills import TENDER, Bill, Index, Laid, lay_out, norm_text, read_bill
from detectors.boq.params import BoqParams
from witness.alerts import Alert, make_alert
from witness.events import Event

LOCK_FIELDS = ("lock_id", "machine_code")


@dataclass
class BoqState:
    bills: dict[str, Bill] = field(default_factory=dict)  # owner -> latest bill
    opened: bool = False


@dataclass
class _Judgement:
    """Everything one judgement shares between the rules."""

    p: BoqParams
    event: Event
    ctx: Context
    index: Index
    tender: Laid | None
    laid: dict[str, Laid]
    control: np.ndarray
    excluded: dict[str, np.ndarray]  # bidder -> fixed by the tender or by the item itself
    public: dict[str, np.ndarray]
    public_mix: dict[str, np.ndarray]
    informative: dict[str, np.ndarray]

    def event_ids(self, bidders) -> list[str]:
        ids = [self.laid[b].bill.event_id for b in bidders]
        if self.tender is not None:
            ids.append(self.tender.bill.event_id)
        return sorted(set(ids))

    def base(self, bidders: list[str]) -> dict:
        return {
            "bidders": bidders,
            "documents": {b: self.laid[b].bill.doc_id for b in bidders},
            "tender_doc_id": self.tender.bill.doc_id if self.tender is not None else None,
        }

    def alert(self, rule: str, bidders: list[str], evidence: dict) -> Alert:
        return make_alert(
            rule,
            self.event.project_id,
            identity={"bidders": bidders},
            subjects=bidders,
            evidence=evidence,
            event_ids=self.event_ids(bidders),
            first_seen=self.event.ts,
            locale=self.ctx.locale,
        )


class BoqDetector(ProjectDetector):
    """The six bill-of-quantities rules within one project."""

    name = "boq"
    rules = ("BOQ-SAME", "BOQ-RATIO", "BOQ-ERROR", "BOQ-MIX", "BOQ-LOCK", "BOQ-UNBAL")
    types = frozenset({"boq.submitted", "opening.started"})

    def initial(self) -> BoqState:
        return BoqState()

    def step(self, state: BoqState, event: Event, ctx: Context) -> tuple[BoqState, list[Alert]]:
        if event.type == "opening.started":
            state.opened = True
        else:
            p = BoqParams.from_thresholds(ctx.thresholds)
            bill = read_bill(event.payload, event.event_id, p.shared.fixed_names)
            state.bills.pop(bill.owner, None)
            state.bills[bill.owner] = bill
        if not state.opened:
            return state, []
        return state, judge(state, event, ctx)


def judge(state: BoqState, event: Event, ctx: Context) -> list[Alert]:
    """Every BOQ rule over every bill of the project, from scratch."""
    bidders = sorted(o for o in state.bills if o != TENDER)
    if len(bidders) < 2:
        return []
    p = BoqParams.from_thresholds(ctx.thresholds)
    tender_bill = state.bills.get(TENDER)
    order = ([tender_bill] if tender_bill else []) + [state.bills[b] for b in bidders]
    index, laid_list = lay_out(order)
    tender = laid_list[0] if tender_bill else None
    laid = dict(zip(bidders, laid_list[1:] if tender_bill else laid_list, strict=True))
    k = len(index.keys)
    control = tender.price if tender is not None else np.full(k, np.nan)
    tender_fixed = tender.fixed if tender is not None else np.zeros(k, dtype=bool)
    j = _Judgement(p, event, ctx, index, tender, laid, control, {}, {}, {}, {})
    common = ms.common_prices(
        list(laid.values()), p.shared.common_share, p.shared.common_min_bidders
    )
    for (b, x), shared in zip(laid.items(), common, strict=True):
        j.excluded[b] = tender_fixed | x.fixed
        own = x.priced & ~j.excluded[b]
        lvl = ms.level(x, control, ~j.excluded[b])
        public = ms.public_prices(
            x,
            control,
            lvl,
            price_tol=p.shared.price_tolerance,
            abs_tol=p.shared.public_abs_tol,
            rel_tol=p.shared.public_rel_tol,
        )
        # A bidder that mostly follows the control keeps the quota defaults: where it
        # charges what most of the field charges, that is the defaults again.
        if own.any() and (public & own).sum() >= p.shared.default_share * own.sum():
            public |= shared
        j.public[b] = public
        j.public_mix[b] = ms.public_mix(x, tender, p.mix.tolerance)
        j.informative[b] = x.informative(p.mix.min_base_components)
    alerts: list[Alert] = []
    for a, b in combinations(bidders, 2):
        alerts += _prices(j, a, b)
        alerts += _mix(j, a, b)
    alerts += _errors(j, bidders)
    alerts += _locks(j, bidders)
    alerts += _unbalanced(j, bidders)
    return alerts


# ---------------------------------------------------------------- BOQ-SAME / BOQ-RATIO


def _prices(j: _Judgement, a: str, b: str) -> list[Alert]:
    p, la, lb = j.p, j.laid[a], j.laid[b]
    both = la.priced & lb.priced & ~j.excluded[a] & ~j.excluded[b]
    public = both & j.public[a] & j.public[b]
    compared = both & ~public
    removed = {
        "fixed": int((la.priced & lb.priced & (j.excluded[a] | j.excluded[b])).sum()),
        "public": int(public.sum()),
    }
    w = ev.weight(j.tender, la)
    # An item one bill keeps at the control price cannot be a copied price: a copy
    # re-priced by hand on items the master kept at the control is still a copy.
    kept_by_one = both & (j.public[a] | j.public[b])
    same = ms.same_prices(la, lb, both & ~kept_by_one, p.shared.price_tolerance)
    # Where both bills charge the control's price to the fen the copy is not told by it,
    # but it is not a difference either: over the items both priced (as the rule reads),
    # a copy re-priced by hand on a sixth of its items stays one even when most of those
    # fell on the master's own items. Its own identical prices must still reach min_items.
    kept = ms.same_prices(la, lb, kept_by_one, p.shared.price_tolerance).hits
    with_control = (same.hits + kept) / (same.n + kept) if same.n + kept else 0.0
    own_share = same.n >= p.same.min_items and same.share >= p.same.share
    overall = same.hits >= p.same.min_items and with_control >= p.same.share
    if own_share or overall:
        rows = ev.pick(same.matched, w, p.shared.max_evidence_items)
        evidence = {
            **j.base([a, b]),
            "compared": same.n,
            "identical": same.hits,
            "share": round(same.share, 4),
            "control_identical": kept,
            "share_with_control": round(with_control, 4),
            "removed": {**removed, "public": int(kept_by_one.sum())},
            "thresholds": {"share": p.same.share, "min_items": p.same.min_items},
            "items": ev.price_rows(j.index, j.tender, la, lb, rows, same.matched),
        }
        return [j.alert("BOQ-SAME", [a, b], evidence)]
    scaled = ms.scaled_prices(la, lb, compared, p.ratio.abs_tol, p.ratio.rel_tol)
    if scaled.n < p.ratio.min_items or scaled.share < p.ratio.share:
        return []
    if scaled.detail["departure"] < p.ratio.min_departure:
        return []
    kind, value = scaled.detail["kind"], scaled.detail["value"]
    fit = la.price * value if kind == "ratio" else la.price + value
    rows = ev.pick(scaled.matched, w, p.shared.max_evidence_items)
    evidence = {
        **j.base([a, b]),
        "kind": kind,
        kind: value,
        "formula": f"b = {value:g} × a" if kind == "ratio" else f"b = a {value:+g}",
        "compared": scaled.n,
        "fitting": scaled.hits,
        "share": round(scaled.share, 4),
        "removed": removed,
        "thresholds": {
            "share": p.ratio.share,
            "min_items": p.ratio.min_items,
            "abs_tol": p.ratio.abs_tol,
            "rel_tol": p.ratio.rel_tol,
            "min_departure": p.ratio.min_departure,
        },
        "items": ev.price_rows(j.index, j.tender, la, lb, rows, scaled.matched, fit),
    }
    return [j.alert("BOQ-RATIO", [a, b], evidence)]


# ---------------------------------------------------------------- BOQ-MIX


def _mix(j: _Judgement, a: str, b: str) -> list[Alert]:
    p, la, lb = j.p, j.laid[a], j.laid[b]
    _, oka = la.shares()
    _, okb = lb.shares()
    both = oka & okb & ~j.excluded[a] & ~j.excluded[b]
    both &= j.informative[a] & j.informative[b]
    public = both & j.public_mix[a] & j.public_mix[b]
    # nearly, not exactly: a price copied to the fen with its build-up is a copy's
    alike = both & ms.nearly_equal(la.price, lb.price, p.mix.min_repricing)
    alike &= np.abs(la.price - lb.price) >= p.shared.price_tolerance
    compared = both & ~public & ~alike
    mix = ms.same_mix(la, lb, compared, p.mix.tolerance, p.mix.rounding)
    if mix.n < p.mix.min_items or mix.share < p.mix.share:
        return []
    rows = ev.pick(mix.matched, ev.weight(j.tender, la), p.shared.max_evidence_items)
    evidence = {
        **j.base([a, b]),
        "compared": mix.n,
        "same_build_up": mix.hits,
        "share": round(mix.share, 4),
        "removed": {
            "control_build_up": int(public.sum()),
            "nearly_same_price": int((alike & ~public).sum()),
        },
        "thresholds": {
            "share": p.mix.share,
            "min_items": p.mix.min_items,
            "tolerance": p.mix.tolerance,
            "rounding": p.mix.rounding,
            "min_repricing": p.mix.min_repricing,
        },
        "items": ev.mix_rows(j.index, j.tender, la, lb, rows, mix.matched),
    }
    return [j.alert("BOQ-MIX", [a, b], evidence)]


# ---------------------------------------------------------------- BOQ-ERROR


def _errors(j: _Judgement, bidders: list[str]) -> list[Alert]:
    if j.tender is None:
        return []
    p = j.p
    devs = {
        b: ms.deviations(
            j.laid[b],
            j.tender,
            qty_tol=p.error.quantity_tolerance,
            arith_tol=p.error.arithmetic_tolerance,
        )
        for b in bidders
    }
    counts: dict[tuple, int] = {}
    on_item: dict[int, int] = {}  # bills deviating on the item, in whatever way
    for d in devs.values():
        for key in d:
            counts[key] = counts.get(key, 0) + 1
        for row in set(d.values()):
            on_item[row] = on_item.get(row, 0) + 1
    common = ms.common(counts, len(bidders), p.error.common_share, p.error.common_min_bidders)
    # Where most bills deviate from the tender bill on an item, the tender bill is off
    # there (an addendum it predates, a slip of its own): bills that agree on it share
    # the public figure, even when another bill's own slip there hides that it is common.
    # The public figure is the one most of them (or several) give; two bills that alone
    # drop the item, or alone change its unit, where the others priced the addendum,
    # share a slip of their own (found by hypothesis: a copied skeleton's slips fell on
    # addendum items, and were taken for the addendum).
    off = ms.common(on_item, len(bidders), p.error.common_share, p.error.common_min_bidders)
    most: dict[int, int] = {}
    for key, count in counts.items():
        row = key[1]
        if row in off:
            most[row] = max(most.get(row, 0), count)
    common |= {
        key
        for d in devs.values()
        for key, row in d.items()
        if row in off and counts[key] >= min(most[row], p.error.common_min_bidders)
    }
    alerts = []
    for a, b in combinations(bidders, 2):
        shared = sorted((set(devs[a]) & set(devs[b])) - common, key=lambda d: (d[1], d[0]))
        if len(shared) < p.error.min_shared:
            continue
        kinds: dict[str, int] = {}
        for d in shared:
            kinds[d[0]] = kinds.get(d[0], 0) + 1
        evidence = {
            **j.base([a, b]),
            "shared": len(shared),
            "kinds": kinds,
            "deviations": {a: len(devs[a]), b: len(devs[b])},
            "common_ignored": len(common & set(devs[a]) & set(devs[b])),
            "thresholds": {
                "min_shared": p.error.min_shared,
                "common_share": p.error.common_share,
                "common_min_bidders": p.error.common_min_bidders,
            },
            "items": ev.deviation_rows(
                j.index, j.tender, j.laid[a], j.laid[b], shared[: p.shared.max_evidence_items]
            ),
        }
        alerts.append(j.alert("BOQ-ERROR", [a, b], evidence))
    return alerts


# ---------------------------------------------------------------- BOQ-LOCK


def _locks(j: _Judgement, bidders: list[str]) -> list[Alert]:
    alerts = []
    generic = j.p.lock_generic
    for a, b in combinations(bidders, 2):
        sa, sb = j.laid[a].bill.software, j.laid[b].bill.software
        shared = []
        for f in LOCK_FIELDS:
            va, vb = norm_text(sa.get(f)), norm_text(sb.get(f))
            if va and va == vb and va not in generic:
                shared.append({"field": f, "value": sa.get(f)})
        if not shared:
            continue
        evidence = {
            **j.base([a, b]),
            "shared": shared,
            "software": {a: sa, b: sb},
        }
        alerts.append(j.alert("BOQ-LOCK", [a, b], evidence))
    return alerts


# ---------------------------------------------------------------- BOQ-UNBAL


def _reference(j: _Judgement, bidders: list[str]) -> np.ndarray:
    """The control prices, or without them the bidders' median (three bills at least)."""
    if ms.positive(j.control).any():
        return j.control.copy()
    prices = np.vstack([np.where(j.laid[b].priced, j.laid[b].price, np.nan) for b in bidders])
    enough = (~np.isnan(prices)).sum(axis=0) >= 3
    reference = np.full(prices.shape[1], np.nan)
    if enough.any():
        reference[enough] = np.nanmedian(prices[:, enough], axis=0)
    return reference


def _log_deviations(j: _Judgement, bidders: list[str], reference: np.ndarray) -> np.ndarray:
    """(bidders x items) log of price / what the bidder's own rates predict (NaN: unknown).

    An item priced as the control bill (its price, or scaled) is balanced by definition.
    """
    d = np.full((len(bidders), len(reference)), np.nan)
    for i, b in enumerate(bidders):
        x = j.laid[b]
        mask = ~j.excluded[b]
        expected = ms.expected_prices(x, j.tender, reference, mask, j.p.unbal.deviation)
        ok = mask & x.priced & ~np.isnan(expected)
        d[i, ok] = np.log(x.price[ok] / expected[ok])
    d[np.vstack([j.public[b] for b in bidders])] = np.nan  # following the control is balanced
    return d


def _from_the_field(
    matrix: np.ndarray, kept: np.ndarray, off: float, min_bidders: int
) -> np.ndarray:
    """Deviations measured from the median bidder where the control price is off.

    On an item whose control price is plainly wrong (a 信息价 1.6x the market), every
    honest bidder sits ~25 % below it, and a cartel raising that item 1.5x from its own
    price ends only ~20 % above the control: hidden. Where the median of the bidders with
    a price of their own (those at the control price counted as 0: they call it fair) is
    `off` or more from the control, the item's deviations are taken from that median. A
    cartel that is most of those bidders moves the median with it and still hides; one
    that is exactly half must not: of an even count's two middle values the one nearer
    the control is the median here (two honest bidders at 0 and a cartel of two at +0.4
    average to +0.2, which hid the cartel, found by hypothesis)."""
    values = np.where(kept, 0.0, matrix)
    counted = (~np.isnan(values)).sum(axis=0)
    median = np.zeros(matrix.shape[1])
    enough = counted >= min_bidders
    if enough.any():
        ranked = np.sort(np.nan_to_num(values[:, enough], nan=np.inf), axis=0)  # NaN last
        n, cols = counted[enough], np.arange(int(enough.sum()))
        lower, upper = ranked[(n - 1) // 2, cols], ranked[n // 2, cols]
        median[enough] = np.where(np.abs(lower) <= np.abs(upper), lower, upper)
    shifted = enough & (np.abs(median) >= off)
    out = matrix.copy()
    out[:, shifted] -= median[shifted]
    return out


def _kept_control(j: _Judgement, bidders: list[str]) -> np.ndarray:
    """(bidders x items) at the control price here, by a bidder that priced its bill itself.

    Such a bidder says the control price is a fair one for the item; a bill at the control
    price almost everywhere (the control bill scaled, 整体下浮) says nothing of any item.
    """
    rows = []
    for b in bidders:
        x = j.laid[b]
        counted = x.priced & ~j.excluded[b]
        kept = j.public[b] & counted
        follower = counted.any() and kept.sum() >= j.p.unbal.follower_share * counted.sum()
        rows.append(np.zeros_like(kept) if follower else kept)
    return np.vstack(rows)


def _spread(gap: np.ndarray, balanced: np.ndarray) -> float:
    """How far apart two bills' deviations are on the items neither unbalanced (three
    robust standard deviations): what "the same way" can mean for this pair.

    With build-ups this is small and `agree` decides; without them the expected prices are
    rough (a level times the reference), so two bills moved alike still differ item by
    item as their own rates do.
    """
    g = gap[balanced & np.isfinite(gap)]
    if len(g) < 10:
        return 0.0
    return float(3 * 1.4826 * np.median(g))


def _unbalanced(j: _Judgement, bidders: list[str]) -> list[Alert]:
    p = j.p
    reference = _reference(j, bidders)
    limit = np.log1p(p.unbal.deviation)
    kept = _kept_control(j, bidders)
    matrix = _from_the_field(
        _log_deviations(j, bidders, reference),
        kept,
        limit * p.unbal.field_off,
        p.unbal.common_min_bidders,
    )
    logd = dict(zip(bidders, matrix, strict=True))
    flag = {
        b: np.where(np.abs(np.nan_to_num(d)) >= limit, np.sign(np.nan_to_num(d)), 0.0)
        for b, d in logd.items()
    }
    stacked = np.vstack([flag[b] for b in bidders])
    pricing_own = (~np.isnan(matrix)).sum(axis=0) + kept.sum(axis=0)
    common = np.zeros(len(reference), dtype=bool)
    for sign in (1.0, -1.0):
        n = (stacked == sign).sum(axis=0)
        common |= (n >= p.unbal.common_min_bidders) & (n > p.unbal.common_share * len(bidders))
        # Most of the bidders with a price of their own for the item lean the same way
        # (three quarters of the deviation is enough; half counted honest bidders whose own rates
        # run high on some kinds of item): the control price is what is off (an outdated
        # 信息价). A bidder that priced its bill itself and kept the control price here
        # does not lean; a cartel that is most of those bidders still hides here.
        lean = (np.nan_to_num(matrix * sign, nan=0.0) >= limit * p.unbal.lean).sum(axis=0)
        common |= (lean >= 2) & (lean > p.unbal.common_share * pricing_own)
    own = {b: (flag[b] != 0) & ~common for b in bidders}
    pairs: dict[tuple[str, str], np.ndarray] = {}
    chances: dict[tuple[str, str], float] = {}
    for a, b in combinations(bidders, 2):
        shared = own[a] & own[b] & (flag[a] == flag[b])
        gap = np.abs(np.nan_to_num(logd[a] - logd[b], nan=np.inf))
        shared &= gap <= max(p.unbal.agree, _spread(gap, ~(own[a] | own[b])))
        n = int(shared.sum())
        ua, ub = int(own[a].sum()), int(own[b].sum())
        if n < p.unbal.min_items or n < p.unbal.overlap * min(ua, ub):
            continue
        # Unbalancing moves money between items (some raised, some lowered, the total
        # kept competitive); two bills only cheaper, or only dearer, on the same items
        # price some resource alike (a material below an outdated 信息价).
        raised = int((shared & (flag[a] > 0)).sum())
        if min(raised, n - raised) < p.unbal.min_each_way:
            continue
        # How often would two bidders unbalancing ua and ub of the items both could
        # unbalance share n of them by chance? Small bills cannot tell.
        pool = int((~np.isnan(logd[a]) & ~np.isnan(logd[b]) & ~common).sum())
        chance = float(hypergeom.sf(n - 1, pool, ua, ub))
        if chance <= p.unbal.max_chance:
            pairs[(a, b)] = shared
            chances[(a, b)] = chance
    alerts = []
    for group in _groups(pairs):
        ties = {pair: rows for pair, rows in pairs.items() if pair[0] in group}
        union = np.zeros(len(reference), dtype=bool)
        for rows in ties.values():
            union |= rows
        picked = ev.pick(union, ev.weight(j.tender, j.laid[group[0]]), p.shared.max_evidence_items)
        items = []
        for r in picked:
            row = ev.describe(j.index, [j.tender, *(j.laid[b] for b in group)], int(r))
            row["reference"] = ev.num(reference[r])
            row["prices"] = {b: ev.num(j.laid[b].price[r]) for b in group}
            row["deviation"] = {
                b: ev.num(np.expm1(logd[b][r])) if flag[b][r] else None for b in group
            }
            items.append(row)
        evidence = {
            **j.base(group),
            "pairs": [
                {
                    "bidders": list(pair),
                    "shared_items": int(rows.sum()),
                    "chance": float(f"{chances[pair]:.3g}"),
                }
                for pair, rows in sorted(ties.items())
            ],
            "unbalanced_items": {b: int(own[b].sum()) for b in group},
            "common_ignored": int(common.sum()),
            "reference": "control" if ms.positive(j.control).any() else "bidders' median",
            "thresholds": {
                "deviation": p.unbal.deviation,
                "agree": p.unbal.agree,
                "min_items": p.unbal.min_items,
                "overlap": p.unbal.overlap,
                "max_chance": p.unbal.max_chance,
                "min_each_way": p.unbal.min_each_way,
                "lean": p.unbal.lean,
                "follower_share": p.unbal.follower_share,
                "field_off": p.unbal.field_off,
            },
            "items": items,
        }
        alerts.append(j.alert("BOQ-UNBAL", group, evidence))
    return alerts


def _groups(pairs) -> list[list[str]]:
    """Connected groups of bidders over the tied pairs, each sorted."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for x in sorted(parent):
        groups.setdefault(find(x), []).append(x)
    return sorted(groups.values())

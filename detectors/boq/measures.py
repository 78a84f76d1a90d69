"""Pure measures over laid bills (numpy, no events, no alerts).

The control bill (招标控制价, the tender's own priced bill) is public: every bidder may
copy it, scale it (整体下浮) or keep its default build-up, and honest bidders do. So
what two bills share *because both follow the control bill* is removed before they are
compared, as the tender template is removed before documents are compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import nnls

from detectors.boq.bills import BASE, Laid


def positive(values: np.ndarray) -> np.ndarray:
    return np.nan_to_num(values, nan=0.0) > 0


def level(x: Laid, control: np.ndarray, mask: np.ndarray) -> float | None:
    """The bidder's overall ratio to the control prices (median over `mask`)."""
    m = mask & x.priced & positive(control)
    if not m.any():
        return None
    return float(np.median(x.price[m] / control[m]))


def public_prices(
    x: Laid,
    control: np.ndarray,
    k: float | None,
    *,
    price_tol: float,
    abs_tol: float,
    rel_tol: float,
) -> np.ndarray:
    """Items whose price is the control price, or the control price at the bidder's own level."""
    out = np.zeros(len(control), dtype=bool)
    m = x.priced & positive(control)
    if not m.any():
        return out
    p, c = x.price[m], control[m]
    hit = np.abs(p - c) < price_tol
    if k is not None:
        hit |= np.abs(p - k * c) <= abs_tol + rel_tol * p
    out[m] = hit
    return out


def common_prices(laid: list[Laid], share: float, min_bills: int) -> list[np.ndarray]:
    """Per bill, the items whose price most of the field charges to the fen.

    Honest bidders who keep the quota, the information prices and the default rates
    arrive at the same figure: when more than `share` of the bills (and `min_bills`)
    carry it, it is public, like the control bill (even where the control price is off).
    """
    cents = np.vstack([np.where(x.priced, np.round(x.price * 100), np.nan) for x in laid])
    n = len(laid)
    out = []
    for row in cents:
        count = (cents == row).sum(axis=0)  # NaN never equals: unpriced items count 0
        out.append((count >= min_bills) & (count > share * n))
    return out


def public_mix(x: Laid, control: Laid | None, tol: float) -> np.ndarray:
    """Items whose build-up is the control bill's (default rates and prices kept)."""
    k = len(x.present)
    if control is None:
        return np.zeros(k, dtype=bool)
    sx, okx = x.shares()
    sc, okc = control.shares()
    ok = okx & okc
    out = np.zeros(k, dtype=bool)
    out[ok] = np.abs(sx[ok] - sc[ok]).max(axis=1) <= tol
    return out


@dataclass
class Pair:
    """One measure of one pair: which items were compared, which matched, and how."""

    compared: np.ndarray
    matched: np.ndarray
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.compared.sum())

    @property
    def hits(self) -> int:
        return int(self.matched.sum())

    @property
    def share(self) -> float:
        return self.hits / self.n if self.n else 0.0


def same_prices(a: Laid, b: Laid, compared: np.ndarray, tol: float) -> Pair:
    matched = np.zeros_like(compared)
    matched[compared] = np.abs(a.price[compared] - b.price[compared]) < tol
    return Pair(compared, matched)


def scaled_prices(a: Laid, b: Laid, compared: np.ndarray, abs_tol: float, rel_tol: float) -> Pair:
    """b = k·a or b = a + d on most items: the better of the two fits, with how far it
    is from b = a (`departure`: |k - 1|, or |d| over the typical price)."""
    best = Pair(compared, np.zeros_like(compared))
    if not compared.any():
        return best
    pa, pb = a.price[compared], b.price[compared]
    tol = abs_tol + rel_tol * pb
    k = float(np.median(pb / pa))
    d = float(np.median(pb - pa))
    typical = float(np.median(pa))
    for kind, value, fit, departure in (
        ("ratio", k, k * pa, abs(k - 1)),
        ("difference", d, pa + d, abs(d) / typical if typical > 0 else 0.0),
    ):
        matched = np.zeros_like(compared)
        matched[compared] = np.abs(pb - fit) <= tol
        if matched.sum() > best.hits or not best.detail:
            detail = {"kind": kind, "value": round(value, 6), "departure": round(departure, 6)}
            best = Pair(compared, matched, detail)
    return best


def same_mix(a: Laid, b: Laid, compared: np.ndarray, tol: float, rounding: float) -> Pair:
    """The same shares on an item: within what rounding the components to the fen can
    move them (`rounding` yuan over the item's price), and never more than `tol`.

    A re-priced copy keeps its master's shares to the fen; two honest bidders with
    nearly the same rates (labour 1.216 and 1.205, profit 8.5 % and 8.6 %) differ by a
    few thousandths, which a flat tolerance of 0.005 took for a copy on every item."""
    sa, _ = a.shares()
    sb, _ = b.shares()
    size = np.minimum(a.component_sum, b.component_sum)[compared]
    allowed = np.minimum(tol, rounding / np.maximum(size, 1e-9))
    matched = np.zeros_like(compared)
    matched[compared] = np.abs(sa[compared] - sb[compared]).max(axis=1) <= allowed
    return Pair(compared, matched)


def nearly_equal(a: np.ndarray, b: np.ndarray, share: float) -> np.ndarray:
    """Where |b / a - 1| < share (NaN and non-positive prices: never)."""
    out = np.zeros(len(a), dtype=bool)
    ok = ~np.isnan(a) & ~np.isnan(b) & (a > 0)
    out[ok] = np.abs(b[ok] / a[ok] - 1) < share
    return out


# ---------------------------------------------------------------- BOQ-ERROR


def deviations(x: Laid, tender: Laid, *, qty_tol: float, arith_tol: float) -> dict[tuple, int]:
    """Every deviation of `x` from the tender bill, as identity -> row.

    An identity carries the bidder's own value (the wrong quantity, the wrong unit, the
    wrong total), so two bills share a deviation only when they are wrong in the same way.
    """
    out: dict[tuple, int] = {}
    both = x.present & tender.present
    for r in np.flatnonzero(tender.present & ~x.present):
        out[("missing", int(r))] = int(r)
    for r in np.flatnonzero(x.present & ~tender.present):
        out[("extra", int(r))] = int(r)
    qx, qt = x.quantity, tender.quantity
    known = both & ~np.isnan(qx) & ~np.isnan(qt)
    bad = np.zeros_like(known)
    bad[known] = np.abs(qx[known] - qt[known]) > qty_tol * np.maximum(np.abs(qt[known]), 1.0)
    for r in np.flatnonzero(bad):
        out[("quantity", int(r), round(float(qx[r]), 6))] = int(r)
    for kind, vx, vt in (("unit", x.units, tender.units), ("name", x.names, tender.names)):
        differs = both & (vx != "") & (vt != "") & (vx != vt)
        for r in np.flatnonzero(differs):
            out[(kind, int(r), str(vx[r]))] = int(r)
    p, q, t = x.price, x.quantity, x.total
    known = x.present & ~np.isnan(p) & ~np.isnan(q) & ~np.isnan(t)
    bad = np.zeros_like(known)
    bad[known] = np.abs(t[known] - q[known] * p[known]) > arith_tol + 1e-9 * np.abs(t[known])
    for r in np.flatnonzero(bad):
        out[("arithmetic", int(r), round(float(t[r]), 2))] = int(r)
    return out


def common(counts: dict[Any, int], n_bills: int, share: float, min_bills: int) -> set:
    """What too many bills share to be a secret (an addendum, a slip of the tender)."""
    return {k for k, c in counts.items() if c >= min_bills and c > share * n_bills}


# ---------------------------------------------------------------- BOQ-UNBAL


def expected_prices(
    x: Laid, control: Laid | None, reference: np.ndarray, mask: np.ndarray, deviation: float
) -> np.ndarray:
    """What the bidder's own cost structure predicts for each item (NaN: unknown).

    With the control build-up known, the bidder's prices are fitted as
    a·labour + b·material + c·machine of the control's base costs (its own labour rate,
    material and machine prices and fee rates; non-negative least squares on relative
    errors, refitted once without the items far off the first fit), so an item is unbalanced only when it is
    far from what the bidder charges for the same resources elsewhere. Without it, the
    bidder's overall level times the reference price.
    """
    k = len(reference)
    out = np.full(k, np.nan)
    m = mask & x.priced & positive(reference)
    if not m.any():
        return out
    lvl = float(np.median(x.price[m] / reference[m]))
    out[m] = lvl * reference[m]
    if control is None:
        return out
    base = control.components[:, BASE]
    known = ~np.isnan(base).any(axis=1) & (np.nan_to_num(base, nan=0.0).sum(axis=1) > 0)
    fit = m & known
    if fit.sum() < 10:
        return out
    a, y = base[fit], x.price[fit]
    rel = a / y[:, None]  # relative errors: a 3-yuan item counts as much as a 3,000-yuan one
    coef, _ = nnls(rel, np.ones(len(y)))
    pred = a @ coef
    ratio = np.divide(y, pred, out=np.full_like(y, np.inf), where=pred > 0)
    keep = np.abs(np.log(ratio)) < np.log1p(deviation)
    if keep.sum() >= 10:
        coef, _ = nnls(rel[keep], np.ones(int(keep.sum())))
    pred = base[known] @ coef
    rows = np.flatnonzero(known)
    good = pred > 0
    out[rows[good]] = pred[good]
    return out

"""Evidence for BOQ alerts: the item table side by side, bounded and in bill order.

An alert quotes at most `max_evidence_items` rows (the costliest of the matching items,
shown in the tender's order) and counts the rest; the wall rebuilds the whole table
from the recorded bills (dashboards/boq_view.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detectors.boq.bills import COMPONENTS, Index, Laid


def num(v: float) -> float | None:
    """JSON-ready number: None for NaN, four decimals."""
    v = float(v)
    return None if v != v else round(v, 4)


def weight(tender: Laid | None, a: Laid) -> np.ndarray:
    """How much money an item carries: the control total, else the bidder's."""
    src = tender if tender is not None else a
    w = np.nan_to_num(src.price * src.quantity, nan=0.0)
    return np.where(w > 0, w, np.nan_to_num(src.total, nan=0.0))


def pick(mask: np.ndarray, w: np.ndarray, limit: int) -> np.ndarray:
    """The `limit` heaviest rows of `mask`, in row order."""
    rows = np.flatnonzero(mask)
    if len(rows) > limit:
        order = np.lexsort((rows, -w[rows]))
        rows = np.sort(rows[order[:limit]])
    return rows


def describe(index: Index, bills: list[Laid | None], r: int) -> dict[str, Any]:
    """Code, name, unit and quantity of row `r`, from the first bill that has the item."""
    code = index.keys[r][0]
    out: dict[str, Any] = {"code": code, "name": None, "unit": None, "quantity": None}
    for laid in bills:
        if laid is None:
            continue
        i = laid.item(r)
        if i is None:
            continue
        b = laid.bill
        out["name"] = out["name"] or b.names[i]
        if out["quantity"] is None:
            out["quantity"] = num(b.quantity[i])
        if out["unit"] is None and laid.units[r]:
            out["unit"] = laid.units[r]
    if index.keys[r][1]:
        out["occurrence"] = index.keys[r][1] + 1
    return out


def price_rows(
    index: Index,
    tender: Laid | None,
    a: Laid,
    b: Laid,
    rows: np.ndarray,
    matched: np.ndarray,
    fit: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Rows of (code, name, unit, quantity, control, a, b, match[, expected])."""
    out = []
    for r in rows:
        row = describe(index, [tender, a, b], int(r))
        row["control"] = num(tender.price[r]) if tender is not None else None
        row["a"] = num(a.price[r])
        row["b"] = num(b.price[r])
        if fit is not None:
            row["expected_b"] = num(fit[r])
        row["match"] = bool(matched[r])
        out.append(row)
    return out


def mix_rows(
    index: Index, tender: Laid | None, a: Laid, b: Laid, rows: np.ndarray, matched: np.ndarray
) -> list[dict[str, Any]]:
    """Rows with both build-ups as shares (labour, material, machine, management, profit)."""
    sa, _ = a.shares()
    sb, _ = b.shares()
    out = []
    for r in rows:
        row = describe(index, [tender, a, b], int(r))
        row["a"] = num(a.price[r])
        row["b"] = num(b.price[r])
        row["a_shares"] = {k: round(float(v), 4) for k, v in zip(COMPONENTS, sa[r], strict=True)}
        row["b_shares"] = {k: round(float(v), 4) for k, v in zip(COMPONENTS, sb[r], strict=True)}
        row["match"] = bool(matched[r])
        out.append(row)
    return out


def deviation_value(kind: str, laid: Laid | None, r: int) -> Any:
    """What a bill says about row `r` for a deviation of `kind`."""
    if laid is None or not laid.present[r]:
        return None
    i = laid.item(r)
    b = laid.bill
    match kind:
        case "quantity":
            return num(laid.quantity[r])
        case "unit":
            return laid.units[r] or None
        case "name":
            return b.names[i] if i is not None else None
        case "arithmetic":
            return {
                "quantity": num(laid.quantity[r]),
                "unit_price": num(laid.price[r]),
                "total": num(laid.total[r]),
            }
    return "present"


def deviation_rows(
    index: Index, tender: Laid, a: Laid, b: Laid, shared: list[tuple]
) -> list[dict[str, Any]]:
    out = []
    for dev in shared:
        kind, r = dev[0], dev[1]
        row = describe(index, [tender, a, b], r)
        row["kind"] = kind
        row["tender"] = deviation_value(kind, tender, r)
        row["a"] = deviation_value(kind, a, r)
        row["b"] = deviation_value(kind, b, r)
        out.append(row)
    return out

"""Bills of quantities as aligned arrays: one row per item key, one array per bill.

Items are matched across bills by key = (项目编码, occurrence): GB 50500 forbids
repeated codes in one tender, but a compiler slip repeats them, and then the k-th
occurrence in one bill is matched with the k-th in another. Every bill of a project is
laid on one project-wide index (the tender's order first), so each rule is a few numpy
operations over whole columns instead of a loop over items.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from witness.events import BoqSubmitted

TENDER = "tender"
COMPONENTS = ("labour", "material", "machine", "management", "profit")
#: The three base costs the fee rates are charged on (人工费、材料费、机械费).
BASE = slice(0, 3)


@lru_cache(maxsize=65536)
def norm_text(value: str | None) -> str:
    """Compare texts as a person would: NFKC, no whitespace, case-folded."""
    if not value:
        return ""
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold()


@dataclass(eq=False)
class Bill:
    """One submitted bill, as arrays in its own item order."""

    owner: str
    doc_id: str
    event_id: str
    keys: list[tuple[str, int]]
    names: list[str | None]
    units: list[str]  # normalised
    price: np.ndarray  # NaN where not priced
    quantity: np.ndarray  # NaN where absent
    total: np.ndarray  # NaN where absent
    components: np.ndarray | None  # (n, 5), NaN where absent; None when no item has any
    fixed: np.ndarray  # bool: the item says it is set by the tender
    software: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.keys)


_NO_COMPONENTS = (None,) * 5


def _fixed_pattern(fixed_names: tuple[str, ...]) -> re.Pattern[str] | None:
    names = [n for n in fixed_names if n]
    return re.compile("|".join(map(re.escape, names))) if names else None


def read_bill(payload: BoqSubmitted, event_id: str, fixed_names: tuple[str, ...]) -> Bill:
    """A validated payload as arrays; item names matching `fixed_names` count as fixed."""
    items = payload.items
    seen: dict[str, int] = {}
    keys = []
    for item in items:
        n = seen.get(item.code, 0)
        seen[item.code] = n + 1
        keys.append((item.code, n))
    names = [it.name for it in items]
    pattern = _fixed_pattern(fixed_names)
    fixed = [
        it.fixed or (pattern is not None and it.name is not None and pattern.search(it.name))
        for it in items
    ]
    # numpy turns None into NaN for float arrays: absent numbers need no special case.
    comps = [
        _NO_COMPONENTS
        if (c := it.components) is None
        else (c.labour, c.material, c.machine, c.management, c.profit)
        for it in items
    ]
    any_comps = any(it.components is not None for it in items)
    sw = payload.software.model_dump(exclude_none=True) if payload.software else {}
    return Bill(
        owner=payload.bidder_id,
        doc_id=payload.doc_id,
        event_id=event_id,
        keys=keys,
        names=names,
        units=[norm_text(it.unit) for it in items],
        price=np.array([it.unit_price for it in items], dtype=float),
        quantity=np.array([it.quantity for it in items], dtype=float),
        total=np.array([it.total for it in items], dtype=float),
        components=np.array(comps, dtype=float).reshape(-1, 5) if any_comps else None,
        fixed=np.array([bool(f) for f in fixed], dtype=bool),
        software={k: v for k, v in sw.items() if isinstance(v, str)},
    )


@dataclass(eq=False)
class Laid:
    """A bill laid on the project index: arrays of the index's length."""

    bill: Bill
    present: np.ndarray
    price: np.ndarray
    quantity: np.ndarray
    total: np.ndarray
    components: np.ndarray  # (K, 5)
    fixed: np.ndarray
    units: np.ndarray  # object array of normalised units ("" where absent)
    names: np.ndarray  # object array of normalised names
    item_of: np.ndarray  # row -> the item's position in the bill, -1 where absent

    def item(self, row: int) -> int | None:
        i = int(self.item_of[row])
        return None if i < 0 else i

    @cached_property
    def priced(self) -> np.ndarray:
        """Priced items: a unit price above zero (0 = 未报价, included elsewhere)."""
        return self.present & (np.nan_to_num(self.price, nan=0.0) > 0)

    def shares(self) -> tuple[np.ndarray, np.ndarray]:
        return self._shares

    @cached_property
    def component_sum(self) -> np.ndarray:
        """Each item's components added up (0 where it has none)."""
        return np.nan_to_num(self.components, nan=0.0).sum(axis=1)

    @cached_property
    def _shares(self) -> tuple[np.ndarray, np.ndarray]:
        """Each item's build-up as shares of its sum, and where that is known."""
        c = self.components
        known = ~np.isnan(c).all(axis=1)
        filled = np.nan_to_num(c, nan=0.0)
        s = self.component_sum
        ok = known & (s > 0)
        out = np.zeros_like(filled)
        np.divide(filled, s[:, None], out=out, where=ok[:, None])
        return out, ok

    def informative(self, min_base: int) -> np.ndarray:
        """Items with at least `min_base` non-zero base costs (labour, material, machine)."""
        base = np.nan_to_num(self.components[:, BASE], nan=0.0)
        return (base > 0).sum(axis=1) >= min_base


@dataclass
class Index:
    """Project-wide item keys; position = row in every laid bill."""

    keys: list[tuple[str, int]] = field(default_factory=list)
    pos: dict[tuple[str, int], int] = field(default_factory=dict)

    def positions(self, keys: list[tuple[str, int]]) -> np.ndarray:
        out = np.empty(len(keys), dtype=np.int64)
        pos = self.pos
        for i, k in enumerate(keys):
            p = pos.get(k)
            if p is None:
                p = pos[k] = len(self.keys)
                self.keys.append(k)
            out[i] = p
        return out


def lay_out(bills: list[Bill]) -> tuple[Index, list[Laid]]:
    """Lay every bill on one index (the first bill's order first: pass the tender first)."""
    index = Index()
    positions = [index.positions(b.keys) for b in bills]
    k = len(index.keys)
    laid = []
    for b, p in zip(bills, positions, strict=True):
        present = np.zeros(k, dtype=bool)
        present[p] = True

        def spread(values: np.ndarray, p: np.ndarray = p) -> np.ndarray:
            out = np.full(k, np.nan)
            out[p] = values
            return out

        comps = np.full((k, 5), np.nan)
        if b.components is not None:
            comps[p] = b.components
        fixed = np.zeros(k, dtype=bool)
        fixed[p] = b.fixed
        units = np.full(k, "", dtype=object)
        units[p] = b.units
        names = np.full(k, "", dtype=object)
        names[p] = [norm_text(n) for n in b.names]
        item_of = np.full(k, -1, dtype=np.int64)
        item_of[p] = np.arange(len(p))
        laid.append(
            Laid(
                bill=b,
                present=present,
                price=spread(b.price),
                quantity=spread(b.quantity),
                total=spread(b.total),
                components=comps,
                fixed=fixed,
                units=units,
                names=names,
                item_of=item_of,
            )
        )
    return index, laid

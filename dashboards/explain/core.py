"""What an explanation is, and how its pieces are written: names beside ids, money, shares.

An explanation is one or two sentences a witness officer reads at a glance, plus tables
with Chinese column names. Pure: no Streamlit, so every rule's rendering is tested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from witness.i18n import t


@dataclass(frozen=True)
class Table:
    title: str
    rows: list[dict[str, str]]


@dataclass(frozen=True)
class Explanation:
    summary: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Names:
    """Display names of the parties the evidence names by id (bidders, experts, projects)."""

    bidders: dict[str, str] = field(default_factory=dict)
    experts: dict[str, str] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)
    currency: str = "CNY"

    def copy(self) -> Names:
        return Names(dict(self.bidders), dict(self.experts), dict(self.projects), self.currency)

    def bidder(self, bid: Any) -> str:
        """'甲建设公司（9132…）' when the name is known, else the id."""
        return _both(self.bidders.get(str(bid)), bid)

    def bidder_name(self, bid: Any) -> str:
        return self.bidders.get(str(bid)) or str(bid)

    def expert(self, xid: Any) -> str:
        return _both(self.experts.get(str(xid)), xid)

    def learn(self, evidence: Any) -> None:
        """Pick up names the evidence itself carries (bidder_name, expert_name, roster)."""
        for d in _dicts(evidence):
            if d.get("bidder_id") and d.get("bidder_name"):
                self.bidders.setdefault(str(d["bidder_id"]), str(d["bidder_name"]))
            if d.get("expert_id") and (d.get("expert_name") or d.get("name")):
                self.experts.setdefault(str(d["expert_id"]), str(d.get("expert_name") or d["name"]))
            for side in ("from", "to"):
                if d.get(side) and d.get(f"{side}_name"):
                    self.bidders.setdefault(str(d[side]), str(d[f"{side}_name"]))
            if isinstance(d.get("controller"), dict):
                c = d["controller"]
                if c.get("id") and c.get("name"):
                    self.bidders.setdefault(str(c["id"]), str(c["name"]))


def _both(name: str | None, ident: Any) -> str:
    return f"{name}（{ident}）" if name and name != str(ident) else str(ident)


def _dicts(obj: Any) -> Iterable[dict]:
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _dicts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _dicts(v)


def money(value: Any, currency: str = "CNY") -> str:
    """¥1,439,957.52 (thousands separators, the currency in front)."""
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    sign = {"CNY": "¥", "RMB": "¥", "USD": "US$", "EUR": "€"}.get((currency or "").upper())
    return f"{sign}{amount:,.2f}" if sign else f"{amount:,.2f} {currency}"


def pct(value: Any, digits: int = 0) -> str:
    try:
        return f"{float(value) * 100:.{digits}f}%"
    except (TypeError, ValueError):
        return str(value)


def num(value: Any, digits: int = 2) -> str:
    if isinstance(value, bool) or value is None:
        return str(value) if value is not None else "—"
    if isinstance(value, int):
        return f"{value:,}"
    try:
        text = f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def when(value: Any) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM:SS' in its own offset (as the platform sent it)."""
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(value)


def col(key: str) -> str:
    """A column name (zh-CN or English) from the shared glossary."""
    return t(f"ex.col.{key}")


def label(group: str, key: Any) -> str:
    """A known value in words ('contact_phone' -> '联系电话'); unknown values stay as they are."""
    text = t(f"ex.{group}.{key}")
    return str(key) if text == f"ex.{group}.{key}" else text


Explainer = Callable[[Any, dict, Names], Explanation]

"""Rows of a bid table -> tenders, counting every row left out by its reason.

Only the tender and price columns are required: price screens need no firm ids (many
public data sets have none). Without a bidder column every row is its own bid; a row
whose bidder cell is empty (or NA, NaN, null, #N/A) is kept as an anonymous bid (its
price still counts) and only left out of the bidder-history features. A bidder with
several rows in one tender keeps its lowest price.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from witness.amounts import AmountError, parse_amount

TRUE_WORDS = frozenset({"1", "1.0", "true", "yes", "y", "t", "won", "winner", "是"})
FALSE_WORDS = frozenset({"", "0", "0.0", "false", "no", "n", "f", "否"})

#: Tender and bidder cells that mean "no id": R's NA, pandas' NaN when a file was written
#: with it, spreadsheet errors. Read as an id, they would make one tender of every row
#: without one, or one firm that bids in every tender with a gap.
NO_ID_WORDS = frozenset({"na", "n/a", "nan", "null", "none", "#n/a", "#na"})

#: Why a row was left out (it adds no bid).
SKIP_REASONS = ("no_tender", "no_price", "bad_price", "nonpositive_price")
#: What was noticed in a row that still counts.
NOTE_REASONS = ("no_bidder", "repeat_bid", "bad_reserve", "bad_date", "unknown_winner")
#: Rows kept per reason as examples (file line, cell, why) for the message.
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Columns:
    """Which CSV column holds what; None = the table has no such column."""

    tender: str
    price: str
    bidder: str | None = None
    winner: str | None = None
    label: str | None = None
    reserve: str | None = None
    rejected: str | None = None
    agent: str | None = None
    published: str | None = None
    deadline: str | None = None

    def named(self) -> dict[str, str]:
        """option name -> column, for the columns the user named."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Tender:
    tender: str
    bids: dict[str, float] = field(default_factory=dict)  # bid key -> price
    anonymous: set[str] = field(default_factory=set)  # keys that are row numbers, not ids
    winner: str | None = None
    label: str | None = None
    reserve: float | None = None
    rejected: set[str] = field(default_factory=set)
    agent: str | None = None
    published: datetime | None = None
    deadline: datetime | None = None

    @property
    def bidders(self) -> frozenset[str]:
        """Bid keys that are real bidder ids."""
        return frozenset(k for k in self.bids if k not in self.anonymous)

    @property
    def sorted_prices(self) -> list[float]:
        return sorted(self.bids.values())


@dataclass
class BidTable:
    tenders: dict[str, Tender] = field(default_factory=dict)
    rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> rows left out
    noted: Counter[str] = field(default_factory=Counter)  # reason -> rows kept with a note
    #: reason -> the first rows behind it: (line of the file, the header being line 1,
    #: the cell as written, why it was refused)
    examples: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    has_bidders: bool = False
    has_reserve: bool = False

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def count(
        self, kind: Counter[str], reason: str, cell: str = "", why: str = "", *, line: int = 0
    ) -> None:
        """Count a row under `reason` in `kind` (skipped or noted), keeping the first few;
        `line` where it is not the row being read."""
        kind[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < MAX_EXAMPLES:
            shown.append((line or self.rows + 1, cell, why))


def same_party(text: str) -> str:
    """A bidder id or name as a person compares them: full-width forms, letter case and
    white space do not matter ('ＡＢＣ建设 有限公司' is 'abc建设有限公司')."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _flag(text: str) -> bool | None:
    """True/False for a 0/1-like cell, None for anything else (e.g. a winner's id)."""
    low = text.strip().lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    return None


def parse_price(raw: str) -> tuple[float | None, str | None, str]:
    """(price, None, "") or (None, skip reason, why). Amounts as `witness.amounts` reads
    them: grouping, a decimal comma, full-width digits, a currency sign."""
    if not raw.strip():
        return None, "no_price", ""
    try:
        value = parse_amount(raw)
    except AmountError as exc:
        return None, "bad_price", str(exc)
    if value <= 0:
        return None, "nonpositive_price", ""
    return value, None, ""


def parse_when(raw: str) -> datetime | None:
    """An ISO date or date-time; raises ValueError on anything else."""
    text = raw.strip()
    return datetime.fromisoformat(text) if text else None


def build_table(rows: Iterable[Mapping[str, str | None]], columns: Columns) -> BidTable:
    """Fold CSV rows (dicts of column -> cell) into tenders; see the module docstring.

    `winner` may be a 0/1 (true/false) flag per row or the winning bidder's id; without
    it the lowest bid that was not rejected wins (lowest-price award). `rejected` is a
    0/1 flag or a reason text per row (否决投标). `label` is kept only to report AUCs:
    a 0/1 per tender, or per bid (a colluder's bid marked 1), where a tender with any
    bid marked 1 counts as a case, whichever row comes first.
    """
    out = BidTable(has_bidders=columns.bidder is not None, has_reserve=columns.reserve is not None)
    named_winner: dict[str, tuple[str, int]] = {}  # tender -> (the name, its line)

    def cell(row: Mapping[str, str | None], col: str | None) -> str:
        return (row.get(col) or "").strip() if col is not None else ""

    for row in rows:
        out.rows += 1
        tid = cell(row, columns.tender)
        if not tid or tid.lower() in NO_ID_WORDS:
            out.count(out.skipped, "no_tender", tid)
            continue
        t = out.tenders.get(tid)
        if t is None:
            t = out.tenders[tid] = Tender(tid)  # a tender with no valid bid stays listed
        _tender_fields(t, row, columns, out, cell)
        raw = cell(row, columns.price)
        price, reason, why = parse_price(raw)
        if reason is not None:
            out.count(out.skipped, reason, raw, why)
            continue
        key = cell(row, columns.bidder)
        if key.lower() in NO_ID_WORDS:
            key = ""
        if not key:
            if columns.bidder is not None:
                out.count(out.noted, "no_bidder")
            key = f"#{out.rows}"
            t.anonymous.add(key)
        elif key in t.bids:
            out.count(out.noted, "repeat_bid", key)
        t.bids[key] = min(price, t.bids.get(key, math.inf))
        if columns.rejected is not None:
            text = cell(row, columns.rejected)
            if text and _flag(text) is not False:
                t.rejected.add(key)
        if columns.winner is not None:
            text = cell(row, columns.winner)
            flag = _flag(text)
            if flag is True or (text and text == key):
                t.winner = key
            elif text and t.winner is None and same_party(text) == same_party(key):
                t.winner = key  # the same firm written another way; an exact match wins
            elif flag is None and text:
                named_winner.setdefault(tid, (text, out.rows + 1))  # it names the winner
    for t in out.tenders.values():
        if t.winner is None and t.tender in named_winner:
            named, line = named_winner[t.tender]
            match = [k for k in t.bids if same_party(k) == same_party(named)]
            t.winner = match[0] if len(match) == 1 else named
            if t.winner not in t.bids:  # a name the bidder column does not hold
                out.count(out.noted, "unknown_winner", named, line=line)
        if t.winner is None and columns.winner is None:
            valid = [k for k in t.bids if k not in t.rejected]
            if valid:
                t.winner = min(valid, key=lambda k: (t.bids[k], k))
    return out


def _tender_fields(t: Tender, row, columns: Columns, out: BidTable, cell) -> None:
    """Per-tender columns (reserve, agent, dates): the first non-empty value wins; the
    label: any row marked 1."""
    if columns.label is not None:
        text = cell(row, columns.label)
        if text and (t.label is None or (_flag(text) is True and _flag(t.label) is not True)):
            t.label = text  # a per-bid label (e.g. Collusive_competitor): any 1 marks the tender
    if columns.agent is not None and t.agent is None:
        t.agent = cell(row, columns.agent) or None
    if columns.reserve is not None and t.reserve is None:
        text = cell(row, columns.reserve)
        if text:
            value, reason, why = parse_price(text)
            if reason is None:
                t.reserve = value
            else:
                out.count(out.noted, "bad_reserve", text, why)
    for attr in ("published", "deadline"):
        col = getattr(columns, attr)
        if col is None or getattr(t, attr) is not None:
            continue
        try:
            setattr(t, attr, parse_when(cell(row, col)))
        except ValueError as exc:
            out.count(out.noted, "bad_date", cell(row, col), str(exc))

"""A document as a list of simple blocks, so the PDF and the HTML say the same thing.

`compose.py` and `referral.py` decide the order (`wording.py` the words); `pdf.py` and `html.py` only
draw blocks. Block text is plain (renderers escape it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Title:
    text: str
    subtitle: str = ""


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    style: Literal["normal", "note", "warn", "mono", "strong"] = "normal"


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: relative column widths; empty = equal
    widths: tuple[float, ...] = ()
    #: (row, "red"|"orange"|"yellow"|"warn") marks for rows worth a colour
    marks: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Signature:
    lines: tuple[str, ...]


Block = Title | Heading | Para | Table | Signature


@dataclass
class Document:
    """Blocks plus what every page repeats (footer) and the file's metadata."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    footer: str = ""
    lang: str = "zh-CN"
    subject: str = ""

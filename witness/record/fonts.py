"""The Chinese font of records: an embedded TrueType font where one is installed, else
ReportLab's built-in CID font.

Embedding (a subset of) a TrueType font makes the PDF read the same on any machine, with
or without Chinese fonts. The first of these that exists is used:
`WITNESS_RECORD_FONT` (a .ttf/.ttc path, or `STSong-Light` for the built-in font), then WenQuanYi Zen Hei / Micro Hei (Debian
packages fonts-wqy-zenhei / fonts-wqy-microhei), then Droid Sans Fallback. Without any,
STSong-Light (Adobe's CID font, built into ReportLab and into every PDF reader with Asian
fonts) is used: nothing is downloaded, the text still extracts, but the glyphs come from
the reader's fonts. ReportLab reads TrueType outlines only, so OpenType/CFF fonts such as
Noto Sans CJK are not candidates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from witness.errors import ConfigError

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
CID_FONT = "STSong-Light"
FONT_NAME = "WitnessCJK"


@dataclass(frozen=True)
class RecordFont:
    name: str  # the name to use in styles
    embedded: bool
    source: str  # the file, or the CID font's name


def _pick(env_path: str | None) -> str | None:
    for path in ([env_path] if env_path else []) + list(CANDIDATES):
        if path and Path(path).is_file():
            return path
    return None


@lru_cache(maxsize=4)
def _register(path: str | None) -> RecordFont:
    from reportlab.pdfbase import pdfmetrics

    if path is not None:
        from reportlab.pdfbase.ttfonts import TTFError, TTFont

        try:
            name = f"{FONT_NAME}-{Path(path).stem}"
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
            return RecordFont(name, True, path)
        except TTFError:
            pass  # not a TrueType font ReportLab can embed: fall back
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return RecordFont(CID_FONT, False, CID_FONT)


def record_font() -> RecordFont:
    """The font for records, registered with ReportLab (once per path)."""
    env = os.environ.get("WITNESS_RECORD_FONT")
    if env == CID_FONT:
        return _register(None)
    if env and not Path(env).is_file():
        raise ConfigError(f"{env!r}: no such font file", source="WITNESS_RECORD_FONT")
    return _register(_pick(env))

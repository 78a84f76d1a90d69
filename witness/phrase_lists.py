"""The centre-maintained phrase lists DOC-40-4 reads: stock phrases and misspellings.

Both ship as samples in `witness/data/` and are named in the thresholds file
(`["DOC-40-4"] stock_phrases_file`, `misspellings_file`): "" means the shipped sample,
"none" means no list, anything else is a path. A bad path or a malformed line is refused
when the thresholds are validated at start (file and line named), not when a rule runs.
Files are read once per process (cached by path and modification time).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from witness.errors import ConfigError

STOCK_PHRASES = "stock_phrases.txt"
MISSPELLINGS = "misspellings.tsv"
NONE = "none"


def _resolve(value: str, shipped: str) -> Path | None:
    if value.strip().lower() == NONE:
        return None
    if not value.strip():
        return Path(str(resources.files("witness").joinpath("data", shipped)))
    return Path(value).expanduser()


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist", source="DOC-40-4 thresholds") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read as UTF-8 text ({exc})") from None
    return [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


@lru_cache(maxsize=8)
def _stock(path: str, _mtime: float) -> tuple[str, ...]:
    return tuple(line for _, line in _lines(Path(path)))


@lru_cache(maxsize=8)
def _misspellings(path: str, _mtime: float) -> tuple[tuple[str, str], ...]:
    out = []
    for n, line in _lines(Path(path)):
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
            raise ConfigError(
                "expected 'wrong<TAB>right' (two different forms)", source=f"{path} line {n}"
            )
        out.append((parts[0], parts[1]))
    return tuple(out)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def stock_phrases(value: str) -> tuple[str, ...]:
    """The stock phrases named by the `stock_phrases_file` threshold."""
    path = _resolve(value, STOCK_PHRASES)
    return () if path is None else _stock(str(path), _mtime(path))


def misspellings(value: str) -> tuple[tuple[str, str], ...]:
    """(wrong, right) pairs named by the `misspellings_file` threshold."""
    path = _resolve(value, MISSPELLINGS)
    return () if path is None else _misspellings(str(path), _mtime(path))

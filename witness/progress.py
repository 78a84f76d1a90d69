"""Progress bars on stderr, for a person at a terminal only.

A bar redraws itself with carriage returns: in a log file, a pipe or CI output it is
noise (`witness screen ... 2> screen.log` filled the log with half-drawn bars), so a bar
is drawn only when stderr is a terminal (tqdm's `disable=None`), and never with
`--no-progress`. Its label and unit speak the active locale; the caller passes them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any


def progress_bar(
    items: Iterable | None = None,
    *,
    desc: str | None = None,
    total: float | None = None,
    unit: str = "",
    enabled: bool = True,
    **options: Any,
):
    """A tqdm bar over `items` (or updated by hand when `items` is None)."""
    from tqdm import tqdm

    return tqdm(
        items,
        desc=desc,
        total=total,
        unit=unit or "it",
        file=sys.stderr,
        leave=False,
        mininterval=0.5,
        disable=None if enabled else True,
        **options,
    )

"""Logging for the long-running commands: readable for an operator tailing it during an outage.

kafka-python logs a warning for every failed attempt while a broker is down ("Marking the
coordinator dead ...", "Connection ... refused"): several thousand lines per minute of
outage, which bury the one line Witness itself writes ("broker unreachable", "recovered
after N s"). `RepeatFilter` lets the first line of a kind through, drops its repeats for a
window, and then says how many it dropped, so nothing is hidden, only counted.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

#: Loggers whose repeats are counted instead of printed.
NOISY = ("kafka",)
#: Seconds during which repeats of one line are counted, not printed.
REPEAT_WINDOW_S = 30.0
#: Kinds of line remembered at once (oldest forgotten first).
MAX_KINDS = 1000


@dataclass
class _Kind:
    shown_at: float
    dropped: int = 0


class RepeatFilter(logging.Filter):
    """One line per kind (logger, level, message template) per window from `NOISY` loggers."""

    def __init__(
        self,
        window_s: float = REPEAT_WINDOW_S,
        prefixes: tuple[str, ...] = NOISY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.window_s = window_s
        self.prefixes = prefixes
        self.clock = clock
        self._kinds: OrderedDict[tuple[str, int, str], _Kind] = OrderedDict()

    def _noisy(self, name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in self.prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._noisy(record.name):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        kind = self._kinds.get(key)
        if kind is not None and now - kind.shown_at < self.window_s:
            kind.dropped += 1
            return False
        if kind is not None and kind.dropped:
            # the suffix has no '%', so the record's own %-arguments still format
            record.msg = (
                f"{record.msg} [{kind.dropped} more like this in {now - kind.shown_at:.0f} s]"
            )
        self._kinds[key] = _Kind(shown_at=now)
        self._kinds.move_to_end(key)
        while len(self._kinds) > MAX_KINDS:
            self._kinds.popitem(last=False)
        return True


def configure(verbose: bool, fmt: str | None = None) -> None:
    """stderr logging at INFO (verbose) or WARNING, kafka-python's repeats counted."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        stream=sys.stderr,
        **({"format": fmt} if fmt else {}),
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RepeatFilter) for f in handler.filters):
            handler.addFilter(RepeatFilter())

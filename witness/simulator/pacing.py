"""Real-time replay: hand out events as their timestamps come due, accelerated.

Simulated projects span weeks (a 20-day bidding period), so long quiet stretches are
cut to `max_gap` real seconds; sessions with frames every few seconds play at `speed`.
The clock and sleep are injectable so tests need not wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any


def paced(
    events: Iterable[dict[str, Any]],
    speed: float = 60.0,
    max_gap: float = 2.0,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[dict[str, Any]]:
    """Yield each event when its (accelerated) time comes."""
    if speed <= 0:
        raise ValueError("speed must be > 0")
    prev_ts: datetime | None = None
    due = clock()
    for ev in events:
        ts = datetime.fromisoformat(ev["ts"])
        if prev_ts is not None:
            gap = (ts - prev_ts).total_seconds() / speed
            due += min(max(gap, 0.0), max_gap)
            wait = due - clock()
            if wait > 0:
                sleep(wait)
        prev_ts = ts
        yield ev

"""What time it is, for every part of the system: the real clock, or the demo's.

`witness demo` plays a simulated trading day that starts when the demo starts and runs
`speed` times faster than real time. Every part that asks for "now" (the wall's "N
minutes ago", the time a decision is logged, a camera file played in real time) must
agree on that clock, or a decision would be logged before the alert it decides and a
fresh frame would read as hours old. The demo says so through one environment
variable, `WITNESS_CLOCK="ANCHOR@SPEED"` (ANCHOR an ISO-8601 instant with offset): at
real time r, now = ANCHOR + (r - ANCHOR) * SPEED. `ANCHOR@SPEED@REAL` starts the clock
at ANCHOR when real time is REAL (a clock set to another day: tests, a replayed day).
Unset (production), now is real.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

ENV = "WITNESS_CLOCK"


@dataclass(frozen=True)
class Clock:
    """A clock that reads `anchor` at real instant `real_anchor` (default: the same
    instant) and runs `speed` times as fast as real time."""

    anchor: datetime
    speed: float = 1.0
    real_anchor: datetime | None = None

    def __post_init__(self) -> None:
        for ts in (self.anchor, self.real_anchor):
            if ts is not None and ts.tzinfo is None:
                raise ValueError(f"{ENV}: times need an offset, e.g. 2026-11-20T09:00:00+08:00")
        if not self.speed > 0:
            raise ValueError(f"{ENV}: the speed must be > 0, not {self.speed}")

    def at(self, real: datetime) -> datetime:
        """The clock's reading at real instant `real`."""
        base = self.real_anchor or self.anchor
        return (self.anchor + (real - base) * self.speed).astimezone(UTC)

    def now(self) -> datetime:
        return self.at(datetime.now(UTC))

    def real_seconds(self, clock_seconds: float) -> float:
        """How long `clock_seconds` of this clock take in real time."""
        return clock_seconds / self.speed

    def spec(self) -> str:
        """The `WITNESS_CLOCK` value that recreates this clock in another process."""
        text = f"{self.anchor.isoformat()}@{self.speed:g}"
        return f"{text}@{self.real_anchor.isoformat()}" if self.real_anchor else text

    @classmethod
    def parse(cls, text: str) -> Clock:
        parts = text.strip().split("@")
        if len(parts) not in (2, 3):
            raise ValueError(f"{ENV}={text!r}: expected ANCHOR@SPEED or ANCHOR@SPEED@REAL")
        try:
            real = datetime.fromisoformat(parts[2]) if len(parts) == 3 else None
            return cls(datetime.fromisoformat(parts[0]), float(parts[1]), real)
        except ValueError as exc:
            raise ValueError(f"{ENV}={text!r}: {exc}") from None


_parsed: dict[str, Clock] = {}


def current() -> Clock | None:
    """The clock `WITNESS_CLOCK` describes, or None for real time."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    clock = _parsed.get(text)
    if clock is None:
        clock = _parsed[text] = Clock.parse(text)
    return clock


def now() -> datetime:
    """Aware UTC now, on the demo's clock when one is set."""
    clock = current()
    return clock.now() if clock is not None else datetime.now(UTC)


def speed() -> float:
    """How many clock seconds pass in one real second (1 outside the demo).

    Liveness checks (a heartbeat every N real seconds) compare clock times, so they
    allow N × speed clock seconds."""
    clock = current()
    return clock.speed if clock is not None else 1.0

"""What the expert rules share: how much evidence an alert carries, and how it is rounded."""

from __future__ import annotations

#: Event ids listed per alert (evidence holds the full picture).
MAX_EVENT_IDS = 100


def rounded(x: float) -> float:
    """A measure as shown in evidence: 3 decimals."""
    return round(x, 3)

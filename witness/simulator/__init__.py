"""Scenario simulator with ground truth (DESIGN §7 `witness simulate`).

    from witness.simulator import generate, Simulation
    events, truth = generate(projects=20, seed=7)        # lists of dicts
    sim = Simulation(200, seed=1); sim.truth; sim.events()  # lazy, constant memory

Modules, by job:
- scenario (orchestration: plans every project, then hands over to timeline);
- planting (which misconduct goes where), oracle (DESIGN conditions the truth checks);
- plan (the planned project and rooms), clock (simulated time);
- lifecycle (project timeline, room booking, PROC-*), bids (bidders, prices, fingerprints,
  document hooks), bid_texts (tender and bid texts in Chinese), expert_panel (pool,
  committee, conflicts, score sheets), activity (expert clicks), cameras (camera windows
  and frames);
- companies (firms + registry), identity (check digits), names (Chinese names),
  text_samples (document texts for the document tests and bench);
- timeline (time-ordered stream), pacing (real-time replay);
- truth_eval (precision, recall and F1 of alerts against a truth file).
"""

from __future__ import annotations

from typing import Any

from witness.simulator.pacing import paced
from witness.simulator.scenario import Simulation, truth_header

DEFAULT_PROJECTS = 20
DEFAULT_SEED = 7


def generate(
    projects: int = DEFAULT_PROJECTS, seed: int = DEFAULT_SEED
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """All events (time-ordered contract dicts) and the truth cases of one run."""
    sim = Simulation(projects, seed)
    return list(sim.events()), list(sim.truth)


def iter_events(projects: int = DEFAULT_PROJECTS, seed: int = DEFAULT_SEED):
    """Events one by one, for streaming into a broker or an engine."""
    return Simulation(projects, seed).events()


__all__ = [
    "DEFAULT_PROJECTS",
    "DEFAULT_SEED",
    "Simulation",
    "generate",
    "iter_events",
    "paced",
    "truth_header",
]

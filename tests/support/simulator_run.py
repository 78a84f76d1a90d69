"""Shared simulator fixtures: one default run per test session (it takes a few seconds)."""

from __future__ import annotations

from functools import lru_cache

from witness.simulator import DEFAULT_PROJECTS, DEFAULT_SEED, Simulation


@lru_cache(maxsize=2)
def default_run(
    projects: int = DEFAULT_PROJECTS, seed: int = DEFAULT_SEED
) -> tuple[Simulation, tuple[str, ...]]:
    sim = Simulation(projects, seed)
    return sim, tuple(sim.lines())

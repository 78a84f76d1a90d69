"""A default simulation replays through every registered detector without an exception."""

from __future__ import annotations

import pytest

from detectors import Engine, all_detectors
from tests.support.simulator_run import default_run
from witness.events import parse_event
from witness.simulator.truth_eval import evaluate


@pytest.mark.slow
def test_default_simulation_through_all_detectors() -> None:
    sim, lines = default_run()
    engine = Engine(all_detectors())
    alerts = engine.run(parse_event(line) for line in lines)
    assert all(a.project_id == "*" or a.project_id.startswith("JY-2026-") for a in alerts)
    report = evaluate(list(sim.truth), [a.to_dict() for a in alerts])
    # whatever detectors exist, the report covers every planted case exactly once
    assert sum(s.cases for s in report.rules) == len(sim.truth)
    # a registered REL-40-6 detector (the model rule) must find the planted shared bond account
    rules = {r for d in engine.detectors for r in d.rules}
    if "REL-40-6" in rules:
        rel = next(s for s in report.rules if s.rule == "REL-40-6")
        assert rel.detected == rel.cases

"""A centre's first project: simulated honest bids must not read as copies.

Simulated honest bidders copy sentences from one public library, as real bidders copy
method statements. Replayed alone (a centre's first day), the old rule called three of
them shared by a pair and no third bidder "rare" and fired DOC-40-4 on 17 of 30 seeds
(`witness evaluate --seeds 1,...,30 --projects 1`); these are four of those seeds.
"""

from __future__ import annotations

import pytest

from detectors.offline import run_detectors
from tests.support.document_events import document_detectors
from witness.events import parse_event
from witness.simulator import Simulation

DOCUMENT_TYPES = {"document.submitted", "bid.submitted", "opening.started", "project.archived"}


@pytest.mark.parametrize("seed", [1, 5, 10, 11])
def test_a_first_simulated_project_without_a_planted_copy_stays_quiet(seed):
    sim = Simulation(1, seed)
    planted = {case["rule"] for case in sim.truth}
    assert "DOC-40-4" not in planted, "the seed was chosen for an honest project"
    events = [parse_event(e) for e in sim.events() if e["type"] in DOCUMENT_TYPES]
    assert any(e.type == "document.submitted" for e in events)
    alerts = run_detectors(events, document_detectors())
    assert [a for a in alerts if a.rule == "DOC-40-4"] == []

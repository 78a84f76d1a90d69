"""Expert rules (EXP-*): who sits on the committee, whom they must avoid, how they score.

Four pure detectors, each with its own per-project state, one module per family:

- `committee.py`  `CommitteeDetector`   EXP-COMMITTEE  composition (招标投标法 第三十七条)
- `avoidance.py`  `AvoidanceDetector`   EXP-AVOID      conflicts of interest, before any score
- `scoring.py`    `ScoringDetector`     EXP-DEV, EXP-OBJ, EXP-CLIQUE, EXP-FAVOR, as scores arrive
- `behaviour.py`  `BehaviourDetector`   EXP-FAST, EXP-FOCUS from timing and platform activity

`deviation.py` is EXP-DEV's measure on one cell; `shared.py` holds what they share
(evidence size and rounding).
"""

from __future__ import annotations

from detectors.experts.avoidance import AvoidanceDetector, conflicts, years_before
from detectors.experts.behaviour import BehaviourDetector, longest_run
from detectors.experts.committee import CommitteeDetector
from detectors.experts.deviation import cell_deviations, deviation
from detectors.experts.scoring import ScoringDetector, average_ranks, max_total

__all__ = [
    "AvoidanceDetector",
    "BehaviourDetector",
    "CommitteeDetector",
    "ScoringDetector",
    "average_ranks",
    "cell_deviations",
    "conflicts",
    "deviation",
    "longest_run",
    "max_total",
    "years_before",
]

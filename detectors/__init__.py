"""Pure rule logic. `all_detectors()` is the list the engine runs everywhere.

Where does a rule live? REL-* in relations.py (and rings.py for REL-RING), DOC-* in
documents.py, PRICE-* in prices.py, EXP-* in experts/ (committee.py, avoidance.py,
scoring.py, behaviour.py), PROC-* in procedure.py, EVAL-* in evaluation.py, VID-* in
video.py, REJ-* in rejections.py, BID-LOSER in losers.py, BOQ-*
in boq/ (bills of quantities). The batch screen of historical bid tables
(`witness screen`) lives in screening/.
"""

from __future__ import annotations

from detectors.base import Context, Detector, ProjectDetector
from detectors.engine import Engine


def all_detectors() -> list[Detector]:
    """Every registered detector, fresh. Add new rule families here."""
    from detectors.boq import BoqDetector
    from detectors.documents import DocumentsDetector
    from detectors.documents_cross import CrossProjectDocumentsDetector
    from detectors.evaluation import EvaluationReportDetector
    from detectors.experts import (
        AvoidanceDetector,
        BehaviourDetector,
        CommitteeDetector,
        ScoringDetector,
    )
    from detectors.losers import LoserDetector
    from detectors.prices import PriceDetector
    from detectors.procedure import ProcedureDetector
    from detectors.rejections import RejectionDetector, RejectionRateDetector
    from detectors.relations import BondAccountDetector, RelationGraphDetector
    from detectors.rings import RingDetector
    from detectors.video import VideoDetector

    return [
        BondAccountDetector(),
        DocumentsDetector(),
        CrossProjectDocumentsDetector(),
        RelationGraphDetector(),
        VideoDetector(),
        PriceDetector(),
        BoqDetector(),
        CommitteeDetector(),
        AvoidanceDetector(),
        ScoringDetector(),
        BehaviourDetector(),
        ProcedureDetector(),
        RejectionDetector(),
        RejectionRateDetector(),
        LoserDetector(),
        EvaluationReportDetector(),
        RingDetector(),
    ]


def is_cross_project(detector: Detector) -> bool:
    """Rules across projects: they run in their own consumer group (DESIGN §3)."""
    from detectors.base import CrossProjectDetector

    return isinstance(detector, CrossProjectDetector)


def project_detectors() -> list[Detector]:
    """What a per-project (and per-room) worker runs: every rule of one project or room."""
    return [d for d in all_detectors() if not is_cross_project(d)]


def cross_project_detectors() -> list[Detector]:
    """REL-RING, BID-LOSER, REJ-RATE, DOC-40-4/DOC-META across projects."""
    return [d for d in all_detectors() if is_cross_project(d)]


def rules_covered() -> set[str]:
    return {r for d in all_detectors() for r in d.rules}


__all__ = [
    "Context",
    "Detector",
    "Engine",
    "ProjectDetector",
    "all_detectors",
    "cross_project_detectors",
    "project_detectors",
    "rules_covered",
]

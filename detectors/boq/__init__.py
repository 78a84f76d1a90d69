"""Bill-of-quantities rules (清标): BOQ-SAME, BOQ-RATIO, BOQ-ERROR, BOQ-MIX, BOQ-LOCK, BOQ-UNBAL.

`bills.py` lays bills on one item index, `measures.py` holds the pure comparisons,
`detector.py` decides when to judge and what an alert says, `item_tables.py` builds the
item table side by side, `params.py` reads the thresholds.
"""

from __future__ import annotations

from detectors.boq.detector import BoqDetector

__all__ = ["BoqDetector"]

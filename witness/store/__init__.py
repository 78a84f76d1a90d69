"""Persistence: the hash-chained trace, alerts, decisions and the wall's summary tables."""

from witness.store.dead_letters import DeadLetterRecord
from witness.store.decisions import DecisionError
from witness.store.state_rows import DetectorStateStore
from witness.store.store import Store, WriteResult

__all__ = ["DeadLetterRecord", "DecisionError", "DetectorStateStore", "Store", "WriteResult"]

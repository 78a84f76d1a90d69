"""Persistence: the hash-chained trace, alerts, decisions and the wall's summary tables."""

from witness.store.store import DeadLetterRecord, DecisionError, Store, WriteResult

__all__ = ["DeadLetterRecord", "DecisionError", "Store", "WriteResult"]

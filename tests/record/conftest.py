"""Fixtures of the witness-record tests."""

from __future__ import annotations

import pytest
from helpers_record import project_events, record_into


@pytest.fixture
def archived_store(store):
    """The archived project recorded into a fresh store (SQLite and PostgreSQL)."""
    record_into(store, project_events("archived"))
    return store


@pytest.fixture
def bidding_store(store):
    """The project before its opening: bids in, one sealed alert."""
    record_into(store, project_events("bidding"))
    return store

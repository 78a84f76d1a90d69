"""Roles started together migrate one at a time (`witness run` starts them at once).

Two processes migrating a fresh SQLite file together failed with "table alerts already
exists" in CI (tests/record); `witness/store/migrate.py` now serialises them."""

from __future__ import annotations

import subprocess
import sys
import time

from witness.store.migrate import current_revision, head_revision
from witness.store.store import make_engine

_MIGRATE_AT = """
import sys, time
from witness.store import Store
start = float(sys.argv[2])
while time.time() < start:
    time.sleep(0.001)
Store(sys.argv[1])
"""


def test_processes_migrating_one_fresh_database_together_all_succeed(sqlite_url):
    start = time.time() + 3.0  # every process imported and waiting by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE_AT, sqlite_url, str(start)],
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode("utf-8", "replace") for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], "\n".join(e[-800:] for e in errors)
    engine = make_engine(sqlite_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()

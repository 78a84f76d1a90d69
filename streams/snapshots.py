"""Snapshots of a unit's detector state with the offsets they cover (issue 15).

A unit (one partition of `witness.events`, a rooms partition, the cross-project set) is
snapshotted every `every_events` folded events or `every_seconds`, whichever comes
first, right after the broker confirmed the poll's sends (so nothing in the state is
unpublished), and once more when the unit is revoked or the worker stops. On assignment
the newest snapshot is loaded and only what came after its offsets is read again.

Snapshots live in the store (witness/store/state_rows.py says why not a changelog
topic). They are pickled in the poll loop (the state must not move while it is
copied), compressed and written by one background thread, newest first: a snapshot
that is still waiting when a newer one of the same unit comes is replaced by it.

A snapshot is loaded only by an engine of the same state version (detectors/
state_version.py); any other version, a damaged blob or a state the engine refuses
means a full rebuild from the log, never garbage. Projects released since the last
snapshot (archived, detectors/released.py) are written in the same transaction, so a
snapshot never names a released project whose memory is not in the store.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from witness.store.state_rows import DetectorStateStore, StoredSnapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotPolicy:
    every_events: int = 10_000
    every_seconds: float = 30.0

    def due(self, events: int, seconds: float) -> bool:
        return events > 0 and (events >= self.every_events or seconds >= self.every_seconds)


def encode(state: Any) -> bytes:
    return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)


def decode(blob: bytes) -> Any:
    return pickle.loads(zlib.decompress(blob))  # noqa: S301 - our own store, this code's writes


@dataclass
class _Job:
    unit: str
    version: str
    offsets: dict[str, int]
    pickled: bytes
    events: int
    released: dict[str, bytes] = field(default_factory=dict)
    done: Callable[[bool], None] | None = None


class StoreReleased:
    """`ReleasedProjects` for a live worker: memory goes to the store with the next
    snapshot; until then (and while that write is under way) it is kept here."""

    def __init__(
        self,
        keeper: SnapshotKeeper,
        history: Callable[[str], list] | None = None,
    ) -> None:
        self.keeper = keeper
        self._history = history
        self.unsaved: dict[str, bytes] = {}
        self.inflight: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, project_id: str, blob: bytes) -> None:
        with self._lock:
            self.unsaved[project_id] = blob

    def get(self, project_id: str) -> bytes | None:
        with self._lock:
            blob = self.unsaved.get(project_id) or self.inflight.get(project_id)
        return blob if blob is not None else self.keeper.released(project_id)

    def history(self, project_id: str) -> list | None:
        if self._history is None:
            return None
        try:
            return self._history(project_id)
        except Exception:  # noqa: BLE001 - no history: the project starts afresh
            log.warning("could not read the recorded history of %s", project_id, exc_info=True)
            return None

    def take(self) -> dict[str, bytes]:
        """What the next snapshot must write; kept readable until `written`."""
        with self._lock:
            taken, self.unsaved = self.unsaved, {}
            self.inflight.update(taken)
        return taken

    def written(self, taken: dict[str, bytes], ok: bool) -> None:
        with self._lock:
            for pid in taken:
                blob = self.inflight.pop(pid, None)
                if not ok and blob is not None and pid not in self.unsaved:
                    self.unsaved[pid] = blob  # try again with the next snapshot


class SnapshotKeeper:
    """Loads snapshots on assignment and writes them from a background thread."""

    def __init__(self, store: DetectorStateStore | None, namespace: str) -> None:
        self.store = store
        self.namespace = namespace
        self.written = 0
        self.failed = 0
        self._jobs: dict[str, _Job] = {}
        self._busy = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        if store is not None:
            self._thread = threading.Thread(target=self._work, name="snapshots", daemon=True)
            self._thread.start()

    @property
    def enabled(self) -> bool:
        return self.store is not None

    # ------------------------------------------------------------------ reading

    def latest(self, unit: str, version: str) -> tuple[StoredSnapshot | None, str]:
        """The unit's newest snapshot if it is of `version`, and why not otherwise."""
        if self.store is None:
            return None, "snapshots are off (no store)"
        try:
            snap = self.store.latest(self.namespace, unit)
        except Exception as exc:  # noqa: BLE001 - a store outage costs a rebuild, not the worker
            return None, f"store unavailable ({exc.__class__.__name__}: {exc})"
        if snap is None:
            return None, "no snapshot yet"
        if snap.version != version:
            return (
                None,
                f"snapshot version {snap.version} differs from {version} (state shape changed)",
            )
        return snap, "ok"

    def released(self, project_id: str) -> bytes | None:
        if self.store is None:
            return None
        return self.store.released(self.namespace, project_id)

    # ------------------------------------------------------------------ writing

    def save(self, job: _Job) -> None:
        if self.store is None:
            if job.done:
                job.done(False)
            return
        with self._cond:
            older = self._jobs.pop(job.unit, None)
            if older is not None:  # superseded: its released projects ride with the new one
                job.released = {**older.released, **job.released}
                if older.done:
                    previous, current = older.done, job.done

                    def both(ok: bool, previous=previous, current=current) -> None:
                        previous(ok)
                        if current:
                            current(ok)

                    job.done = both
            self._jobs[job.unit] = job
            self._cond.notify_all()

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until every queued snapshot is written; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._jobs or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 60.0) -> None:
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._closed:
                    self._cond.wait()
                if not self._jobs and self._closed:
                    return
                unit = next(iter(self._jobs))
                job = self._jobs.pop(unit)
                self._busy += 1
            ok = False
            try:
                started = time.monotonic()
                blob = zlib.compress(job.pickled, 1)
                self.store.save(
                    self.namespace,
                    job.unit,
                    version=job.version,
                    offsets=job.offsets,
                    blob=blob,
                    events=job.events,
                    released=job.released,
                )
                ok = True
                self.written += 1
                log.info(
                    "snapshot of %s written: %d events, %.1f MB, offsets %s (%.2f s)",
                    job.unit,
                    job.events,
                    len(blob) / 1e6,
                    job.offsets,
                    time.monotonic() - started,
                )
            except Exception:  # noqa: BLE001 - the next snapshot tries again
                self.failed += 1
                log.warning("snapshot of %s not written", job.unit, exc_info=True)
            finally:
                if job.done:
                    job.done(ok)
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()


def new_job(unit: str, version: str, offsets: dict[str, int], state: Any, events: int) -> _Job:
    return _Job(unit, version, offsets, encode(state), events)

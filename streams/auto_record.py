"""Post-archive hook: make a project's witness record once it is archived.

The recorder reports every `project.archived` it wrote, with where it read it. This
thread waits at least `delay_s`, and, given an `ArchiveJudged`, until the detector
groups have judged the archive and the recorder has stored the alerts they raised
(streams/archive_judged.py): a fixed delay alone lost an alert on a busy machine. It
waits `wait_s` at most (a worker that is down must not hold the record back for ever;
that record is said in the log to be made without the judges' word). Then it makes the
record from the store and chains its hash (`witness.record.make_record`). It runs beside
the recorder's loop, with its own store connection, so a PDF never holds up ingest.
Making the same record twice appends nothing (same chain state, same bytes).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from kafka import TopicPartition

from streams.archive_judged import ArchiveJudged
from witness.record import make_record
from witness.store import Store

log = logging.getLogger(__name__)


@dataclass
class _Waiting:
    """A record to make: not before `due`, and (given where the archive was read) once it
    was judged and its alerts stored, or at `deadline` whatever the judges say."""

    due: float
    deadline: float
    at: tuple[TopicPartition, int] | None = None
    ends: dict[TopicPartition, int] | None = None  # alert ends once judged


class AutoRecord:
    def __init__(
        self,
        url: str,
        *,
        delay_s: float = 5.0,
        locale: str = "zh-CN",
        gap_seconds: float = 60,
        fmt: str = "pdf",
        judged: ArchiveJudged | None = None,
        wait_s: float = 300.0,
    ) -> None:
        self.url = url
        self.delay_s = delay_s
        self.judged = judged
        self.wait_s = wait_s
        self.locale = locale
        self.gap_seconds = gap_seconds
        self.fmt = fmt
        self.made: list[str] = []  # project ids, in the order their records were made
        self._due: dict[str, _Waiting] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: Store | None = None

    def start(self) -> AutoRecord:
        self._thread = threading.Thread(target=self._run, name="witness-auto-record", daemon=True)
        self._thread.start()
        return self

    def archived(
        self,
        project_ids: list[str],
        at: dict[str, tuple[TopicPartition, int]] | None = None,
    ) -> None:
        """Schedule records (again) for these projects, `delay_s` from now at the
        earliest; `at` says where each archive was read, to wait for its judges."""
        if not project_ids:
            return
        now = time.monotonic()
        due, deadline = now + self.delay_s, now + max(self.delay_s, self.wait_s)
        with self._lock:
            for pid in project_ids:
                where = (at or {}).get(pid) if self.judged is not None else None
                self._due[pid] = _Waiting(due, deadline, where)
        self._wake.set()

    def stop(self, *, flush: bool = True) -> None:
        """Stop; with `flush`, make the records still waiting first."""
        with self._lock:
            if flush:  # stopping: make them now, with what the store holds
                early = sorted(pid for pid, w in self._due.items() if w.at is not None)
                if early:
                    log.warning(
                        "records of %s: made at stop, before the detectors' word that the "
                        "archive was judged (make them again with `witness record` if an "
                        "alert came later)",
                        early,
                    )
                self._due = {pid: _Waiting(0.0, 0.0) for pid in self._due}
            else:
                self._due.clear()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
        if self._store is not None:
            self._store.close()
        if self.judged is not None:
            self.judged.close()

    def _run(self) -> None:
        while True:
            self._make_due()
            if self._stop.is_set():
                self._make_due()
                return
            self._wake.wait(timeout=0.5)
            self._wake.clear()

    def _ready(self, waiting: dict[str, _Waiting], now: float) -> list[str]:
        """The projects whose record may be made now. Asks the broker (outside the
        lock), in one request per question for every project that waits."""
        due = {pid: w for pid, w in waiting.items() if now >= w.due}
        ready = {pid for pid, w in due.items() if w.at is None or self.judged is None}
        for pid, w in due.items():
            if pid not in ready and now >= w.deadline:
                log.warning(
                    "record of %s: made after %.0f s without the detectors' word that the "
                    "archive was judged and its alerts stored (is a worker down?)",
                    pid,
                    self.wait_s,
                )
                ready.add(pid)
        asking = {pid: w for pid, w in due.items() if pid not in ready}
        if not asking:
            return sorted(ready)
        try:
            unjudged = [w for w in asking.values() if w.ends is None]
            if unjudged:
                passed = self.judged.judged([w.at for w in unjudged])
                if any(passed):
                    ends = self.judged.alert_ends()
                    for w, ok in zip(unjudged, passed, strict=True):
                        if ok:
                            w.ends = ends
            judged = {pid: w for pid, w in asking.items() if w.ends is not None}
            if judged:
                stored = self.judged.all_stored([w.ends for w in judged.values()])
                ready |= {pid for pid, ok in zip(judged, stored, strict=True) if ok}
        except Exception as exc:  # noqa: BLE001 - the broker did not answer: ask again
            log.debug("records of %s: the broker did not answer (%s)", sorted(asking), exc)
        return sorted(ready)

    def _make_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            waiting = dict(self._due)
        ready = self._ready(waiting, now)
        with self._lock:
            for pid in ready:
                if self._due.get(pid) is waiting[pid]:  # not archived again meanwhile
                    del self._due[pid]
        for pid in ready:
            try:
                if self._store is None:
                    self._store = Store(self.url, migrate=False)
                doc, new = make_record(
                    self._store,
                    pid,
                    fmt=self.fmt,
                    locale=self.locale,
                    made_by="recorder",
                    gap_seconds=self.gap_seconds,
                )
                self.made.append(pid)
                log.info(
                    "record of %s: %s (chain %s, new=%s)", pid, doc.sha256[:16], doc.chain_seq, new
                )
            except Exception:  # one project's record must not stop the others
                log.exception("could not make the record of %s", pid)

"""Post-archive hook: make a project's witness record once it is archived.

The recorder reports every `project.archived` it wrote; this thread waits `delay_s`
(alerts raised at the archive come on another topic and need a moment), then makes the
record from the store and chains its hash (`witness.record.make_record`). It runs beside
the recorder's loop, with its own store connection, so a PDF never holds up ingest.
Making the same record twice appends nothing (same chain state, same bytes).
"""

from __future__ import annotations

import logging
import threading
import time

from witness.record import make_record
from witness.store import Store

log = logging.getLogger(__name__)


class AutoRecord:
    def __init__(
        self,
        url: str,
        *,
        delay_s: float = 5.0,
        locale: str = "zh-CN",
        gap_seconds: float = 60,
        fmt: str = "pdf",
    ) -> None:
        self.url = url
        self.delay_s = delay_s
        self.locale = locale
        self.gap_seconds = gap_seconds
        self.fmt = fmt
        self.made: list[str] = []  # project ids, in the order their records were made
        self._due: dict[str, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: Store | None = None

    def start(self) -> AutoRecord:
        self._thread = threading.Thread(target=self._run, name="witness-auto-record", daemon=True)
        self._thread.start()
        return self

    def archived(self, project_ids: list[str]) -> None:
        """Schedule records (again) for these projects, `delay_s` from now."""
        if not project_ids:
            return
        due = time.monotonic() + self.delay_s
        with self._lock:
            for pid in project_ids:
                self._due[pid] = due
        self._wake.set()

    def stop(self, *, flush: bool = True) -> None:
        """Stop; with `flush`, make the records still waiting first."""
        with self._lock:
            if flush:
                self._due = dict.fromkeys(self._due, 0.0)
            else:
                self._due.clear()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
        if self._store is not None:
            self._store.close()

    def _run(self) -> None:
        while True:
            self._make_due()
            if self._stop.is_set():
                self._make_due()
                return
            self._wake.wait(timeout=0.5)
            self._wake.clear()

    def _make_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            ready = sorted(pid for pid, due in self._due.items() if due <= now)
            for pid in ready:
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

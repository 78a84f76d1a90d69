"""The corpus as of the event being judged: the same documents live and in replay.

DOC-40-4 calls a shared phrase rare against the centre's corpus (detectors/corpus.py).
Replay folds the documents one by one as it meets them; a live worker reads every
document on `witness.events` ahead of judging (a global table, streams/global_tables.py),
so after a day was ingested at once it would hold documents from later in the day. An
auditor's replay must reproduce what live decided, so what a judgement counts is a
function of the judged event, not of poll timing:

    While an event at time t is judged, the corpus counts every document whose event
    time is before t, plus the judged event's own document (a `document.submitted`).
    Other documents at exactly t are not counted, in either mode, so the count never
    depends on the order of a file or of partitions.

How: the count-min sketch (`PhraseCorpus`) plus an exact list of recent documents still
*pending* (event time, event id, fingerprints as a sorted uint64 array), sorted by (time,
id). `frequency` is the sketch's count plus the counted pending documents holding each
fingerprint; `documents` likewise. The engine sets the as-of point (`as_of`) before the
detectors see an event; stock phrases, misspellings and halvings are the sketch's.

Memory stays bounded: a pending document is folded into the sketch, in (time, id) order,
once it is more than `horizon` (31 days of event time) behind the latest judgement of a
project event (the latest as-of point set that advances it; frames do not), or while more than `max_pending` documents (5,000) or
`max_fingerprints` are pending. The horizon follows the judgements, not the newest
document read: a live worker that read a month of backlog ahead keeps it pending until
its judgements get there, and folds at about the event times replay folds at.

What is not exact (a document in the sketch counts for every judgement after it got there):
- a document that arrives more than the horizon late (older than the latest judgement by
  more than 31 days) goes straight into the sketch, and may be counted for a judgement of
  an event earlier than itself; so may a document folded while one live unit judges more
  than the horizon behind another, or folded by the cap (a backlog of over 5,000
  documents read ahead at once);
- halvings: folds happen in (time, id) order in both modes, at about the same judgement,
  but live units interleave, so a judgement right next to a halving may see the sketch
  halved in one mode and not yet in the other.
A document added without a time (`add(text, shape)`) goes straight into the sketch and
counts for every judgement (corpora built by hand in tests and benches).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from detectors.corpus import CorpusShape, PhraseCorpus, fingerprints
from detectors.shingles import isin_sorted

#: How far behind the latest judgement a pending document is folded into the sketch.
#: A month: live units of one worker are not held to one event time (a partition's backlog
#: may be folded weeks ahead of another's), and a unit more than the horizon behind the
#: latest judgement would count documents folded after its time.
HORIZON = timedelta(days=31)
#: At most this many documents (and fingerprints: 8 bytes each) pending.
MAX_PENDING = 5_000
MAX_PENDING_FINGERPRINTS = 8_000_000  # 64 MB: some 1,000 bids of 25 k characters


@dataclass(frozen=True, order=True)
class PendingDocument:
    """A document not yet in the sketch; ordered by (event time, event id)."""

    ts: datetime
    key: str
    fingerprints: np.ndarray = field(compare=False, repr=False)


def _order(doc: PendingDocument) -> tuple[datetime, str]:
    return doc.ts, doc.key


@dataclass
class TimedCorpus:
    """`PhraseCorpus` behind a time gate (see the module doc)."""

    sketch: PhraseCorpus = field(default_factory=PhraseCorpus)
    pending: list[PendingDocument] = field(default_factory=list)
    #: The latest as-of point set: pending documents this far behind it are folded.
    judged: datetime | None = None
    horizon: timedelta = HORIZON
    max_pending: int = MAX_PENDING
    max_fingerprints: int = MAX_PENDING_FINGERPRINTS
    pending_fingerprints: int = 0
    _by_key: dict[str, PendingDocument] = field(default_factory=dict, repr=False)
    #: (time, own document's id) of the judgement under way; None counts everything.
    _as_of: tuple[datetime, str | None] | None = None

    # ------------------------------------------------------------------ the gate

    def as_of(self, ts: datetime, own: str | None = None, *, advance: bool = True) -> None:
        """Judge as of `ts`: documents before it, and document `own` (an event id).
        `advance=False`: a judgement that moves no horizon (a live worker's frames run
        ahead of its project events; documents are judged with the project events)."""
        self._as_of = (ts, own)
        if advance and (self.judged is None or ts > self.judged):
            self.judged = ts
            if self.pending and self.pending[0].ts < ts - self.horizon:
                assert self.sketch.shape is not None
                self._settle(self.sketch.shape)

    def everything(self) -> None:
        """Count every document (no judgement under way)."""
        self._as_of = None

    def counted(self) -> list[PendingDocument]:
        """The pending documents the current judgement counts."""
        if self._as_of is None:
            return self.pending
        ts, own = self._as_of
        before = self.pending[: bisect_left(self.pending, (ts, ""), key=_order)]
        mine = self._by_key.get(own) if own is not None else None
        if mine is not None and mine.ts >= ts:
            return [*before, mine]
        return before

    # ------------------------------------------------------------------ adding

    def configure(self, shape: CorpusShape) -> None:
        if self.pending and self.sketch.shape != shape:
            raise ValueError("the corpus shape cannot change once documents are counted")
        self.sketch.configure(shape)

    def add(
        self, text: str, shape: CorpusShape, ts: datetime | None = None, key: str | None = None
    ) -> None:
        """Count a document from its event time `ts` on (tie-break `key`, its event id);
        without `ts`, for every judgement. A key already pending is not counted twice."""
        self.configure(shape)
        fp = fingerprints(text, shape)
        if ts is None:
            self.sketch.add_fingerprints(fp, shape)
            return
        key = key or ""
        if key and key in self._by_key:
            return
        if self.judged is not None and ts < self.judged - self.horizon:  # late: the sketch
            self.sketch.add_fingerprints(fp, shape)
            return
        doc = PendingDocument(ts, key, fp)
        insort(self.pending, doc)
        if key:
            self._by_key[key] = doc
        self.pending_fingerprints += len(fp)
        self._settle(shape)

    def _settle(self, shape: CorpusShape) -> None:
        """Fold the oldest pending documents into the sketch, in order, while they are
        behind the horizon or too many are pending."""
        limit = None if self.judged is None else self.judged - self.horizon
        n = 0
        size = self.pending_fingerprints
        while n < len(self.pending) and (
            (limit is not None and self.pending[n].ts < limit)
            or len(self.pending) - n > self.max_pending
            or size > self.max_fingerprints
        ):
            size -= len(self.pending[n].fingerprints)
            n += 1
        for doc in self.pending[:n]:
            self.sketch.add_fingerprints(doc.fingerprints, shape)
            if self._by_key.get(doc.key) is doc:
                del self._by_key[doc.key]
        del self.pending[:n]
        self.pending_fingerprints = size

    # ------------------------------------------------------------------ reading

    @property
    def documents(self) -> int:
        """Documents the current judgement counts."""
        return self.sketch.documents + len(self.counted())

    @property
    def total_documents(self) -> int:
        """Every document added, whatever the judgement."""
        return self.sketch.documents + len(self.pending)

    def frequency(self, hashes: np.ndarray) -> np.ndarray:
        """Upper bound of the number of counted documents holding each fingerprint."""
        out = self.sketch.frequency(hashes)
        if len(hashes):
            for doc in self.counted():
                out += isin_sorted(hashes, doc.fingerprints)
        return out

    @property
    def shape(self) -> CorpusShape | None:
        return self.sketch.shape

    @property
    def halvings(self) -> int:
        return self.sketch.halvings

    @property
    def stock_phrases(self) -> int:
        return self.sketch.stock_phrases

    @property
    def misspellings(self) -> tuple[tuple[str, str], ...]:
        return self.sketch.misspellings

    def in_stock(self, hashes: np.ndarray) -> np.ndarray:
        return self.sketch.in_stock(hashes)

    def listed_misspelling(self, text: str, start: int, end: int) -> tuple[str, str] | None:
        return self.sketch.listed_misspelling(text, start, end)

    def bytes(self) -> int:
        return self.sketch.bytes() + 8 * self.pending_fingerprints

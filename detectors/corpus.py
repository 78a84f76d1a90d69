"""The centre's own corpus: how many documents contain a phrase, in fixed memory.

DOC-40-4 calls a phrase two bids share "rare" only if few documents of the whole corpus
contain it: every bid and tender document Witness has seen (all projects), plus the
stock phrases a centre lists (`witness/phrase_lists.py`). Honest bidders who copy the
same public method statements then share phrases the corpus knows well, and stay quiet.

How the memory stays bounded
----------------------------
- A document is reduced to *fingerprints* by winnowing (Schleimer, Wilkerson & Aiken,
  2003): of every `window` consecutive `k`-character shingle hashes the smallest is kept,
  about 2 / (window + 1) of them (one in three by default). Any shared passage of at
  least `window + k - 1` characters (= `rare_min_chars`, 12) has a window wholly inside
  it, and that window picks the same fingerprint in every document containing the
  passage; so every such document has counted it.
- Fingerprints are counted, once per document, in a count-min sketch (Cormode &
  Muthukrishnan, 2005): `depth` rows of 2^`width_bits` one-byte saturating counters
  (4 x 4 M = 16 MB by default), whatever the number of documents. A phrase's document
  frequency is the minimum, over its fingerprints and the rows, of the counters: never
  below the truth (collisions only add), so a phrase is never called rare because of the
  sketch; it may be called common by a collision, which costs recall, not precision.
- Collisions: with a share f of a row's counters in use, a fingerprint counted by d
  documents reads d + 1 or more in all four rows with probability about f^4, and d + 3
  or more (enough to hide a phrase of two bids at the default `rare_corpus_max_docs`
  of 4) in all four rows with probability ~ 0.2^4 = 0.2 % at f = 0.8.
- When more than `max_fill` (0.8) of row 0's counters are in use, every counter is
  halved (an aging sketch): documents seen once fall out, phrases many documents use
  stay. The corpus is then the recent past, weighted: at the default size a halving
  comes after about 6.7 M distinct fingerprints (some 20 M characters, 800 bids of
  25 k characters); a phrase counted in 8 documents since the last halving still
  counts 4 after it. `documents` and `halvings` go into the evidence.
- Stock phrases are kept exactly (every shingle of them, a sorted array: a few KB for
  the shipped sample): a shingle found there is never rare.

Like the registry, the corpus is reference data in `Context`; detectors only read it.
`Context.corpus` is this sketch behind a time gate (detectors/corpus_timeline.py): a
judgement counts the documents earlier in event time (and the judged one), whenever the
live worker happened to read them, so live and replay count the same documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from detectors.shingles import EMPTY_HASHES, fmix64, isin_sorted, normalise, shingle_hashes
from witness.phrase_lists import misspellings, stock_phrases

_ROW_SEEDS = np.array(
    [0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93]
    + [0x2545F4914F6CDD1D * (n + 5) % (1 << 64) for n in range(12)],
    dtype=np.uint64,
)


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Positions of the winnowed fingerprints: the smallest hash of every `window`
    consecutive ones, only windows lying wholly inside `hashes` (none if too short)."""
    n = len(hashes) - window + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    view = np.lib.stride_tricks.sliding_window_view(hashes, window)
    return np.unique(view.argmin(axis=1) + np.arange(n))


def fingerprints(text: str, shape: CorpusShape) -> np.ndarray:
    """A document's winnowed fingerprints, sorted and unique (what the sketch counts)."""
    h = shingle_hashes(normalise(text)[0], shape.k)
    if not len(h):
        return EMPTY_HASHES
    return np.unique(h[winnow(h, shape.window)] if len(h) >= shape.window else h)


@dataclass(frozen=True)
class CorpusShape:
    """What the sketch is built with (from the DOC-40-4 thresholds)."""

    k: int
    window: int
    width_bits: int
    depth: int
    max_fill: float
    stock_file: str
    misspellings_file: str


@dataclass
class PhraseCorpus:
    """Document frequency of phrases over every document seen (see the module doc)."""

    shape: CorpusShape | None = None
    counts: np.ndarray | None = None  # (depth, 2**width_bits) uint8
    documents: int = 0
    halvings: int = 0
    in_use: int = 0  # non-zero counters of row 0
    stock: np.ndarray = field(default_factory=lambda: EMPTY_HASHES)
    stock_phrases: int = 0
    #: (wrong, right) forms, both normalised like the texts they are looked for in.
    misspellings: tuple[tuple[str, str], ...] = ()
    _wrong: re.Pattern | None = None
    _right: dict[str, str] = field(default_factory=dict)

    def configure(self, shape: CorpusShape) -> None:
        """Allocate on first use (a context that never sees a document costs nothing)."""
        if self.shape == shape:
            return
        if self.shape is not None and self.documents:
            raise ValueError("the corpus shape cannot change once documents are counted")
        self.shape = shape
        self.counts = np.zeros((shape.depth, 1 << shape.width_bits), dtype=np.uint8)
        phrases = stock_phrases(shape.stock_file)
        parts = [shingle_hashes(normalise(p)[0], shape.k) for p in phrases]
        self.stock = np.unique(np.concatenate(parts)) if parts else EMPTY_HASHES
        self.stock_phrases = len(phrases)
        self.misspellings = tuple(
            (_norm(w), _norm(r)) for w, r in misspellings(shape.misspellings_file)
        )
        self._right = dict(self.misspellings)
        forms = sorted(self._right, key=len, reverse=True)
        self._wrong = re.compile("|".join(map(re.escape, forms))) if forms else None

    def listed_misspelling(self, text: str, start: int, end: int) -> tuple[str, str] | None:
        """A listed wrong form in `text` overlapping [start, end), with its right form."""
        if self._wrong is None:
            return None
        longest = max(map(len, self._right))
        for m in self._wrong.finditer(text, max(0, start - longest + 1), end + longest - 1):
            if m.start() < end and m.end() > start:
                return m.group(0), self._right[m.group(0)]
        return None

    def _cells(self, hashes: np.ndarray) -> np.ndarray:
        assert self.shape is not None
        shift = np.uint64(64 - self.shape.width_bits)
        seeds = _ROW_SEEDS[: self.shape.depth, None]
        return (fmix64(hashes[None, :] ^ seeds) >> shift).astype(np.int64)

    def add(self, text: str, shape: CorpusShape) -> None:
        """Count one document's fingerprints, once each."""
        self.add_fingerprints(fingerprints(text, shape), shape)

    def add_fingerprints(self, fp: np.ndarray, shape: CorpusShape) -> None:
        """Count one document given its `fingerprints` (sorted, unique), once each."""
        self.configure(shape)
        assert self.counts is not None
        self.documents += 1
        if not len(fp):
            return
        for r, cells in enumerate(self._cells(fp)):
            u, c = np.unique(cells, return_counts=True)
            row = self.counts[r]
            old = row[u]
            if r == 0:
                self.in_use += int(np.count_nonzero(old == 0))
            row[u] = np.minimum(old.astype(np.uint16) + c, 255).astype(np.uint8)
        if self.in_use > shape.max_fill * self.counts.shape[1]:
            self.counts >>= 1
            self.halvings += 1
            self.in_use = int(np.count_nonzero(self.counts[0]))

    def frequency(self, hashes: np.ndarray) -> np.ndarray:
        """Upper bound of the number of documents that counted each fingerprint hash."""
        if self.counts is None or not len(hashes):
            return np.zeros(len(hashes), dtype=np.int64)
        cells = self._cells(hashes)
        rows = np.arange(cells.shape[0])[:, None]
        return self.counts[rows, cells].min(axis=0).astype(np.int64)

    def in_stock(self, hashes: np.ndarray) -> np.ndarray:
        return isin_sorted(hashes, self.stock)

    def bytes(self) -> int:
        return 0 if self.counts is None else int(self.counts.nbytes + self.stock.nbytes)


def _norm(text: str) -> str:
    from detectors.shingles import codes_to_text

    return codes_to_text(normalise(text)[0])

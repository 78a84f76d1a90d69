"""Shared rare phrases for DOC-40-4, judged against the centre's corpus.

A *shared run* is a maximal run of A's residue (outside the tender template) every
`k`-character shingle of which also occurs in B's residue. It is then cut where the text
is known: every stretch covered by a fingerprint the corpus (`detectors/corpus.py`)
counted in more than `rare_limit` documents (`rare_corpus_max_docs`, and no more than
`rare_corpus_max_share` of the corpus, but never below 2: the pair itself), by a shingle
of the stock-phrase file, or by a shingle a third bidder of the project also has, is
common; what is left is judged:

- **phrase** (weight 1): an uncovered stretch of at least `rare_min_chars` characters;
  its `corpus_docs` is the smallest count among its fingerprints (an upper bound of the
  documents containing it, the two bids included);
- **odd_form** (weight `misspelling_weight`): a shorter uncovered stretch with text the
  corpus knows well on both sides (common fingerprints or the stock file; a third
  bidder's text is not enough) and a fingerprint of its own that few documents have,
  i.e. a well-known phrase with a small local edit (typically one character, edit
  distance 1: 混泥土 inside a stock sentence about 混凝土). Left out: stretches with ASCII
  letters or digits (bidders change numbers in stock sentences all the time) and rare
  shingles that span a sentence end (two well-known sentences side by side);
- **misspelling** (weight `misspelling_weight`): a rare phrase or an odd form containing a
  wrong form from the misspellings list (`witness/data/misspellings.tsv`).

A wrong form inside text the corpus knows well counts for nothing: honest bidders copy a
public text with its slip just as they copy it without. The score is the sum of the
weights over distinct stretches; DOC-40-4 fires at `min_shared_rare` (across projects
see detectors/documents_cross.py). Shared slips weigh most because two honest writers
rarely make the same one, while a copier carries them over.

Cost: linear in A's residue; fingerprints, sketch look-ups and coverage are computed for
the whole residue at once, only the runs' stretches are walked in Python (a 200 k
near-copy pair with ~5,000 rare stretches: ~1 s).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from detectors.corpus import PhraseCorpus
from detectors.corpus_timeline import TimedCorpus
from detectors.shingles import isin_sorted, snippet, window_ok

PHRASE, ODD_FORM, MISSPELLING = "phrase", "odd_form", "misspelling"


@dataclass
class RareResult:
    count: int = 0  # distinct rare stretches
    score: float = 0.0  # sum of their weights
    examples: list[dict] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RareRules:
    k: int
    window: int
    min_chars: int
    max_docs: int
    max_share: float
    misspelling_weight: float
    limit: int = 10
    max_chars: int = 40


def _covered(n: int, starts: np.ndarray, k: int) -> np.ndarray:
    """Bool per char of a length-n run: inside [p, p + k) for some p in `starts`."""
    delta = np.zeros(n + 1, dtype=np.int32)
    np.add.at(delta, starts, 1)
    np.add.at(delta, np.minimum(starts + k, n), -1)
    return np.cumsum(delta)[:n] > 0


def _stretches(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def _judge_all(
    a, mask: np.ndarray, third: np.ndarray, corpus: PhraseCorpus | TimedCorpus, rules: RareRules
):
    """Rare stretches of every shared run of A (absolute residue positions), vectorised
    over the whole residue: fingerprints come only from windows wholly inside a run, the
    same ones every document containing that run counted (detectors/corpus.py)."""
    k, w = rules.k, rules.window
    h = a.phrase_hashes
    n_chars = len(a.text)
    idx = np.flatnonzero(window_ok(mask, w))
    if len(idx):
        view = np.lib.stride_tricks.sliding_window_view(h, w)[idx]
        fp = np.unique(view.argmin(axis=1) + idx)
    else:
        fp = np.zeros(0, dtype=np.int64)
    df = corpus.frequency(h[fp])
    stock = corpus.in_stock(h) & (h != 0)
    known = stock | (third & (h != 0))
    stock_at = np.flatnonzero(stock)
    limit = rare_limit(corpus, rules)
    common = np.concatenate([np.flatnonzero(known), fp[df > limit]])
    covered = _covered(n_chars, common, k)
    rare_fp = df <= limit
    for s, e in _stretches(mask):  # shingle-index runs [s, e): chars [s, e + k - 1)
        ce = e + k - 1
        lo, hi = np.searchsorted(fp, [s, e])  # the run's own fingerprints
        rfp, rdf, rrare = fp[lo:hi], df[lo:hi], rare_fp[lo:hi]
        for rs, re_ in _stretches(~covered[s:ce]):
            rs, re_ = rs + s, re_ + s
            inside = (rfp >= rs) & (rfp + k <= re_)
            touching = (rfp < re_) & (rfp + k > rs) & rrare
            if re_ - rs >= rules.min_chars and inside.any():
                item = {"kind": PHRASE, "corpus_docs": int(rdf[inside].min())}
            elif s < rs and re_ < ce and touching.any() and _only_ideographs(a.text[rs:re_]):
                flanks = [
                    _flank(rfp, rdf, stock_at, max(s, rs - k), rs, k, limit),
                    _flank(rfp, rdf, stock_at, re_, min(ce, re_ + k), k, limit),
                ]
                odd = rfp[touching]
                if None in flanks or _SEAM.search(a.text, int(odd.min()), int(odd.max()) + k):
                    continue  # two known fragments side by side, not an edit inside one
                item = {
                    "kind": ODD_FORM,
                    "corpus_docs": int(rdf[touching].min()),
                    "flank_docs": flanks,
                }
            else:
                continue
            wrong = corpus.listed_misspelling(a.text, rs, re_)
            if wrong is not None:
                item["kind"] = MISSPELLING
                item["misspelling"] = {"wrong": wrong[0], "right": wrong[1]}
            yield s, ce, rs, re_, item


def _only_ideographs(text: str) -> bool:
    """A slip sits inside a phrase: no punctuation (a sentence seam), no ASCII letters or
    digits (bidders change numbers and units in stock sentences all the time)."""
    return bool(text) and all("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


def rare_limit(corpus: PhraseCorpus | TimedCorpus, rules: RareRules) -> int:
    """Most documents a rare phrase may be in: `max_docs`, and no more than `max_share`
    of the corpus, but always 2 (a phrase only the two bids have is rare in any corpus).
    A young corpus thus calls little rare: 4 of 71 documents is no rarity."""
    return max(2, min(rules.max_docs, int(rules.max_share * corpus.documents)))


def _flank(fp, df, stock_at, lo: int, hi: int, k: int, limit: int) -> int | str | None:
    """Text beside an odd stretch, chars [lo, hi): the largest count among the common
    fingerprints over it, "stock" if only the stock-phrase file knows it, else None (a
    third bidder having it makes it no well-known phrase)."""
    side = (fp < hi) & (fp + k > lo) & (df > limit)
    if side.any():
        return int(df[side].max())
    near = stock_at[(stock_at < hi) & (stock_at + k > lo)]
    return "stock" if len(near) else None


#: A sentence end inside the rare shingles of an odd stretch: two sentences side by side.
_SEAM = re.compile("[。！？!?]")


def shared_rare_phrases(
    a,
    a_text: str,
    b,
    others: Iterable,
    corpus: PhraseCorpus | TimedCorpus,
    rules: RareRules,
) -> RareResult:
    """Shared stretches of A and B that are rare in the corpus (see the module doc).

    `a`, `b`, `others` are `detectors.neardup.Prepared` residues; offsets in the
    examples point into the original texts.
    """
    shared = np.intersect1d(a.phrase_set, b.phrase_set, assume_unique=True)
    result = RareResult()
    if not len(shared):
        return result
    elsewhere = np.zeros(len(shared), dtype=bool)  # also in a third bidder's document
    for o in others:
        elsewhere |= isin_sorted(shared, o.phrase_set)
    valid = a.phrase_hashes != 0
    mask = isin_sorted(a.phrase_hashes, shared) & valid
    third = isin_sorted(a.phrase_hashes, shared[elsewhere]) & valid
    seen: set[str] = set()
    # Runs shared by A and B are judged whole, so an odd form keeps the well-known text
    # around it; what a third bidder also has counts as common text.
    for run_start, run_end, rs, re_, item in _judge_all(a, mask, third, corpus, rules):
        phrase = a.text[rs:re_]
        if phrase in seen:
            continue
        seen.add(phrase)
        weight = 1.0 if item["kind"] == PHRASE else rules.misspelling_weight
        result.count += 1
        result.score += weight
        result.kinds[item["kind"]] = result.kinds.get(item["kind"], 0) + 1
        if len(result.examples) < rules.limit:
            result.examples.append(
                _example(a, a_text, b, rs, re_, run_start, run_end, item, weight, rules)
            )
    result.score = round(result.score, 4)
    result.examples.sort(key=lambda x: (-x["weight"], x["a"]["start"]))
    return result


def _example(a, a_text, b, rs, re_, run_start, run_end, item, weight, rules) -> dict:
    """Offsets of a stretch in both originals (B: where A's covering shingle is in B)."""
    k = rules.k
    anchor = min(max(rs, run_start), run_end - k)  # a shingle of A that lies in the run
    j = int(np.flatnonzero(b.phrase_hashes == a.phrase_hashes[anchor])[0]) + (rs - anchor)
    j = max(0, min(j, len(b.pos) - 1))
    j_end = min(j + (re_ - rs), len(b.pos))
    a0, a1 = int(a.pos[rs]), int(a.pos[re_ - 1]) + 1
    out = {
        "chars": re_ - rs,
        "a": {"start": a0, "end": a1},
        "b": {"start": int(b.pos[j]), "end": int(b.pos[j_end - 1]) + 1},
        "text": snippet(a_text[a0:a1], rules.max_chars),
        "kind": item["kind"],
        "weight": weight,
        "corpus_docs": item["corpus_docs"],
    }
    if item["kind"] != PHRASE:  # show the slip in its context
        c0, c1 = int(a.pos[max(run_start, rs - 6)]), int(a.pos[min(run_end, re_ + 6) - 1]) + 1
        out["context"] = a_text[c0:c1]
    for key in ("misspelling", "flank_docs"):
        if key in item:
            out[key] = item[key]
    return out

"""Shared rare phrases for DOC-40-4, judged against the centre's corpus.

A *shared run* is a maximal run of A's residue (outside the tender template) every
`k`-character shingle of which also occurs in B's residue. It is then cut where the text
is known: every stretch covered by a fingerprint the corpus (`detectors/corpus.py`)
counted in more than `rare_corpus_max_docs` documents, by a shingle of the stock-phrase
file, or by a shingle a third bidder of the project also has, is common; what is left
is judged:

- **phrase** (weight 1): an uncovered stretch of at least `rare_min_chars` characters;
  its `corpus_docs` is the smallest count among its fingerprints (an upper bound of the
  documents containing it, the two bids included);
- **odd_form** (weight `misspelling_weight`): a shorter uncovered stretch with common text
  on both sides and a fingerprint of its own that few documents have, i.e. a phrase the
  corpus knows well with a small local edit (typically one character, edit distance 1:
  混泥土 inside a stock sentence about 混凝土). Stretches with ASCII letters or digits are
  left out: bidders change numbers in stock sentences all the time;
- **misspelling** (weight `misspelling_weight`): a rare phrase or an odd form containing a
  wrong form from the misspellings list (`witness/data/misspellings.tsv`).

A wrong form inside text the corpus knows well counts for nothing: honest bidders copy a
public text with its slip just as they copy it without. The score is the sum of the
weights over distinct stretches; DOC-40-4 fires at `min_shared_rare`. Shared slips weigh
most because two honest writers rarely make the same one, while a copier carries them over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from detectors.corpus import PhraseCorpus, winnow
from detectors.shingles import codes_of, codes_to_text, isin_sorted, shingle_hashes

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


def judge_run(
    codes: np.ndarray,
    corpus: PhraseCorpus,
    rules: RareRules,
    elsewhere: np.ndarray | None = None,
) -> list[dict]:
    """The rare stretches of one shared run (positions relative to the run).

    `elsewhere` (bool per shingle): shingles a third bidder of the project also has;
    they count as common text, like the stock phrases.
    """
    k, n = rules.k, len(codes)
    h = shingle_hashes(codes, k)
    if not len(h):
        return []
    fp = winnow(h, rules.window)
    df = corpus.frequency(h[fp])
    known = corpus.in_stock(h)
    if elsewhere is not None:
        known |= elsewhere[: len(h)]
    common = np.concatenate([np.flatnonzero(known), fp[df > rules.max_docs]])
    covered = _covered(n, common, k)
    text = codes_to_text(codes)
    out = []
    for s, e in _stretches(~covered):
        inside = (fp >= s) & (fp + k <= e)
        touching = (fp < e) & (fp + k > s) & (df <= rules.max_docs)
        if e - s >= rules.min_chars and inside.any():
            kind, docs = PHRASE, int(df[inside].min())
        elif s > 0 and e < n and touching.any() and _only_ideographs(text[s:e]):
            kind, docs = ODD_FORM, int(df[touching].min())
        else:
            continue
        item = {"start": s, "end": e, "kind": kind, "corpus_docs": docs}
        if kind == ODD_FORM:
            m = rules.max_docs
            item["flank_docs"] = [
                _flank(fp, df, max(0, s - k), s, k, m),
                _flank(fp, df, e, min(n, e + k), k, m),
            ]
        wrong = _listed(text, s, e, corpus.misspellings)
        if wrong is not None:
            item["kind"], item["misspelling"] = MISSPELLING, {"wrong": wrong[0], "right": wrong[1]}
        out.append(item)
    return out


def _only_ideographs(text: str) -> bool:
    """A slip sits inside a phrase: no punctuation (a sentence seam), no ASCII letters or
    digits (bidders change numbers and units in stock sentences all the time)."""
    return bool(text) and all("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


def _flank(fp, df, lo: int, hi: int, k: int, max_docs: int) -> int | str:
    """Largest count among common fingerprints overlapping chars [lo, hi) (the text next
    to an odd stretch), or "known" when only stock phrases or third bidders cover it."""
    side = (fp < hi) & (fp + k > lo) & (df > max_docs)
    return int(df[side].max()) if side.any() else "known"


def _listed(
    text: str, s: int, e: int, forms: tuple[tuple[str, str], ...]
) -> tuple[str, str] | None:
    """A listed wrong form overlapping [s, e) of the run."""
    for wrong, right in forms:
        lo = max(0, s - len(wrong) + 1)
        at = text.find(wrong, lo, e + len(wrong) - 1)
        if at >= 0:
            return wrong, right
    return None


def shared_rare_phrases(
    a,
    a_text: str,
    b,
    others: Iterable,
    corpus: PhraseCorpus,
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
    k = rules.k
    valid = a.phrase_hashes != 0
    mask = isin_sorted(a.phrase_hashes, shared) & valid
    third = isin_sorted(a.phrase_hashes, shared[elsewhere]) & valid
    a_codes = codes_of(a.text)
    seen: set[str] = set()
    # Runs shared by A and B are judged whole, so an odd form keeps the well-known text
    # around it; what a third bidder also has counts as common text.
    for s, e in _stretches(mask):  # shingle-index runs [s, e): chars [s, e + k - 1)
        run_end = e + k - 1
        for item in judge_run(a_codes[s:run_end], corpus, rules, third[s:e]):
            rs, re_ = s + item["start"], s + item["end"]
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
                    _example(a, a_text, b, rs, re_, s, run_end, item, weight, rules)
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
        "text": _snippet(a_text[a0:a1], rules.max_chars),
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


def _snippet(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

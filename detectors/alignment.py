"""Linear-memory alignment of two residues: shared passages and a bounded similarity.

`rapidfuzz.distance.Indel.opcodes` keeps a bit matrix of |a| x |b| cells (40 k chars:
212 MB; 200 k: ~5 GB) and even `Indel.normalized_similarity` is quadratic in time
(200 k x 200 k: ~13 s). Both are replaced here by anchoring on shared k-character
shingles, the way whole-genome aligners (MUMmer) and patience diff do:

1. `common_runs`: every shingle hash of A is joined with the equal hashes of B
   (hashes repeated more than `max_repeats` times in either text are ignored: table
   filler and other low-complexity text); consecutive hits on one diagonal (i - j) merge
   into a maximal exact run, checked character by character. Memory is O(|a| + |b|):
   at most `max_repeats`² hits per shingle, sorted once.
2. `aligned_passages`: the longest runs that overlap neither each other in A nor in B.
   Every passage is a verified common substring of both texts.
3. `bounded_similarity`: exact rapidfuzz while |a|·|b| <= `exact_cells`; above that, a
   monotone chain of runs of shingles unique in both texts (weighted longest increasing
   subsequence) with the gaps between them aligned exactly by rapidfuzz when a gap is
   small enough, or anchored again with shorter shingles (two levels, Hirschberg-style
   divide and conquer). The LCS so found is a real common subsequence, so the result
   is a lower bound of the exact Indel similarity, equal to it when the texts are near
   copies (their gaps are short); the total rapidfuzz work is capped by `max_cells`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Indel

from detectors.shingles import codes_of, shingle_hashes, valid_windows

#: |a|·|b| up to which the similarity is rapidfuzz's exact one (20 k x 20 k ~ 0.1 s).
EXACT_CELLS = 400_000_000
#: One gap is aligned exactly up to this many cells (~25 ms) ...
GAP_CELLS = 100_000_000
#: ... and all gaps of one comparison together up to this many (~0.5 s).
MAX_CELLS = 2_000_000_000
ANCHOR_CHARS = 12


def common_runs(
    a: np.ndarray,
    b: np.ndarray,
    k: int,
    *,
    a_cut: np.ndarray | None = None,
    b_cut: np.ndarray | None = None,
    max_repeats: int = 4,
) -> np.ndarray:
    """Maximal exact common runs of at least `k` chars: int64 rows (a_start, b_start, len).

    `a_cut` / `b_cut` (bool per char: a seam follows it) keep runs from crossing a
    removed template passage. Rows are sorted by (a_start, b_start).
    """
    empty = np.zeros((0, 3), dtype=np.int64)
    ha, hb = shingle_hashes(a, k), shingle_hashes(b, k)
    if not len(ha) or not len(hb):
        return empty
    ia = np.arange(len(ha), dtype=np.int64)
    jb = np.arange(len(hb), dtype=np.int64)
    if a_cut is not None:
        va = valid_windows(a_cut, k)
        ha, ia = ha[va], ia[va]
    if b_cut is not None:
        vb = valid_windows(b_cut, k)
        hb, jb = hb[vb], jb[vb]
    ha, ia = _drop_repeats(ha, ia, max_repeats)
    hb, jb = _drop_repeats(hb, jb, max_repeats)
    order = np.argsort(hb, kind="stable")
    hb_sorted, jb_sorted = hb[order], jb[order]
    lo = np.searchsorted(hb_sorted, ha, side="left")
    hi = np.searchsorted(hb_sorted, ha, side="right")
    cnt = hi - lo
    hit = cnt > 0
    if not hit.any():
        return empty
    ia, lo, cnt = ia[hit], lo[hit], cnt[hit]
    pi = np.repeat(ia, cnt)
    offs = np.arange(int(cnt.sum()), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    pj = jb_sorted[np.repeat(lo, cnt) + offs]
    diag = pi - pj
    o = np.lexsort((pi, diag))
    pi, pj, diag = pi[o], pj[o], diag[o]
    new = np.ones(len(pi), dtype=bool)
    new[1:] = (diag[1:] != diag[:-1]) | (pi[1:] != pi[:-1] + 1)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(pi))
    runs = np.stack([pi[starts], pj[starts], (ends - starts) + k - 1], axis=1)
    runs = runs[_verified(a, b, runs)]
    return runs[np.lexsort((runs[:, 1], runs[:, 0]))] if len(runs) else empty


def _drop_repeats(h: np.ndarray, idx: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    values, inverse, counts = np.unique(h, return_inverse=True, return_counts=True)
    keep = counts[inverse] <= limit
    return h[keep], idx[keep]


def _verified(a: np.ndarray, b: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """True where the run really is equal text (a 64-bit hash collision is not)."""
    ok = np.ones(len(runs), dtype=bool)
    for n, (i, j, length) in enumerate(runs.tolist()):
        if not np.array_equal(a[i : i + length], b[j : j + length]):
            ok[n] = False
    return ok


# ---------------------------------------------------------------- passages


def longest_disjoint(runs: np.ndarray, top: int) -> list[tuple[int, int, int]]:
    """The `top` longest runs overlapping no longer one, in A or in B."""
    if not len(runs) or top <= 0:
        return []
    order = np.lexsort((runs[:, 1], runs[:, 0], -runs[:, 2]))
    chosen: list[tuple[int, int, int]] = []
    for i, j, n in runs[order].tolist():
        if all(
            (i + n <= ci or ci + cn <= i) and (j + n <= cj or cj + cn <= j) for ci, cj, cn in chosen
        ):
            chosen.append((i, j, n))
            if len(chosen) == top:
                break
    return chosen


# ---------------------------------------------------------------- similarity


@dataclass
class Similarity:
    value: float  # Indel similarity (exact) or a lower bound of it (anchored)
    method: str  # "exact" | "anchored"
    unaligned_chars: int = 0  # gap characters left out by the work cap (anchored only)


def _chain(runs: np.ndarray) -> list[tuple[int, int, int]]:
    """Heaviest chain of runs increasing in both A and B (weighted LIS, O(R log R)).

    Runs come from shingles unique in both texts, so they rarely overlap; an overlap
    left in the chain is trimmed off the later run.
    """
    if not len(runs):
        return []
    rows = runs.tolist()
    js = sorted({r[1] for r in rows})
    rank = {j: n + 1 for n, j in enumerate(js)}
    size = len(js)
    tree_val = [0] * (size + 1)
    tree_arg = [-1] * (size + 1)
    best = [0] * len(rows)
    prev = [-1] * len(rows)
    for n, (_, j, length) in enumerate(rows):
        # best chain ending at a run with smaller b_start
        q, val, arg = rank[j] - 1, 0, -1
        while q > 0:
            if tree_val[q] > val:
                val, arg = tree_val[q], tree_arg[q]
            q -= q & -q
        best[n], prev[n] = val + length, arg
        q = rank[j]
        while q <= size:
            if best[n] > tree_val[q]:
                tree_val[q], tree_arg[q] = best[n], n
            q += q & -q
    n = max(range(len(rows)), key=lambda x: (best[x], -x))
    out = []
    while n >= 0:
        out.append(tuple(rows[n]))
        n = prev[n]
    out.reverse()
    trimmed: list[tuple[int, int, int]] = []
    ea = eb = 0
    for i, j, length in out:
        cut = max(ea - i, eb - j, 0)
        if length - cut > 0:
            trimmed.append((i + cut, j + cut, length - cut))
            ea, eb = i + length, j + length
    return trimmed


@dataclass
class _Budget:
    cells: int
    unaligned: int = 0


def _lcs(a: str, b: str, budget: _Budget, k: int, depth: int) -> int:
    """Length of a common subsequence of a and b (the LCS when the budget allows)."""
    if not a or not b:
        return 0
    head, tail = _common_ends(a, b)
    if head or tail:  # exact and free, and it rescues low-complexity text with no anchors
        return (
            head + tail + _lcs(a[head : len(a) - tail], b[head : len(b) - tail], budget, k, depth)
        )
    cells = len(a) * len(b)
    if cells <= GAP_CELLS and cells <= budget.cells:
        budget.cells -= cells
        return (len(a) + len(b) - Indel.distance(a, b)) // 2
    if depth >= 2 or min(len(a), len(b)) < k:
        budget.unaligned += min(len(a), len(b))
        return 0
    runs = common_runs(codes_of(a), codes_of(b), k, max_repeats=1)
    total = pa = pb = 0
    for i, j, length in _chain(runs):
        total += length + _lcs(a[pa:i], b[pb:j], budget, max(6, k // 2), depth + 1)
        pa, pb = i + length, j + length
    return total + _lcs(a[pa:], b[pb:], budget, max(6, k // 2), depth + 1)


def _common_ends(a: str, b: str) -> tuple[int, int]:
    """Lengths of the common prefix and of the common suffix (not overlapping it)."""
    ca, cb = codes_of(a), codes_of(b)
    m = min(len(ca), len(cb))
    diff = np.flatnonzero(ca[:m] != cb[:m])
    head = int(diff[0]) if len(diff) else m
    ra, rb = ca[head:][::-1], cb[head:][::-1]
    m = min(len(ra), len(rb))
    diff = np.flatnonzero(ra[:m] != rb[:m])
    return head, int(diff[0]) if len(diff) else m


def bounded_similarity(
    a: str, b: str, *, cutoff: float = 0.0, exact_cells: int = EXACT_CELLS
) -> Similarity:
    """Indel similarity of a and b in bounded time and linear memory (see module doc).

    With `cutoff`, an exact result below it may be reported as 0 (rapidfuzz stops early).
    """
    total = len(a) + len(b)
    if total == 0:
        return Similarity(1.0, "exact")
    if len(a) * len(b) <= exact_cells:
        return Similarity(float(Indel.normalized_similarity(a, b, score_cutoff=cutoff)), "exact")
    budget = _Budget(MAX_CELLS)
    lcs = _lcs(a, b, budget, ANCHOR_CHARS, 0)
    return Similarity(2 * lcs / total, "anchored", budget.unaligned)

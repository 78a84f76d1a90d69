"""Character shingles of normalised text: the hashing every document rule shares.

Chinese has no spaces, so the document rules work on characters: `normalise` folds
full-width ASCII to half-width, lower-cases ASCII and drops whitespace (PDF extraction
scatters line breaks), keeping each character's offset in the original so evidence can
point into it; `shingle_hashes` gives a 64-bit hash of every k-character window
(vectorised polynomial hash, finalised with MurmurHash3's fmix64).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

_WHITESPACE = np.array(
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x200B, 0x2028, 0x2029, 0xFEFF],
    dtype=np.uint32,
)
_MUL = np.uint64(0x100000001B3)
_C1 = np.uint64(0xFF51AFD7ED558CCD)
_C2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
EMPTY_HASHES = np.zeros(0, dtype=np.uint64)


def normalise(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Code points of the normalised text and each one's offset in the original text."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codes = np.where((codes >= 0xFF01) & (codes <= 0xFF5E), codes - 0xFEE0, codes)
    codes = np.where(codes == 0x3000, 0x20, codes)  # ideographic space
    codes = np.where((codes >= 65) & (codes <= 90), codes + 32, codes).astype(np.uint32)
    keep = ~np.isin(codes, _WHITESPACE)
    return codes[keep], np.flatnonzero(keep).astype(np.int32)


def codes_to_text(codes: np.ndarray) -> str:
    return codes.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


def fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _S33)
    h = h * _C1
    h = h ^ (h >> _S33)
    h = h * _C2
    return h ^ (h >> _S33)


def shingle_hashes(codes: np.ndarray, k: int) -> np.ndarray:
    """64-bit hash of every k-character window (len(codes) - k + 1 of them)."""
    n = len(codes) - k + 1
    if n <= 0:
        return EMPTY_HASHES
    c = codes.astype(np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):
        h = h * _MUL + c[j : j + n] + np.uint64(1)
    return fmix64(h)


def isin_sorted(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """`np.isin` for a sorted, de-duplicated haystack (binary search, no re-sort)."""
    if len(sorted_unique) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    idx = np.searchsorted(sorted_unique, values)
    idx[idx == len(sorted_unique)] = 0
    return sorted_unique[idx] == values


def template_hashes(texts: Iterable[str], k: int) -> np.ndarray:
    """Sorted unique k-shingle hashes of the template document(s)."""
    parts = [shingle_hashes(normalise(t)[0], k) for t in texts]
    return np.unique(np.concatenate(parts)) if parts else EMPTY_HASHES


def window_ok(ok: np.ndarray, k: int) -> np.ndarray:
    """For each k-window over `ok` (per position), True when every position in it is ok."""
    n = len(ok) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=bool)
    bad = np.concatenate([[0], np.cumsum(~ok)])
    return (bad[k : k + n] - bad[:n]) == 0


def valid_windows(cut_after: np.ndarray, k: int) -> np.ndarray:
    """Windows [i, i+k) with no cut strictly inside (no glued template seam)."""
    n = len(cut_after) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=bool)
    return window_ok(~cut_after, k - 1)[:n] if k > 1 else np.ones(n, dtype=bool)


def snippet(text: str, limit: int) -> str:
    """`text` cut to `limit` characters for evidence, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def codes_of(text: str) -> np.ndarray:
    """Code points of `text` as it is (no normalising)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

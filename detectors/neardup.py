"""Near-duplicate text machinery for DOC-40-4: normalise, strip the template, index, verify.

Chinese has no spaces, so everything works on characters: texts are normalised
(full-width ASCII folded to half-width, ASCII lower-cased, whitespace dropped, because
PDF extraction scatters line breaks), the tender template's passages are cut out (every
character covered by a `template_chars`-long shingle that also occurs in the template),
and what is left, the *residue*, is what a bidder actually wrote.

Candidate pairs come from MinHash LSH (datasketch) over `shingle_chars`-long character
shingles of the residue; a cheap signature-Jaccard check drops LSH noise; survivors are
verified with rapidfuzz's Indel similarity (= `fuzz.ratio / 100`). The LSH threshold is
low on purpose: word-level rewording at an Indel similarity of 0.80 leaves a 5-shingle
Jaccard of only about 0.3, so the band parameters are tuned for recall there.

Everything is deterministic (fixed MinHash seed, sorted candidate order); no wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH
from pydantic import Field, field_validator

from detectors.alignment import bounded_similarity, common_runs, longest_disjoint
from detectors.corpus import CorpusShape
from detectors.rarity import RareRules
from detectors.shingles import (  # noqa: F401  (re-exported: the rules' one import)
    EMPTY_HASHES,
    codes_of,
    codes_to_text,
    isin_sorted,
    normalise,
    shingle_hashes,
    snippet,
    template_hashes,
    valid_windows,
)
from witness.phrase_lists import misspellings, stock_phrases
from witness.thresholds import RuleThresholds, thresholds_section

_S32 = np.uint64(32)
_MASK32 = np.uint64(0xFFFFFFFF)


@thresholds_section("DOC-40-4")
class Params(RuleThresholds):
    """DOC-40-4: near-duplicate texts and shared rare phrases (defaults, bounds)."""

    similarity: float = Field(
        0.80, gt=0, le=1, description="Indel similarity after template removal"
    )
    min_shared_rare: int = Field(
        3, ge=1, description="score of shared rare phrases that fires (a slip weighs more)"
    )
    shingle_chars: int = Field(5, ge=2, le=64, description="character shingle length for MinHash")
    lsh_threshold: float = Field(0.2, gt=0, lt=1, description="Jaccard threshold of the LSH search")
    num_perm: int = Field(128, ge=16, le=1024)
    lsh_recall_weight: float = Field(0.8, ge=0, le=1)
    verify_min_jaccard: float = Field(0.15, ge=0, le=1)
    template_chars: int = Field(8, ge=2, le=64)
    phrase_chars: int = Field(8, ge=2, le=64)
    rare_min_chars: int = Field(12, ge=2)
    min_residue_chars: int = Field(200, ge=0)
    infer_template_bidders: int = Field(3, ge=2)
    rare_max_docs: int = Field(200, ge=1)
    max_passages: int = Field(5, ge=0, le=100)
    passage_chars: int = Field(80, ge=10, le=2000)
    cross_live_projects: int = Field(200, ge=1)
    cross_max_docs: int = Field(20_000, ge=1)
    cross_signature_jaccard: float = Field(
        0.25,
        gt=0,
        le=1,
        description="cross-project, text no longer in memory: signature Jaccard estimate at "
        "which the text is loaded from the store and verified (never an alert by itself)",
    )
    cross_min_shared_rare: int = Field(
        10,
        ge=1,
        description="cross-project: rare-phrase score that fires without a shared slip "
        "(with one: min_shared_rare)",
    )
    rare_corpus_max_docs: int = Field(
        4,
        ge=2,
        description="a shared phrase is rare if at most this many documents of the corpus "
        "contain it (the two bids included)",
    )
    rare_min_outside_docs: int = Field(
        20,
        ge=0,
        description="shared phrases are judged rare only once the corpus holds this many "
        "documents from outside the project: against a corpus of the project's own bids, a "
        "phrase only the pair has proves nothing (stock text the pair happened to share)",
    )
    rare_corpus_max_share: float = Field(
        0.01,
        ge=0,
        le=1,
        description="... and in at most this share of the corpus's documents (never below "
        "2 documents): a young corpus calls little rare",
    )
    misspelling_weight: float = Field(
        2.0, ge=1, le=10, description="weight of a shared slip (listed or odd form) vs 1"
    )
    stock_phrases_file: str = Field(
        "", description='stock phrases never rare: "" shipped sample, "none", or a path'
    )
    misspellings_file: str = Field(
        "", description='wrong<TAB>right forms: "" shipped sample, "none", or a path'
    )
    corpus_width_bits: int = Field(
        22, ge=10, le=30, description="count-min sketch: 2**bits one-byte counters a row"
    )
    corpus_depth: int = Field(4, ge=1, le=16, description="count-min sketch rows")
    corpus_max_fill: float = Field(
        0.8, gt=0, lt=1, description="share of a row in use at which all counts halve"
    )

    @field_validator("stock_phrases_file")
    @classmethod
    def _stock_file_readable(cls, value: str) -> str:
        stock_phrases(value)
        return value

    @field_validator("misspellings_file")
    @classmethod
    def _misspellings_readable(cls, value: str) -> str:
        misspellings(value)
        return value


#: The DOC-40-4 thresholds under the name the near-duplicate search uses.
DocSimilarityThresholds = Params


def winnow_window(p: Params) -> int:
    """The winnowing window that makes every passage of `rare_min_chars` characters hold
    a fingerprint (detectors/corpus.py)."""
    return max(1, p.rare_min_chars - p.phrase_chars + 1)


def corpus_shape(p: Params) -> CorpusShape:
    return CorpusShape(
        k=p.phrase_chars,
        window=winnow_window(p),
        width_bits=p.corpus_width_bits,
        depth=p.corpus_depth,
        max_fill=p.corpus_max_fill,
        stock_file=p.stock_phrases_file,
        misspellings_file=p.misspellings_file,
    )


def rare_rules(p: Params, *, limit: int = 10) -> RareRules:
    return RareRules(
        k=p.phrase_chars,
        window=winnow_window(p),
        min_chars=p.rare_min_chars,
        max_docs=p.rare_corpus_max_docs,
        max_share=p.rare_corpus_max_share,
        misspelling_weight=p.misspelling_weight,
        limit=limit,
    )


# ---------------------------------------------------------------- one prepared document


@dataclass(eq=False)
class Prepared:
    """A document ready for comparison. `text` is the residue (normalised, template cut)."""

    text: str
    pos: np.ndarray  # offset in the original text of each residue character (int32)
    cut_after: np.ndarray  # residue char i is followed by a cut (template or end)
    signature: np.ndarray  # MinHash hash values
    original_chars: int
    template_removed_chars: int
    phrase_chars: int = 8
    _phrases: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def comparable(self) -> bool:
        return bool(len(self.signature))

    def _phrase_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Computed on first use: only rare-phrase checks need them (16 bytes a char)."""
        if self._phrases is None:
            k = self.phrase_chars
            codes = np.frombuffer(self.text.encode("utf-32-le", "surrogatepass"), np.uint32)
            ph = shingle_hashes(codes, k)
            if len(ph):
                ph = np.where(valid_windows(self.cut_after, k), ph, np.uint64(0))
            self._phrases = (ph, np.unique(ph[ph != 0]) if len(ph) else EMPTY_HASHES)
        return self._phrases

    @property
    def phrase_hashes(self) -> np.ndarray:
        """phrase_chars-shingle hash per residue position (0 = spans a cut)."""
        return self._phrase_arrays()[0]

    @property
    def phrase_set(self) -> np.ndarray:
        """Sorted unique valid phrase hashes."""
        return self._phrase_arrays()[1]

    def drop_phrases(self) -> None:
        self._phrases = None


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own affine32 permutations for seed 1 (so signatures fit its LSH)."""
    a, b = MinHash(num_perm=num_perm, seed=1, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def minhash_signature(hashes: np.ndarray, num_perm: int) -> np.ndarray:
    """MinHash values of a set of 64-bit shingle hashes (datasketch affine32 scheme).

    Same arithmetic as `MinHash.update_batch` with the inputs already mixed, minus its
    per-item Python loop, which cost more than the whole rest of `prepare`.
    """
    a, b = _permutations(num_perm)
    folded = np.unique(((hashes ^ (hashes >> _S32)) & _MASK32).astype(np.uint32))
    sig = np.empty(num_perm, dtype=np.uint32)
    tmp = np.empty_like(folded)
    for i in range(num_perm):  # row by row: contiguous, ~9x faster than one 2-D broadcast
        np.multiply(folded, a[i], out=tmp)
        np.add(tmp, b[i], out=tmp)
        sig[i] = tmp.min()
    return sig


def prepare(text: str, template: np.ndarray | None, params: Params) -> Prepared:
    """Normalise `text`, cut the template's passages out and sketch the residue."""
    codes, pos = normalise(text)
    norm_idx = np.arange(len(codes), dtype=np.int64)
    removed = 0
    if template is not None and len(template) and len(codes) >= params.template_chars:
        k = params.template_chars
        hit = isin_sorted(shingle_hashes(codes, k), template).astype(np.int32)
        delta = np.zeros(len(codes) + 1, dtype=np.int32)
        delta[: len(hit)] += hit
        delta[k : k + len(hit)] -= hit
        keep = np.cumsum(delta)[: len(codes)] == 0
        removed = int((~keep).sum())
        codes, pos, norm_idx = codes[keep], pos[keep], norm_idx[keep]
    cut_after = np.ones(len(codes), dtype=bool)
    if len(codes) > 1:
        cut_after[:-1] = np.diff(norm_idx) != 1
    signature = np.zeros(0, dtype=np.uint32)
    if len(codes) >= max(params.min_residue_chars, params.shingle_chars):
        sh = shingle_hashes(codes, params.shingle_chars)
        sh = sh[valid_windows(cut_after, params.shingle_chars)]
        if len(sh):
            signature = minhash_signature(sh, params.num_perm)
    return Prepared(
        text=codes_to_text(codes),
        pos=pos,
        cut_after=cut_after,
        signature=signature,
        original_chars=len(text),
        template_removed_chars=removed,
        phrase_chars=params.phrase_chars,
    )


# ---------------------------------------------------------------- the index


@dataclass
class Match:
    key: str
    similarity: float | None  # verified Indel similarity; None when the text is gone
    estimated_jaccard: float
    method: str = "exact"  # "exact" rapidfuzz, or "anchored" (a lower bound; long texts)


@dataclass
class NearDupIndex:
    """MinHash LSH over residues; `add` returns the verified near-duplicates of a new text.

    Texts may be forgotten (`forget_text`) while signatures stay, which is what the
    cross-project detector does for archived projects: those matches come back with
    `similarity=None` and only the signature estimate.
    """

    params: Params
    lsh: MinHashLSH = field(init=False)
    signatures: dict[str, np.ndarray] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    verified: int = 0  # rapidfuzz comparisons run (for the bench and tuning)

    def __post_init__(self) -> None:
        w = self.params.lsh_recall_weight
        self.lsh = MinHashLSH(
            threshold=self.params.lsh_threshold,
            num_perm=self.params.num_perm,
            weights=(1.0 - w, w),
        )

    def __len__(self) -> int:
        return len(self.signatures)

    def _minhash(self, signature: np.ndarray) -> MinHash:
        return MinHash(seed=1, hashvalues=signature, scheme="affine32")

    def candidates(self, prep: Prepared) -> list[tuple[str, float]]:
        """Keys whose signatures pass LSH and the Jaccard pre-check, with the estimate."""
        if not prep.comparable or not self.signatures:
            return []
        keys = sorted(self.lsh.query(self._minhash(prep.signature)))
        if not keys:
            return []
        sigs = np.stack([self.signatures[k] for k in keys])
        est = (sigs == prep.signature).mean(axis=1)
        return [
            (k, float(e))
            for k, e in zip(keys, est, strict=True)
            if e >= self.params.verify_min_jaccard
        ]

    def add(
        self, key: str, prep: Prepared, skip: Callable[[str], bool] | None = None
    ) -> list[Match]:
        """Index `prep` under `key`; return existing entries with similarity >= threshold."""
        if key in self.signatures:
            self.remove(key)
        out: list[Match] = []
        for other, est in self.candidates(prep):
            if skip is not None and skip(other):
                continue
            other_text = self.texts.get(other)
            if other_text is None:
                out.append(Match(other, None, est))
                continue
            self.verified += 1
            sim = bounded_similarity(prep.text, other_text, cutoff=self.params.similarity)
            if sim.value >= self.params.similarity:
                out.append(Match(other, round(sim.value, 4), est, sim.method))
        self.insert(key, prep)
        return out

    def insert(self, key: str, prep: Prepared) -> None:
        if key in self.signatures:
            self.remove(key)
        if prep.comparable:
            self.lsh.insert(key, self._minhash(prep.signature))
            self.signatures[key] = prep.signature
            self.texts[key] = prep.text

    def forget_text(self, key: str) -> None:
        self.texts.pop(key, None)

    def remove(self, key: str) -> None:
        if key in self.signatures:
            self.lsh.remove(key)
            del self.signatures[key]
        self.texts.pop(key, None)


# ---------------------------------------------------------------- evidence


def aligned_passages(
    a: Prepared,
    a_text: str,
    b: Prepared,
    b_text: str,
    *,
    top: int = 5,
    max_chars: int = 80,
    anchor_chars: int = 8,
) -> list[dict]:
    """The `top` longest passages the two residues share, with offsets in each original.

    Linear memory (`detectors.alignment.common_runs`): maximal exact common runs of at
    least `anchor_chars` characters that cross no removed template passage, the longest
    first, none overlapping a longer one in either text.
    """
    runs = common_runs(
        codes_of(a.text), codes_of(b.text), anchor_chars, a_cut=a.cut_after, b_cut=b.cut_after
    )
    out = []
    for i, j, length in longest_disjoint(runs, top):
        a0, a1 = int(a.pos[i]), int(a.pos[i + length - 1]) + 1
        b0, b1 = int(b.pos[j]), int(b.pos[j + length - 1]) + 1
        out.append(
            {
                "chars": length,
                "a": {"start": a0, "end": a1},
                "b": {"start": b0, "end": b1},
                "text": snippet(a_text[a0:a1], max_chars),
            }
        )
    return out

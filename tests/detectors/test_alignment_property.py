"""Linear-memory alignment (detectors/alignment.py): passages really are shared text,
the similarity is never above rapidfuzz's exact one, and memory grows linearly."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from detectors.alignment import bounded_similarity, codes_of, common_runs, longest_disjoint
from detectors.neardup import Params, aligned_passages, prepare
from witness.simulator.text_samples import reword, words

# A tiny alphabet makes repeats, shared runs and hash-bucket crowding common.
small_text = st.text(alphabet="混凝土浇筑施工。，ab", min_size=0, max_size=300)


def _mutate(text: str, edits: list[tuple[int, str]]) -> str:
    out = list(text)
    for pos, ch in edits:
        if out:
            out[pos % len(out)] = ch
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(a=small_text, b=small_text, k=st.integers(2, 12), top=st.integers(1, 8))
def test_every_run_is_text_both_contain_and_the_chosen_do_not_overlap(a, b, k, top):
    ca, cb = codes_of(a), codes_of(b)
    runs = common_runs(ca, cb, k)
    for i, j, n in runs.tolist():
        assert n >= k
        assert a[i : i + n] == b[j : j + n]
    chosen = longest_disjoint(runs, top)
    assert len(chosen) <= top
    for x, (i, j, n) in enumerate(chosen):
        for i2, j2, n2 in chosen[x + 1 :]:
            assert i + n <= i2 or i2 + n2 <= i
            assert j + n <= j2 or j2 + n2 <= j
    lengths = [n for _, _, n in chosen]
    assert lengths == sorted(lengths, reverse=True)
    if len(runs):  # the longest run found is always quoted
        assert chosen[0][2] == int(runs[:, 2].max())


@settings(max_examples=300, deadline=None)
@given(
    a=small_text,
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from("混凝土x")), max_size=20),
    tail=small_text,
)
def test_anchored_similarity_is_a_lower_bound_of_the_exact_one(a, edits, tail):
    b = _mutate(a, edits) + tail
    exact = Indel.normalized_similarity(a, b)
    anchored = bounded_similarity(a, b, exact_cells=-1)
    assert anchored.method == ("anchored" if a or b else "exact")
    assert 0.0 <= anchored.value <= exact + 1e-9
    assert bounded_similarity(a, b).value == exact  # small texts: exact rapidfuzz
    if a == b:
        assert anchored.value == 1.0


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rate=st.floats(0.0, 0.3),
    cut=st.integers(0, 3000),
)
def test_passages_point_at_equal_text_in_both_originals(seed, rate, cut):
    own = "".join(words(seed, 3000))
    a_text = "  ".join([own[:cut], own[cut:]])  # whitespace is normalised away
    b_text = "".join(reword(words(seed, 3000), rate, seed + 1))
    params = Params()
    pa, pb = prepare(a_text, None, params), prepare(b_text, None, params)
    for p in aligned_passages(pa, a_text, pb, b_text, top=5, max_chars=80):
        qa = "".join(a_text[p["a"]["start"] : p["a"]["end"]].split())
        qb = "".join(b_text[p["b"]["start"] : p["b"]["end"]].split())
        assert qa == qb and len(qa) == p["chars"]


def test_template_seams_are_never_bridged():
    """A passage may not glue the text before and after a removed template passage."""
    tmpl = "".join(words(77, 400))
    own1, own2 = "".join(words(1, 200)), "".join(words(2, 200))
    a = own1 + tmpl + own2
    b = own1[-30:] + own2[:30]  # the glued seam, as B wrote it
    params = Params()
    from detectors.neardup import template_hashes

    t = template_hashes([tmpl], params.template_chars)
    pa, pb = prepare(a, t, params), prepare(b, t, params)
    passages = aligned_passages(pa, a, pb, b, top=5)
    assert passages, "each side of the seam is shared on its own"
    for p in passages:
        assert p["a"]["end"] <= len(own1) or p["a"]["start"] >= len(own1) + len(tmpl)


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_grows_linearly_and_a_long_pair_stays_small():
    def pair(n: int) -> tuple[str, str]:
        return "".join(words(1, n)), "".join(reword(words(1, n), 0.15, 2))

    peaks = {}
    for n in (25_000, 100_000):
        a, b = pair(n)
        pa, pb = prepare(a, None, Params()), prepare(b, None, Params())
        peaks[n] = max(
            _peak(lambda a=a, b=b: bounded_similarity(a, b, exact_cells=-1)),
            _peak(lambda pa=pa, a=a, pb=pb, b=b: aligned_passages(pa, a, pb, b)),
        )
    # 4 x the text: at most ~4 x the memory (quadratic would be 16 x).
    assert peaks[100_000] <= 6 * peaks[25_000], peaks
    # and about 100 bytes a character, where Indel.opcodes needed ~5 GB for 200 k
    assert peaks[100_000] <= 250 * 2 * 100_000, peaks


def test_a_long_near_copy_is_verified_fast_and_close_to_exact():
    a = "".join(words(3, 40_000))
    b = "".join(reword(words(3, 40_000), 0.2, 4))
    t0 = time.perf_counter()
    anchored = bounded_similarity(a, b, exact_cells=-1)
    elapsed = time.perf_counter() - t0
    exact = Indel.normalized_similarity(a, b)
    assert exact - 0.01 <= anchored.value <= exact
    assert anchored.unaligned_chars == 0
    assert elapsed < 5  # generous: ~0.3 s on 2 cores; opcodes took 0.9 s and 212 MB


def test_unrelated_long_texts_stay_low_without_exhausting_the_budget():
    a = "".join(words(5, 60_000))
    b = "".join(words(6, 60_000))
    sim = bounded_similarity(a, b, exact_cells=-1)
    assert sim.value < 0.3
    assert np.isfinite(sim.value)

"""The corpus as of the judged event (detectors/corpus_timeline.py): whatever order the
documents arrive in, a judgement at time t counts exactly the documents before t (and
its own), as a corpus built from just those would."""

from __future__ import annotations

import pickle
import random
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import Engine, project_detectors
from detectors.base import Context, EventDocumentTexts
from detectors.corpus import CorpusShape, PhraseCorpus, fingerprints
from detectors.corpus_timeline import TimedCorpus
from detectors.offline import run_detectors
from witness.events import FRAME_TYPES, Event, parse_event
from witness.simulator import Simulation
from witness.simulator.text_samples import words

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=CST)
#: Wide enough that a few dozen small documents neither collide nor halve.
WIDE = CorpusShape(8, 5, 18, 4, 0.99, stock_file="none", misspellings_file="none")
PASSAGES = ["".join(words(7000 + i, 12)) for i in range(6)]


def text(seed: int, shared: tuple[int, ...]) -> str:
    """A document of its own words plus some shared passages (so counts exceed 1)."""
    return "".join(words(seed, 40)) + "".join(PASSAGES[i] for i in shared)


def reference(texts: list[str], shape: CorpusShape = WIDE) -> PhraseCorpus:
    corpus = PhraseCorpus()
    for t in texts:
        corpus.add(t, shape)
    return corpus


def probes(texts: list[str], shape: CorpusShape = WIDE) -> np.ndarray:
    parts = [fingerprints(t, shape) for t in texts]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)


documents = st.lists(
    st.tuples(
        st.integers(0, 12),  # minutes after T0: few values, so ties happen
        st.lists(st.integers(0, len(PASSAGES) - 1), max_size=3, unique=True).map(tuple),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=60, deadline=None)
@given(documents, st.integers(0, 13), st.integers(0, 2**32), st.booleans())
def test_the_view_at_t_is_the_corpus_of_the_documents_before_t(docs, at, seed, own_doc):
    """Shuffled arrival (partitions interleave); the view equals a corpus of exactly the
    documents with ts < t, plus the judged document, built in any order."""
    items = [
        (T0 + timedelta(minutes=m), f"e{i:03d}", text(seed % 1000 + i, shared))
        for i, (m, shared) in enumerate(docs)
    ]
    arrival = items[:]
    random.Random(seed).shuffle(arrival)
    corpus = TimedCorpus()
    for ts, key, t in arrival:
        corpus.add(t, WIDE, ts=ts, key=key)
    t_judged = T0 + timedelta(minutes=at)
    own = None
    if own_doc:  # judge one of the documents: at its own time, it counts itself
        t_judged, own, _ = items[at % len(items)]
    corpus.as_of(t_judged, own)
    counted = [t for ts, key, t in items if ts < t_judged or key == own]
    random.Random(seed + 1).shuffle(counted)
    expected = reference(counted)
    assert expected.halvings == 0
    assert corpus.documents == expected.documents == len(counted)
    h = probes([t for _, _, t in items])
    assert np.array_equal(corpus.frequency(h), expected.frequency(h))


def test_its_own_document_counts_and_others_at_the_same_time_do_not():
    corpus = TimedCorpus()
    a, b, c = (text(i, (0,)) for i in range(3))
    corpus.add(a, WIDE, ts=T0, key="a")
    corpus.add(b, WIDE, ts=T0 + timedelta(minutes=1), key="b")
    corpus.add(c, WIDE, ts=T0 + timedelta(minutes=1), key="c")  # a tie with b
    h = probes([PASSAGES[0]])
    corpus.as_of(T0 + timedelta(minutes=1), "b")
    assert corpus.documents == 2 and corpus.frequency(h).min() == 2  # a and b, not c
    corpus.as_of(T0 + timedelta(minutes=1), "c")
    assert corpus.documents == 2  # a and c, not b
    corpus.as_of(T0 + timedelta(minutes=1))  # another event at that moment
    assert corpus.documents == 1 and corpus.frequency(h).min() == 1
    corpus.as_of(T0)
    assert corpus.documents == 0 and corpus.frequency(h).max() == 0
    corpus.everything()
    assert corpus.documents == corpus.total_documents == 3


def test_a_document_read_twice_counts_once_while_pending():
    corpus = TimedCorpus()
    corpus.add(text(1, (0,)), WIDE, ts=T0, key="a")
    corpus.add(text(1, (0,)), WIDE, ts=T0, key="a")
    assert corpus.total_documents == 1


def test_without_a_time_a_document_counts_for_every_judgement():
    corpus = TimedCorpus()
    corpus.add(text(1, (0,)), WIDE)
    corpus.as_of(T0 - timedelta(days=400))
    assert corpus.documents == 1 and corpus.frequency(probes([PASSAGES[0]])).min() == 1


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 59))
def test_folding_behind_the_horizon_keeps_every_judgement_and_halves_in_time_order(seed, lateness):
    """Documents 10 minutes apart arriving up to `lateness` minutes out of order, each
    judged as it arrives, a 1-hour horizon and a sketch small enough to halve: every
    judgement within the horizon of the latest is what an exact corpus gives, and the
    sketch took the folded documents in time order (so it is a sketch fed them sorted,
    halvings included)."""
    small = CorpusShape(8, 5, 8, 4, 0.5, stock_file="none", misspellings_file="none")
    horizon = timedelta(hours=1)
    rng = random.Random(seed)
    items = [
        (T0 + timedelta(minutes=10 * i), f"e{i:03d}", text(seed % 1000 + i, (i % 3,)))
        for i in range(30)
    ]
    delay = {key: timedelta(minutes=rng.uniform(0, lateness)) for _, key, _ in items}
    corpus = TimedCorpus(horizon=horizon)
    for ts, key, t in sorted(items, key=lambda x: x[0] + delay[x[1]]):
        corpus.add(t, small, ts=ts, key=key)
        corpus.as_of(ts, key)
    newest = corpus.judged
    assert newest == items[-1][0]
    folded = [t for ts, _, t in items if ts < newest - horizon]
    recent = [(ts, key, t) for ts, key, t in items if ts >= newest - horizon]
    assert [d.key for d in corpus.pending] == [key for _, key, _ in recent]
    sketch = reference(folded, small)
    assert sketch.halvings > 0, "the case must halve to show the order holds"
    assert corpus.halvings == sketch.halvings
    assert np.array_equal(corpus.sketch.counts, sketch.counts)
    h = probes([t for _, _, t in items], small)
    for ts, key, _ in recent:
        corpus.as_of(ts, key)
        counted = [t for ts2, key2, t in recent if ts2 < ts or key2 == key]
        assert corpus.documents == len(folded) + len(counted)
        exact = sketch.frequency(h) + sum(
            (np.isin(h, fingerprints(t, small)).astype(np.int64) for t in counted),
            np.zeros(len(h), dtype=np.int64),
        )
        assert np.array_equal(corpus.frequency(h), exact)


def test_the_cap_folds_the_oldest_first():
    corpus = TimedCorpus(max_pending=3)
    for i in range(8):
        corpus.add(text(i, (0,)), WIDE, ts=T0 + timedelta(minutes=i), key=f"e{i}")
    assert [d.key for d in corpus.pending] == ["e5", "e6", "e7"]
    assert corpus.sketch.documents == 5 and corpus.total_documents == 8
    corpus.as_of(T0 + timedelta(minutes=6))
    assert corpus.documents == 6


def test_documents_read_far_ahead_stay_pending_until_judgements_get_there():
    """A live worker that read a month of documents before its first judgement: the
    horizon follows the judgements, so an early one still counts only earlier documents,
    and documents fold once judgements are past them by the horizon."""
    corpus = TimedCorpus(horizon=timedelta(days=3))
    for day in range(30):
        corpus.add(text(day, (0,)), WIDE, ts=T0 + timedelta(days=day), key=f"d{day}")
    assert len(corpus.pending) == 30
    corpus.as_of(T0 + timedelta(days=5, hours=1))
    assert corpus.documents == 6 and corpus.sketch.documents == 3  # days 0-2 folded
    corpus.as_of(T0 + timedelta(days=4))  # another unit, behind within the horizon
    assert corpus.documents == 4


def test_a_late_document_goes_straight_into_the_sketch():
    """Older than the horizon behind the latest judgement on arrival: counted from then
    on, for every judgement (the documented residual); the pending list stays in order."""
    corpus = TimedCorpus(horizon=timedelta(days=3))
    corpus.add(text(1, (0,)), WIDE, ts=T0 + timedelta(days=10), key="new")
    corpus.as_of(T0 + timedelta(days=10))
    corpus.add(text(2, (0,)), WIDE, ts=T0, key="old")
    assert [d.key for d in corpus.pending] == ["new"] and corpus.sketch.documents == 1
    corpus.as_of(T0 - timedelta(days=1))
    assert corpus.documents == 1


def test_pickled_and_loaded_it_judges_and_goes_on_the_same():
    """Snapshots (engine state, the corpus feed's table) are pickles: the pending list
    comes back with the sketch, and later documents fold the same way."""
    items = [(T0 + timedelta(hours=i), f"e{i}", text(i, (i % 4,))) for i in range(12)]
    corpus = TimedCorpus(horizon=timedelta(hours=4))
    for ts, key, t in items[:8]:
        corpus.add(t, WIDE, ts=ts, key=key)
    copy = pickle.loads(pickle.dumps(corpus))
    assert [d.key for d in copy.pending] == [d.key for d in corpus.pending] != []
    for ts, key, t in items[8:]:
        corpus.add(t, WIDE, ts=ts, key=key)
        copy.add(t, WIDE, ts=ts, key=key)
    h = probes([t for _, _, t in items])
    for ts, key, _ in items:
        corpus.as_of(ts, key)
        copy.as_of(ts, key)
        assert copy.documents == corpus.documents
        assert np.array_equal(copy.frequency(h), corpus.frequency(h))
    assert np.array_equal(copy.sketch.counts, corpus.sketch.counts)


# ---------------------------------------------------------------- live and replay


@lru_cache(maxsize=1)
def simulated_day() -> tuple[Event, ...]:
    """12 projects, DOC-40-4 planted; project events only (frames judge no document)."""
    day = (parse_event(e) for e in Simulation(12, 3, frame_interval=30).events())
    return tuple(e for e in day if e.type not in FRAME_TYPES)


def test_a_corpus_read_ahead_and_restarted_judges_what_replay_judges():
    """Live, the corpus feed read the whole day before the first judgement (a day
    ingested before the workers start), and the worker restarts half-way from snapshots
    (the engine's state and the feed's corpus, pickled): DOC-40-4 counts the documents
    replay counts, so every alert and its evidence is replay's."""
    from detectors.neardup import Params, corpus_shape

    events = list(simulated_day())
    replayed = run_detectors(events, project_detectors(), Context(documents=EventDocumentTexts()))

    ctx = Context(documents=EventDocumentTexts())
    shape = corpus_shape(ctx.thresholds.typed(Params))
    for e in events:  # the corpus feed: every document on the topic, ahead of judging
        if e.type == "document.submitted":
            ctx.documents.observe(e)
            ctx.corpus.add(e.payload.text, shape, ts=e.ts, key=e.event_id)
    total = ctx.corpus.total_documents
    engine = Engine(project_detectors(), ctx, count_documents=False)
    half = len(events) // 2
    live = [a for e in events[:half] for a in engine.process(e).alerts]
    state, corpus, registry = (
        pickle.loads(pickle.dumps(x)) for x in (engine.export_state(), ctx.corpus, ctx.registry)
    )
    assert corpus.pending, "the snapshot must carry the pending documents"
    ctx = Context(documents=ctx.documents, corpus=corpus, registry=registry)
    engine = Engine(project_detectors(), ctx, count_documents=False)
    engine.load_state(state)
    live += [a for e in events[half:] for a in engine.process(e).alerts]

    final = {a.alert_id: a for a in live}
    doc = [a for a in replayed if a.rule == "DOC-40-4"]
    assert doc and all(a.evidence["corpus"]["documents"] < total for a in doc)
    assert {a.content_key() for a in final.values()} == {a.content_key() for a in replayed}


def test_a_judgement_that_does_not_advance_moves_no_horizon():
    """Frames (judged by rooms units, far ahead of the project events live) do not
    fold documents a project event behind them still must not count."""
    corpus = TimedCorpus(horizon=timedelta(days=1))
    for day in range(5):
        corpus.add(text(day, (0,)), WIDE, ts=T0 + timedelta(days=day), key=f"d{day}")
    corpus.as_of(T0 + timedelta(days=9), advance=False)
    assert corpus.sketch.documents == 0 and corpus.documents == 5
    corpus.as_of(T0 + timedelta(days=1, hours=1))
    assert corpus.documents == 2
    corpus.as_of(T0 + timedelta(days=9))
    assert corpus.sketch.documents == 5

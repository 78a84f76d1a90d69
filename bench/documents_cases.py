"""Parts 4 and 5 of bench/documents.py: a long pair, and the stock-phrase corpus.

Peak memory of a measured step is taken in a forked child: `VmHWM` (the kernel's peak
resident set, which sees rapidfuzz's C++ allocations that tracemalloc cannot) after
resetting it through /proc/self/clear_refs, minus the resident set at the start; the
Python-side peak from tracemalloc (a second run: tracing slows Python code) beside it.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from rapidfuzz.distance import Indel

from detectors.alignment import bounded_similarity
from detectors.base import Context, EventDocumentTexts
from detectors.corpus import PhraseCorpus
from detectors.documents import DocumentsDetector
from detectors.documents_cross import CrossProjectDocumentsDetector
from detectors.neardup import Params, aligned_passages, corpus_shape, prepare, rare_rules
from detectors.offline import run_detectors
from detectors.rarity import shared_rare_phrases
from witness.config import Thresholds
from witness.events import Event, make_event
from witness.simulator.text_samples import (
    T0,
    bid_document,
    public_library,
    reword,
    template,
    tender_text,
    with_library,
    words,
)


def _kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _child(fn: Callable[[], object], traced: bool, out) -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    start = _kb("VmRSS")
    if traced:
        tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    py_peak = tracemalloc.get_traced_memory()[1] if traced else 0
    out.send((seconds, (_kb("VmHWM") - start) / 1024, py_peak / 2**20))


def _run(fn: Callable[[], object], traced: bool) -> tuple[float, float, float]:
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, traced, send))
    proc.start()
    result = recv.recv()
    proc.join()
    return result


def measure(fn: Callable[[], object]) -> tuple[float, float, float]:
    """(seconds, peak RSS MB over the start, Python peak MB) of `fn`, each in a forked
    child: time and RSS untraced (tracemalloc slows Python code several times), the
    Python peak in a second, traced run."""
    seconds, rss, _ = _run(fn, False)
    return seconds, rss, _run(fn, True)[2]


def _pair(chars: int) -> tuple[str, str]:
    a = "".join(words(1, chars))
    return a, "".join(reword(words(1, chars), 0.1, 2))


def long_pair(*, quick: bool = False) -> bool:
    """Part 4: the evidence work on one pair, old (quadratic) vs new (linear memory)."""
    params = Params()
    print("\nlong pair (near-copies reworded at 10 %): time, peak RSS over start, Python peak")
    sizes = (20_000,) if quick else (20_000, 40_000)
    for n in sizes:
        a, b = _pair(n)
        pa, pb = prepare(a, None, params), prepare(b, None, params)

        def old(pa=pa, pb=pb) -> None:
            Indel.normalized_similarity(pa.text, pb.text)
            list(Indel.opcodes(pa.text, pb.text))

        sec, rss, py = measure(old)
        print(f"  baseline {n:>7} chars: {sec:6.2f} s {rss:8.1f} MB {py:7.1f} MB   (Indel.opcodes)")
        _new_row(n, a, b, params)
    n = 200_000
    a, b = _pair(n)
    if not quick:
        pa, pb = prepare(a, None, params), prepare(b, None, params)
        sec, rss, py = measure(lambda: Indel.normalized_similarity(pa.text, pb.text))
        print(
            f"  baseline {n:>7} chars: {sec:6.2f} s {rss:8.1f} MB {py:7.1f} MB   "
            "(exact similarity only; Indel.opcodes not run: ~5 GB)"
        )
    sec, rss, _ = _new_row(n, a, b, params)
    return sec <= 10 and rss <= 100


def _new_row(n: int, a: str, b: str, params: Params) -> tuple[float, float, float]:
    corpus = PhraseCorpus()
    shape = corpus_shape(params)
    corpus.add(a, shape)
    corpus.add(b, shape)

    def new() -> None:
        pa, pb = prepare(a, None, params), prepare(b, None, params)
        sim = bounded_similarity(pa.text, pb.text)
        aligned_passages(pa, a, pb, b)
        shared_rare_phrases(pa, a, pb, (), corpus, rare_rules(params))
        assert sim.value > 0.5

    sec, rss, py = measure(new)
    method = "exact rapidfuzz" if n * n <= 400_000_000 else "anchored"
    print(
        f"  new      {n:>7} chars: {sec:6.2f} s {rss:8.1f} MB {py:7.1f} MB   "
        f"(prepare + {method} similarity + passages + rare phrases)"
    )
    return sec, rss, py


# ---------------------------------------------------------------- stock phrases


def _event(pid: str, owner: str, text: str, n: int, p: int) -> Event:
    """Project `p`'s `n`-th document, at a time of its own: a judgement counts the
    documents before it in event time (detectors/corpus_timeline.py)."""
    payload = {"doc_id": f"{pid}-{owner}", "owner": owner, "kind": "technical", "text": text}
    if owner == "tender":
        payload["kind"] = "tender"
    at = T0 + timedelta(hours=p, minutes=n)
    return make_event("document.submitted", pid, at, payload, event_id=f"e-{pid}-{owner}-{n}")


def stock_events(projects: int, library: list[str]) -> tuple[list[Event], set[str]]:
    """Honest projects copying the library; a colluding pair in every tenth."""
    events, planted = [], set()
    for p in range(projects):
        pid = f"S-{p:04d}"
        tmpl = template(seed=1000 + p, chars=1500, sections=4)
        events.append(_event(pid, "tender", tender_text(tmpl), 0, p))
        own_shared = ["".join(words(77_000 + 10 * p + i, 30)) for i in range(3)]
        for i in range(4):
            own = with_library(words(p * 10 + i, 2500), library, seed=p * 10 + i, count=8)
            text = bid_document(tmpl, own, f"投标人{p}-{i}")
            if p % 10 == 9 and i in (1, 2):
                text += "".join(
                    s + "".join(words(p * 1000 + i * 10 + j, 20)) for j, s in enumerate(own_shared)
                )
                planted.add(pid)
            events.append(_event(pid, f"B{p}-{i}", text, i + 1, p))
        opening = T0 + timedelta(hours=p, minutes=30)
        events.append(
            make_event("opening.started", pid, opening, {"room_id": "R"}, event_id=f"o-{pid}")
        )
    return events, planted


def stock_corpus(projects: int) -> bool:
    """Part 5: honest bidders sharing public phrases across projects, before vs after."""
    library = public_library(seed=3, size=20, chars=36)
    events, planted = stock_events(projects, library)
    with tempfile.TemporaryDirectory() as tmp:
        stock = Path(tmp) / "stock.txt"
        stock.write_text("\n".join(library), "utf-8")
        base = Thresholds.defaults()
        cases = {
            "before: rare = no third bidder in the project": base.with_overrides(
                "DOC-40-4",
                rare_corpus_max_docs=1_000_000,
                rare_corpus_max_share=1.0,
                stock_phrases_file="none",
            ),
            "after: rare = few documents of the corpus": base.with_overrides(
                "DOC-40-4", stock_phrases_file="none"
            ),
            "after, library in the stock-phrase file": base.with_overrides(
                "DOC-40-4", stock_phrases_file=str(stock)
            ),
        }
        print(
            f"\nstock phrases: {projects} projects x 4 honest bidders copying 8 of "
            f"{len(library)} public sentences; colluding pairs planted in {len(planted)}"
        )
        ok = True
        for label, th in cases.items():
            ctx = Context(thresholds=th, documents=EventDocumentTexts())
            doc_detectors = [DocumentsDetector(), CrossProjectDocumentsDetector()]
            t0 = time.perf_counter()
            alerts = [a for a in run_detectors(events, doc_detectors, ctx) if a.rule == "DOC-40-4"]
            seconds = time.perf_counter() - t0
            hit = {a.project_id for a in alerts}
            honest = sorted(hit - planted)
            late = [p for p in honest if int(p[2:]) >= 5]
            found = len(hit & planted)
            print(
                f"  {label:48} {len(alerts):4} alerts; honest projects alerted "
                f"{len(honest):3} ({len(late)} after the first 5); planted found "
                f"{found}/{len(planted)}; {seconds:5.1f} s; corpus {ctx.corpus.total_documents} docs, "
                f"{ctx.corpus.bytes() / 2**20:.0f} MB, {ctx.corpus.halvings} halvings"
            )
            if label.startswith("after"):
                ok = ok and not late and found == len(planted)
    return ok

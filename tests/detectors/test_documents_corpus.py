"""DOC-40-4 rarity against the centre's corpus: stock phrases stay quiet, shared slips fire.

Honest bidders here draw on one public library of method-statement sentences across many
projects (what real bids do, and what the old per-project rarity flagged); colluders copy
each other's own sentences, slips included.
"""

from __future__ import annotations

import random

import pytest

from detectors.base import Context, EventDocumentTexts
from detectors.corpus import CorpusShape, PhraseCorpus
from detectors.offline import run_detectors
from tests.support.document_events import doc_event, document_detectors, simple_event
from witness.config import Thresholds
from witness.errors import ConfigError
from witness.simulator.text_samples import (
    bid_document,
    public_library,
    reword,
    template,
    tender_text,
    with_library,
    words,
)

LIBRARY = public_library(seed=3, size=20, chars=36)
#: Per-project rarity only (the old rule): every shared phrase counts as rare.
BEFORE = Thresholds.defaults().with_overrides(
    "DOC-40-4",
    rare_corpus_max_docs=1_000_000,
    rare_corpus_max_share=1.0,
    rare_min_outside_docs=0,
    stock_phrases_file="none",
)
AFTER = Thresholds.defaults().with_overrides("DOC-40-4", stock_phrases_file="none")


def _project(p: int, *, extra: dict[str, str] | None = None, library=LIBRARY) -> list:
    """A project of four honest bidders, each copying 8 library sentences."""
    pid = f"JY-{p:03d}"
    tmpl = template(seed=1000 + p, chars=1500, sections=4)
    events = [doc_event(pid, "tender", tender_text(tmpl), n=0)]
    for i in range(4):
        own = with_library(words(p * 10 + i, 2000), library, seed=p * 10 + i, count=8)
        text = bid_document(tmpl, own, f"投标人{p}-{i}有限公司")
        text += (extra or {}).get(f"B{i}", "")
        events.append(doc_event(pid, f"B{p}-{i}", text, n=i + 1))
    events.append(simple_event("opening.started", pid, {"room_id": f"R{p}"}, n=9))
    return events


def _between(phrases: list[str], seed: int) -> str:
    """The phrases with the bidder's own words between them (so each is its own run)."""
    return "".join(p + "".join(words(seed * 100 + i, 20)) for i, p in enumerate(phrases))


def _doc_alerts(events: list, th: Thresholds) -> list:
    ctx = Context(thresholds=th, documents=EventDocumentTexts())
    alerts = run_detectors(events, document_detectors(), ctx)
    return [a for a in alerts if a.rule == "DOC-40-4"]


def _projects_alerted(alerts: list) -> set[str]:
    return {a.project_id for a in alerts}


# ---------------------------------------------------------------- stock phrases


def test_stock_phrases_shared_across_projects_by_honest_bidders_stay_quiet():
    events = [e for p in range(16) for e in _project(p)]
    before = _projects_alerted(_doc_alerts(events, BEFORE))
    after = _projects_alerted(_doc_alerts(events, AFTER))
    # The old rule: pairs that share 3 library sentences no third bidder used look like
    # copies in many projects.
    assert len(before) >= 4, before
    # Against the corpus the library is common after a few projects; only the first
    # projects, before the corpus has seen the library, may still look odd.
    late = {p for p in after if int(p.split("-")[1]) >= 5}
    assert late == set(), after


def test_a_stock_phrase_file_keeps_them_quiet_from_the_first_project(tmp_path):
    stock = tmp_path / "stock.txt"
    stock.write_text("# our centre's list\n" + "\n".join(LIBRARY) + "\n", "utf-8")
    th = Thresholds.defaults().with_overrides("DOC-40-4", stock_phrases_file=str(stock))
    events = [e for p in range(6) for e in _project(p)]
    assert _doc_alerts(events, th) == []
    assert _doc_alerts(events, BEFORE), "control: the old rule fires on the same events"


def test_colluders_own_rare_phrases_still_fire_among_stock_phrases():
    own = ["".join(words(77_000 + i, 30)) for i in range(3)]
    history = [e for p in range(6) for e in _project(p)]
    case = _project(6, extra={"B1": _between(own, 1), "B2": _between(own, 2)})
    alerts = _doc_alerts(history + case, AFTER)
    mine = [a for a in alerts if a.project_id == "JY-006"]
    assert [a.subjects for a in mine] == [["B6-1", "B6-2"]]
    finding = mine[0].evidence["documents"][0]
    rare = finding["shared_rare_phrases"]
    assert rare["count"] == 3 and rare["score"] == 3.0 and rare["kinds"] == {"phrase": 3}
    for ex in rare["examples"]:
        assert ex["corpus_docs"] <= 4 and ex["kind"] == "phrase"
    assert mine[0].evidence["corpus"]["documents"] == len(
        [e for e in history + case if e.type == "document.submitted"]
    )


# ---------------------------------------------------------------- slips


def _pair_project(phrases: list[str], p: int = 50) -> list:
    return _project(p, extra={"B1": _between(phrases, 1), "B2": _between(phrases, 2)})


def test_a_shared_misspelling_and_a_copied_passage_fire_the_correct_spelling_does_not():
    slip = "本工程地下室底板混泥土浇注采用分层连续推进的方式"
    passage = "".join(words(88_001, 40))
    history = [e for p in range(6) for e in _project(p)]

    with_slip = _doc_alerts(history + _pair_project([slip, passage]), AFTER)
    mine = [a for a in with_slip if a.project_id == "JY-050"]
    assert [a.subjects for a in mine] == [["B50-1", "B50-2"]]
    rare = mine[0].evidence["documents"][0]["shared_rare_phrases"]
    assert rare["score"] == 3.0 and rare["kinds"] == {"misspelling": 1, "phrase": 1}
    top = rare["examples"][0]
    assert top["kind"] == "misspelling" and top["weight"] == 2.0
    assert top["misspelling"] == {"wrong": "混泥土", "right": "混凝土"}
    assert "混泥土" in top["context"]

    fixed = slip.replace("混泥土浇注", "混凝土浇筑")
    without = _doc_alerts(history + _pair_project([fixed, passage]), AFTER)
    assert [a for a in without if a.project_id == "JY-050"] == []  # score 2 < 3


def test_an_odd_form_of_a_well_known_phrase_weighs_like_a_slip():
    known = LIBRARY[0]
    odd = known[:15] + "鑫" + known[16:]  # one character changed, in no list
    passage = "".join(words(88_002, 40))
    history = [e for p in range(8) for e in _project(p)]
    case = _pair_project([odd, passage], p=51)
    mine = [a for a in _doc_alerts(history + case, AFTER) if a.project_id == "JY-051"]
    assert [a.subjects for a in mine] == [["B51-1", "B51-2"]]
    rare = mine[0].evidence["documents"][0]["shared_rare_phrases"]
    assert rare["kinds"] == {"odd_form": 1, "phrase": 1}
    slip = next(e for e in rare["examples"] if e["kind"] == "odd_form")
    assert "鑫" in slip["context"]
    assert all(isinstance(d, int) and d > 4 for d in slip["flank_docs"])
    # control: the well-known phrase itself, shared, counts for nothing
    plain = _pair_project([known, passage], p=52)
    assert [a for a in _doc_alerts(history + plain, AFTER) if a.project_id == "JY-052"] == []


def test_a_slip_inside_a_public_text_everyone_copies_counts_for_nothing():
    library = [*LIBRARY[:-1], "基础垫层混泥土浇注前应将基槽内的积水和杂物清理干净。"]
    passage = "".join(words(88_003, 40))
    history = [e for p in range(8) for e in _project(p, library=library)]
    case = _project(
        53,
        library=library,
        extra={
            "B1": _between([library[-1], passage], 1),
            "B2": _between([library[-1], passage], 2),
        },
    )
    mine = [a for a in _doc_alerts(history + case, AFTER) if a.project_id == "JY-053"]
    assert mine == []


# ---------------------------------------------------------------- the sketch itself


def _shape(width_bits: int, max_fill: float) -> CorpusShape:
    return CorpusShape(8, 5, width_bits, 4, max_fill, stock_file="none", misspellings_file="none")


SHAPE = _shape(16, 0.99)


def test_the_sketch_never_undercounts_a_passage():
    from detectors.corpus import winnow
    from detectors.shingles import normalise, shingle_hashes

    rng = random.Random(5)
    corpus = PhraseCorpus()
    passages = ["".join(words(9000 + i, 14)) for i in range(30)]
    truth = dict.fromkeys(passages, 0)
    for d in range(120):
        chosen = rng.sample(passages, 5)
        for p in chosen:
            truth[p] += 1
        corpus.add("".join(words(d, 300)) + "".join(chosen), SHAPE)
    for p, n in truth.items():
        h = shingle_hashes(normalise(p)[0], 8)
        fp = winnow(h, 5)
        assert len(fp), "a 12+ character passage always holds a fingerprint"
        assert corpus.frequency(h[fp]).min() >= n


def test_the_sketch_memory_is_fixed_and_old_single_use_phrases_age_out():
    shape = _shape(12, 0.5)
    corpus = PhraseCorpus()
    corpus.add("".join(words(1, 2000)), shape)
    size = corpus.counts.nbytes
    for d in range(2, 200):
        corpus.add("".join(words(d, 2000)), shape)
    assert corpus.counts.nbytes == size == 4 * 4096
    assert corpus.halvings > 0 and corpus.documents == 199
    assert corpus.in_use <= 0.5 * 4096 + 2000


def test_stock_and_misspelling_files_are_checked_at_start(tmp_path):
    th = Thresholds.defaults().with_overrides("DOC-40-4", stock_phrases_file=str(tmp_path / "no"))
    with pytest.raises(ConfigError, match="stock_phrases_file.*does not exist"):
        th.validate()
    bad = tmp_path / "m.tsv"
    bad.write_text("# list\n混泥土\t混凝土\n只有一列\n", "utf-8")
    th = Thresholds.defaults().with_overrides("DOC-40-4", misspellings_file=str(bad))
    with pytest.raises(ConfigError, match=r"m\.tsv line 3"):
        th.validate()
    ok = Thresholds.defaults().with_overrides("DOC-40-4", misspellings_file="none")
    ok.validate()


def test_shipped_lists_load():
    from witness.phrase_lists import misspellings, stock_phrases

    assert len(stock_phrases("")) >= 30
    pairs = misspellings("")
    assert ("混泥土", "混凝土") in pairs and all(w != r for w, r in pairs)


def test_two_well_known_sentences_side_by_side_are_no_odd_form():
    passage = "".join(words(88_004, 40))
    history = [e for p in range(8) for e in _project(p)]
    seam = LIBRARY[2] + LIBRARY[3]  # the same two public sentences in the same order
    case = _pair_project([seam, passage], p=54)
    alerts = [a for a in _doc_alerts(history + case, AFTER) if a.project_id == "JY-054"]
    assert alerts == []
    # control: an edit inside the first of them is an odd form and, with the passage, fires
    odd = LIBRARY[2][:15] + "鑫" + LIBRARY[2][16:] + LIBRARY[3]
    fired = _doc_alerts(history + _pair_project([odd, passage], p=55), AFTER)
    assert [a.project_id for a in fired if a.project_id == "JY-055"] == ["JY-055"]


def _cross(phrases: list[str], th: Thresholds = AFTER, *, history_projects: int = 6) -> list:
    """X of JY-060 (archived by then) and Z of JY-061 reword one draft (similar enough to
    be LSH candidates, below the similarity threshold) and share `phrases`."""
    history = [e for p in range(history_projects) for e in _project(p)]
    draft = words(6060, 2500)
    x_text = bid_document(template(seed=1060, chars=1500, sections=4), draft, "X")
    z_text = bid_document(template(seed=1061, chars=1500, sections=4), reword(draft, 0.3, 7), "Z")
    a = [
        doc_event(
            "JY-060", "tender", tender_text(template(seed=1060, chars=1500, sections=4)), n=0
        ),
        doc_event("JY-060", "X60", x_text + _between(phrases, 1), n=1),
        simple_event("project.archived", "JY-060", {}, n=2),
    ]
    b = [
        doc_event(
            "JY-061", "tender", tender_text(template(seed=1061, chars=1500, sections=4)), n=3
        ),
        doc_event("JY-061", "Z61", z_text + _between(phrases, 2), n=4),
    ]
    return _doc_alerts([*history, *a, *b], th)


def _cross_pairs(alerts: list) -> list:
    return [
        (a.evidence["text_source"], a.subjects, a.evidence["crossed"])
        for a in alerts
        if a.evidence.get("scope") and "Z61" in a.subjects
    ]


def test_across_projects_a_few_rare_phrases_need_a_shared_slip():
    plain = ["".join(words(99_000 + i, 30)) for i in range(3)]
    slip = ["本工程地下室底板混泥土浇注采用分层连续推进的方式", *plain[:2]]
    # one draft reworded: dozens of shared rare phrases, and no slip: fires on the count
    assert _cross_pairs(_cross(plain)) == [("store", ["X60", "Z61"], ["shared rare phrases >= 10"])]
    # asking for more than the pair has: without a slip nothing, with one it fires
    strict = AFTER.with_overrides("DOC-40-4", cross_min_shared_rare=1000)
    assert _cross_pairs(_cross(plain, strict)) == []
    assert _cross_pairs(_cross(slip, strict)) == [
        ("store", ["X60", "Z61"], ["shared rare phrases >= 3 with a shared slip"])
    ]


def test_across_the_first_two_projects_no_phrase_is_rare_yet():
    """With only the pair's two projects in the corpus, "no one else wrote it" is not
    known; the same pair fires once the centre has history (the test above)."""
    plain = ["".join(words(99_000 + i, 30)) for i in range(3)]
    assert _cross_pairs(_cross(plain, history_projects=0)) == []
    (alert,) = [a for a in _cross(plain) if a.evidence.get("scope") and "Z61" in a.subjects]
    corpus = alert.evidence["corpus"]
    assert corpus["rarity_judged"] is True
    # the pair's own: both tenders and X60 before Z61's time, and Z61 itself
    assert corpus["outside_documents"] == corpus["documents"] - 4

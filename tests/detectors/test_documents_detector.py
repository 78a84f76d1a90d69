"""DOC-40-4 / DOC-40-5 / DOC-META over generated Chinese bid documents."""

from __future__ import annotations

import re

import pytest
from rapidfuzz.distance import Indel

from detectors.documents import CrossProjectDocumentsDetector, DocumentsDetector
from detectors.neardup import Params, prepare
from detectors.offline import run_detectors
from tests.support.document_events import (
    bid_document,
    bid_event,
    centre_history,
    credit_code,
    doc_event,
    document_detectors,
    reword,
    simple_event,
    template,
    tender_text,
    words,
)

P = "JY-2026-0100"
TMPL = template(seed=11, chars=3000, sections=5)
TENDER = tender_text(TMPL)


def _doc(owner: str, own_seed: int, *, rate: float | None = None, base: int | None = None) -> str:
    own = words(own_seed, 3000)
    if rate is not None:
        own = reword(words(base, 3000), rate, own_seed)
    return bid_document(TMPL, own, f"{owner}公司")


def _by_rule(alerts: list, rule: str) -> list:
    return [a for a in alerts if a.rule == rule]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_near_copy_fires_with_aligned_passages() -> None:
    texts = {"B1": _doc("甲", 1), "B2": _doc("乙", 99, rate=0.1, base=1), "B3": _doc("丙", 3)}
    events = [doc_event(P, "tender", TENDER, n=0)]
    events += [doc_event(P, b, t, n=i + 1) for i, (b, t) in enumerate(texts.items())]
    alerts = _by_rule(run_detectors(events, document_detectors()), "DOC-40-4")
    assert [a.subjects for a in alerts] == [["B1", "B2"]]
    ev = alerts[0].evidence
    assert ev["similarity"] >= 0.8
    finding = ev["documents"][0]
    assert finding["crossed"][0].startswith("similarity")
    assert 1 <= len(finding["passages"]) <= 5
    for p in finding["passages"]:
        a = texts["B1"][p["a"]["start"] : p["a"]["end"]]
        b = texts["B2"][p["b"]["start"] : p["b"]["end"]]
        assert _squash(a) == _squash(b)
        assert len(p["text"]) <= 80
        assert p["text"].rstrip("…") in a
    # the passage quoted is the bidder's own text, not the template
    assert all(p["text"].rstrip("…")[:20] not in TENDER for p in finding["passages"])
    assert ev["template"] == {"tender_doc_ids": [f"{P}-tender-doc"], "inferred": False}


def test_template_only_overlap_does_not_fire() -> None:
    big = template(seed=5, chars=12000, sections=6)
    docs = {
        b: bid_document(big, words(seed, 1500), f"{b}公司") for b, seed in (("B1", 1), ("B2", 2))
    }
    # Control: without removing the template these two honest bids look like copies.
    params = Params()
    raw = Indel.normalized_similarity(
        prepare(docs["B1"], None, params).text, prepare(docs["B2"], None, params).text
    )
    assert raw >= 0.8
    events = [doc_event(P, "tender", tender_text(big), n=0)]
    events += [doc_event(P, b, t, n=i + 1) for i, (b, t) in enumerate(docs.items())]
    events.append(simple_event("opening.started", P, {"room_id": "R1"}, n=9))
    assert run_detectors(events, document_detectors()) == []


def test_honest_independent_texts_do_not_fire() -> None:
    events = [doc_event(P, "tender", TENDER, n=0)]
    events += [doc_event(P, f"B{i}", _doc(f"公司{i}", 100 + i), n=i + 1) for i in range(6)]
    assert run_detectors(events, document_detectors()) == []


RARE = [
    "本工程混凝土浇注采用泵送砼工艺施工",
    "项目经理部下设质量安全保证体系小组",
    "所有进场材料均由监理工程师现场见证取样",
    "夜间施工时严格控制噪音确保周边居民休息",
]


def _with_phrases(seed: int, phrases: list[str]) -> str:
    """An honest bid with `phrases` written into its own part, each between own words."""
    text = bid_document(TMPL, words(seed, 3000), f"公司{seed}")
    for i, phrase in enumerate(phrases):
        text += phrase + "".join(words(seed * 100 + i, 60))
    return text


def test_three_shared_rare_phrases_fire_two_do_not() -> None:
    events = [*centre_history(), doc_event(P, "tender", TENDER, n=0)]
    events += [
        doc_event(P, "B1", _with_phrases(1, RARE[:3]), n=1),
        doc_event(P, "B2", _with_phrases(2, RARE[:3]), n=2),
        doc_event(P, "B3", _with_phrases(3, RARE[3:]), n=3),
        doc_event(P, "B4", _with_phrases(4, RARE[3:]), n=4),
    ]
    # Rarity needs every bid in: nothing before the opening, the pair after it.
    assert _by_rule(run_detectors(events, document_detectors()), "DOC-40-4") == []
    events.append(simple_event("opening.started", P, {"room_id": "R1"}, n=9))
    alerts = _by_rule(run_detectors(events, document_detectors()), "DOC-40-4")
    assert [a.subjects for a in alerts] == [["B1", "B2"]]
    finding = alerts[0].evidence["documents"][0]
    assert finding["similarity"] < 0.8
    assert finding["shared_rare_phrases"]["count"] == 3
    quoted = [e["text"] for e in finding["shared_rare_phrases"]["examples"]]
    assert all(any(q.rstrip("…") in r for r in RARE) for q in quoted)
    assert finding["crossed"] == ["shared rare phrases >= 3"]


def test_no_phrase_is_rare_until_the_corpus_holds_documents_from_outside_the_project():
    """The first project a centre runs: its own bids are the whole corpus, and two of them
    sharing a few sentences no third bidder used is chance, not rarity."""
    events = [doc_event(P, "tender", TENDER, n=0)]
    events += [doc_event(P, f"B{i}", _with_phrases(i, RARE[:3]), n=i) for i in (1, 2)]
    events.append(simple_event("opening.started", P, {"room_id": "R1"}, n=9))
    need = Params().rare_min_outside_docs
    assert need >= 10
    assert run_detectors([*centre_history(need - 1), *events], document_detectors()) == []
    (alert,) = run_detectors([*centre_history(need), *events], document_detectors())
    assert alert.rule == "DOC-40-4" and alert.subjects == ["B1", "B2"]
    assert alert.evidence["corpus"]["outside_documents"] == need
    assert alert.evidence["corpus"]["rarity_judged"] is True


def test_a_near_copy_fires_in_the_first_project_and_says_rarity_was_not_judged() -> None:
    events = [doc_event(P, "tender", TENDER, n=0)]
    events += [doc_event(P, "B1", _doc("甲", 1), n=1)]
    events += [doc_event(P, "B2", _doc("乙", 2, rate=0.05, base=1), n=2)]
    (alert,) = _by_rule(run_detectors(events, document_detectors()), "DOC-40-4")
    assert alert.evidence["corpus"]["rarity_judged"] is False
    assert alert.evidence["corpus"]["outside_documents"] == 0


def test_phrases_a_third_bidder_also_uses_are_not_rare() -> None:
    events = [*centre_history(), doc_event(P, "tender", TENDER, n=0)]
    events += [doc_event(P, f"B{i}", _with_phrases(i, RARE[:3]), n=i) for i in (1, 2, 3)]
    events.append(simple_event("opening.started", P, {"room_id": "R1"}, n=9))
    assert run_detectors(events, document_detectors()) == []
    # Control: without B3 the same phrases make B1 and B2 a case.
    assert (
        len(run_detectors([e for e in events if "B3" not in e.event_id], document_detectors())) == 1
    )


def test_documents_before_the_template_wait_for_it() -> None:
    big = template(seed=5, chars=8000, sections=4)
    b1 = bid_document(big, words(1, 2000), "甲公司")
    b2 = bid_document(big, words(2, 2000), "乙公司")
    b3 = bid_document(big, reword(words(1, 2000), 0.05, 7), "丙公司")
    events = [
        doc_event(P, b, t, n=i) for i, (b, t) in enumerate((("B1", b1), ("B2", b2), ("B3", b3)))
    ]
    assert run_detectors(events, document_detectors()) == []  # no template yet: nothing compared
    alerts = run_detectors(
        [*events, doc_event(P, "tender", tender_text(big), n=5)], document_detectors()
    )
    assert [a.subjects for a in _by_rule(alerts, "DOC-40-4")] == [["B1", "B3"]]


def test_template_inferred_at_opening_when_no_tender_document() -> None:
    big = template(seed=5, chars=6000, sections=4)
    texts = [
        ("B1", bid_document(big, words(1, 2500), "甲公司")),
        ("B2", bid_document(big, words(2, 2500), "乙公司")),
        ("B3", bid_document(big, words(3, 2500), "丙公司")),
        ("B4", bid_document(big, reword(words(2, 2500), 0.08, 9), "丁公司")),
    ]
    events = [doc_event(P, b, t, n=i) for i, (b, t) in enumerate(texts)]
    events.append(simple_event("opening.started", P, {"room_id": "R1"}, n=10))
    alerts = _by_rule(run_detectors(events, document_detectors()), "DOC-40-4")
    assert [a.subjects for a in alerts] == [["B2", "B4"]]
    assert alerts[0].evidence["template"]["inferred"] is True


# ---------------------------------------------------------------- DOC-40-5


@pytest.mark.parametrize("bid_first", [False, True])
def test_other_bidders_name_inside_a_document_fires_in_either_order(bid_first: bool) -> None:
    text_b2 = _doc("乙", 2).replace("乙公司", "华东路桥建设集团有限公司", 1)
    named = bid_event(P, "B1", "华东路桥建设集团有限公司", n=3)
    events = [
        doc_event(P, "tender", TENDER, n=0),
        bid_event(P, "B2", "乙公司", n=1),
        doc_event(P, "B2", text_b2, n=2),
    ]
    events = [*events[:2], named, events[2]] if bid_first else [*events, named]
    alerts = _by_rule(run_detectors(events, document_detectors()), "DOC-40-5")
    assert len(alerts) == 1
    a = alerts[0]
    assert a.subjects == ["B1", "B2"]
    f = a.evidence["findings"][0]
    assert (f["document_owner"], f["named_bidder"], f["match"]) == ("B2", "B1", "name")
    assert text_b2[f["first"]["start"] : f["first"]["end"]] == "华东路桥建设集团有限公司"
    assert "e-JY-2026-0100-bid-B1" in a.event_ids


def test_credit_code_inside_another_document_fires_with_spacing_and_fullwidth() -> None:
    code_a = credit_code(1)
    code_b = credit_code(2)
    fullwidth = "\n".join(
        "".join(chr(ord(c) + 0xFEE0) for c in code_a[i : i + 6]) for i in range(0, 18, 6)
    )
    events = [
        doc_event(P, "tender", TENDER, n=0),
        doc_event(P, code_b, _doc("乙", 2) + "统一社会信用代码：" + fullwidth, n=1),
        doc_event(P, code_a, _doc("甲", 1), n=2),  # A is known only as a document owner
    ]
    alerts = _by_rule(run_detectors(events, document_detectors()), "DOC-40-5")
    assert len(alerts) == 1
    f = alerts[0].evidence["findings"][0]
    assert f["match"] == "credit_code" and f["named_bidder"] == code_a
    assert sorted(alerts[0].subjects) == sorted([code_a, code_b])


def test_own_name_and_names_from_the_tender_are_not_hits() -> None:
    tender = TENDER + "招标代理机构：华东路桥建设集团有限公司"
    events = [
        doc_event(P, "tender", tender, n=0),
        bid_event(P, "B1", "华东路桥建设集团有限公司", n=1),
        bid_event(P, "B2", "华东路桥建设集团第二工程有限公司", n=2),
        # B2's own (longer) name contains nothing of B1 once its own name is blanked;
        # B1's name appears through the copied tender line only.
        doc_event(
            P,
            "B2",
            _doc("乙", 2)
            + "华东路桥建设集团第二工程有限公司"
            + "招标代理机构：华东路桥建设集团有限公司",
            n=3,
        ),
    ]
    assert _by_rule(run_detectors(events, document_detectors()), "DOC-40-5") == []


# ---------------------------------------------------------------- DOC-META


def _meta_events(meta1: dict, meta2: dict, tender_meta: dict | None = None) -> list:
    return [
        doc_event(P, "tender", TENDER, n=0, metadata=tender_meta or {}),
        doc_event(P, "B1", _doc("甲", 1), n=1, metadata=meta1),
        doc_event(P, "B2", _doc("乙", 2), n=2, metadata=meta2),
    ]


def test_same_author_and_rsid_fire_generic_values_are_listed_as_ignored() -> None:
    m1 = {"author": "张三", "last_modified_by": "Administrator", "rsid_root": "00A1B2C3"}
    m2 = {"author": " 张三 ", "last_modified_by": "administrator", "rsid_root": "00a1b2c3"}
    alerts = _by_rule(run_detectors(_meta_events(m1, m2), document_detectors()), "DOC-META")
    assert len(alerts) == 1
    ev = alerts[0].evidence
    assert sorted(s["field"] for s in ev["shared"]) == ["author", "rsid_root"]
    assert [(i["field"], i["reason"]) for i in ev["ignored"]] == [("last_modified_by", "generic")]


def test_only_generic_or_tender_values_shared_does_not_fire() -> None:
    m1 = {"author": "Microsoft Office User", "rsid_root": "00112233", "last_modified_by": ""}
    m2 = {"author": "Microsoft Office User", "rsid_root": "00112233", "last_modified_by": ""}
    assert (
        _by_rule(
            run_detectors(_meta_events(m1, m2, {"rsid_root": "00112233"}), document_detectors()),
            "DOC-META",
        )
        == []
    )
    # Control: the same rsid without the tender having it does fire.
    assert len(_by_rule(run_detectors(_meta_events(m1, m2), document_detectors()), "DOC-META")) == 1


# ---------------------------------------------------------------- across projects


def _cross_events() -> list:
    own = words(1, 3000)
    return [
        doc_event("P1", "tender", TENDER, n=0),
        doc_event("P1", "X", bid_document(TMPL, own, "X公司"), n=1, metadata={"author": "李四"}),
        doc_event("P2", "tender", tender_text(template(seed=12, chars=3000)), n=2),
        doc_event(
            "P2",
            "Y",
            bid_document(template(seed=12, chars=3000), reword(own, 0.05, 3), "Y公司"),
            n=3,
            metadata={"author": "李四"},
        ),
        doc_event(
            "P2",
            "X",
            bid_document(template(seed=12, chars=3000), own, "X公司"),
            n=4,
            doc_id="P2-X-own",
        ),
        simple_event("project.archived", "P1", {}, n=5),
        doc_event("P3", "tender", tender_text(template(seed=13, chars=3000)), n=6),
        doc_event(
            "P3",
            "Z",
            bid_document(template(seed=13, chars=3000), reword(own, 0.03, 4), "Z公司"),
            n=7,
        ),
    ]


def _cross_text(alerts: list) -> list:
    return sorted(
        (
            a.project_id,
            a.subjects,
            a.evidence["documents"][0]["project_id"],
            a.evidence["text_source"],
        )
        for a in _by_rule(alerts, "DOC-40-4")
    )


def test_cross_project_pair_fires_and_an_archived_text_is_loaded_and_verified() -> None:
    from detectors.base import Context, EventDocumentTexts

    alerts = run_detectors(
        _cross_events(), [CrossProjectDocumentsDetector()], Context(documents=EventDocumentTexts())
    )
    # X with itself across projects is no case; Y (P2) vs X (P1) while P1 is live, then
    # Z (P3) vs X (P1, archived: its text loaded back), Z vs Y and Z vs X (P2, live).
    assert _cross_text(alerts) == [
        ("P2", ["X", "Y"], "P1", "memory"),
        ("P3", ["X", "Z"], "P1", "store"),
        ("P3", ["X", "Z"], "P2", "memory"),
        ("P3", ["Y", "Z"], "P2", "memory"),
    ]
    loaded = next(a for a in alerts if a.evidence.get("text_source") == "store")
    ev = loaded.evidence
    assert ev["similarity"] >= 0.8 and ev["crossed"] == ["similarity >= 0.8"]
    assert ev["passages"] and ev["text_kept"] is False
    meta = _by_rule(alerts, "DOC-META")
    assert [(a.project_id, a.subjects) for a in meta] == [("P2", ["X", "Y"])]
    assert meta[0].evidence["scope"] == "cross_project"


def test_cross_project_never_fires_on_a_signature_estimate_alone() -> None:
    """No text to verify (no store behind the context): the archived match raises nothing."""
    alerts = run_detectors(_cross_events(), [CrossProjectDocumentsDetector()])
    assert ("P3", ["X", "Z"], "P1", "store") not in _cross_text(alerts)
    assert ("P3", ["X", "Z"], "P2", "memory") in _cross_text(alerts)  # control: live text
    for a in _by_rule(alerts, "DOC-40-4"):
        assert a.evidence["similarity"] is not None and a.evidence["crossed"]


def test_cross_project_memory_is_bounded() -> None:
    from detectors.base import Context
    from witness.config import Thresholds

    th = Thresholds.defaults().with_overrides("DOC-40-4", cross_live_projects=2, cross_max_docs=3)
    det = CrossProjectDocumentsDetector()
    state = det.initial()
    ctx = Context(thresholds=th)
    for i in range(5):
        p = f"P{i}"
        for ev in (
            doc_event(p, "tender", TENDER, n=i),
            doc_event(p, f"B{i}", _doc(str(i), 50 + i), n=i),
        ):
            state, _ = det.step(state, ev, ctx)
    assert len(state.live) == 2
    assert len(state.docs) == 3 and len(state.index) == 3
    assert len(state.index.texts) <= 2  # texts only for live projects


# ---------------------------------------------------------------- determinism


def test_same_events_same_alerts_and_order_independent_ids() -> None:
    texts = [
        ("B1", _doc("甲", 1)),
        ("B2", _doc("乙", 9, rate=0.1, base=1)),
        ("B3", _doc("丙", 3)),
        ("B4", _doc("丁", 8, rate=0.15, base=3)),
    ]
    events = [doc_event(P, "tender", TENDER, n=0)]
    events += [
        doc_event(P, b, t, n=i + 1, metadata={"author": "王五"}) for i, (b, t) in enumerate(texts)
    ]
    first = [a.to_json() for a in run_detectors(events, document_detectors())]
    assert first == [a.to_json() for a in run_detectors(events, document_detectors())]
    shuffled = [events[0], *reversed(events[1:])]
    ids = lambda alerts: sorted((a.rule, tuple(a.subjects), a.alert_id) for a in alerts)  # noqa: E731
    again = run_detectors(shuffled, document_detectors())
    assert ids(again) == ids(run_detectors(events, document_detectors()))
    assert {tuple(a.subjects) for a in again if a.rule == "DOC-40-4"} == {
        ("B1", "B2"),
        ("B3", "B4"),
    }


def test_registered_in_all_detectors() -> None:
    from detectors import all_detectors

    names = {d.name for d in all_detectors()}
    assert {DocumentsDetector.name, CrossProjectDocumentsDetector.name} <= names

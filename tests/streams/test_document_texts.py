"""The text-lookup seam: the live worker reads forgotten document texts from the store,
replay from the events; both give the same alerts, and detectors never touch SQL."""

from __future__ import annotations

from detectors import Context
from detectors.offline import replay, run_detectors
from streams.document_texts import StoreDocumentTexts
from tests.support.document_events import (
    bid_document,
    doc_event,
    reword,
    simple_event,
    template,
    tender_text,
    words,
)
from witness.store import Store


def _events() -> list:
    own = words(1, 3000)
    t1, t2 = template(seed=21, chars=2500), template(seed=22, chars=2500)
    return [
        doc_event("P1", "tender", tender_text(t1), n=0),
        doc_event("P1", "X", bid_document(t1, own, "X公司"), n=1),
        simple_event("project.archived", "P1", {}, n=2),  # P1's texts leave memory
        doc_event("P2", "tender", tender_text(t2), n=3),
        doc_event("P2", "Z", bid_document(t2, reword(own, 0.05, 4), "Z公司"), n=4),
    ]


def _live(events: list, url: str) -> tuple[list, StoreDocumentTexts]:
    texts = StoreDocumentTexts(url)
    try:
        return run_detectors(events, None, Context(documents=texts)), texts
    finally:
        texts.close()


def test_store_backed_live_and_event_backed_replay_give_the_same_alerts(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    events = _events()
    store = Store(url)
    store.write(events=events)  # what the recorder does with every event
    store.close()
    live, texts = _live(events, url)
    now = replay(events)
    assert [a.to_json() for a in live] == [a.to_json() for a in now]
    cross = [a for a in live if a.rule == "DOC-40-4" and a.evidence.get("scope")]
    assert [a.evidence["text_source"] for a in cross] == ["store"]
    assert cross[0].evidence["similarity"] >= 0.8
    assert texts.lookups >= 1


def test_an_unreachable_store_raises_nothing_and_stops_nothing(tmp_path):
    missing = f"sqlite:///{tmp_path / 'absent' / 'w.db'}"
    live, texts = _live(_events(), missing)
    assert not [a for a in live if a.rule == "DOC-40-4" and a.evidence.get("scope")]
    assert texts.text("no-such-event") is None

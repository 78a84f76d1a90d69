"""Event helpers for the document tests; the texts come from witness.simulator.text_samples."""

from __future__ import annotations

from datetime import timedelta

from witness.events import Event, make_event
from witness.simulator.text_samples import (  # noqa: F401  (re-exported for the tests)
    T0,
    WORDS,
    bid_document,
    credit_code,
    reword,
    template,
    tender_text,
    vocabulary,
    words,
)


def doc_event(
    project: str,
    owner: str,
    text: str,
    *,
    n: int,
    doc_id: str | None = None,
    kind: str | None = None,
    metadata: dict | None = None,
) -> Event:
    doc_id = doc_id or f"{project}-{owner}-doc"
    payload = {
        "doc_id": doc_id,
        "owner": owner,
        "kind": kind or ("tender" if owner == "tender" else "technical"),
        "text": text,
        "metadata": metadata or {},
    }
    return make_event(
        "document.submitted", project, T0 + timedelta(minutes=n), payload, event_id=f"e-{doc_id}"
    )


def centre_history(documents: int | None = None, *, seed: int = 900_000) -> list[Event]:
    """Bids of the centre's earlier projects, one a project, all before T0.

    DOC-40-4 judges no phrase rare until the corpus holds `rare_min_outside_docs`
    documents from outside the judged project (its own bids prove nothing rare): a test
    of rarity itself runs where a centre that has worked a while stands.
    """
    from detectors.neardup import Params

    count = Params().rare_min_outside_docs if documents is None else documents
    return [
        doc_event(f"JY-HIST-{i:03d}", "H1", "".join(words(seed + i, 600)), n=-1000 + i)
        for i in range(count)
    ]


def bid_event(project: str, bidder: str, name: str, *, n: int) -> Event:
    payload = {"bidder": {"id": bidder, "name": name}, "price": 1_000_000.0}
    return make_event(
        "bid.submitted",
        project,
        T0 + timedelta(minutes=n),
        payload,
        event_id=f"e-{project}-bid-{bidder}",
    )


def simple_event(type_: str, project: str, payload: dict, *, n: int) -> Event:
    return make_event(
        type_, project, T0 + timedelta(minutes=n), payload, event_id=f"e-{project}-{type_}-{n}"
    )


def document_detectors() -> list:
    """Fresh DOC-x detectors, per project and across projects (for `run_detectors`)."""
    from detectors.documents import CrossProjectDocumentsDetector, DocumentsDetector

    return [DocumentsDetector(), CrossProjectDocumentsDetector()]

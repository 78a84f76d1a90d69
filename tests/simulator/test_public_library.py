"""Honest bidders copy one public library across projects: the trap is real (the old,
per-project rarity flags honest pairs) and DOC-40-4 judged against the corpus stays quiet."""

from __future__ import annotations

from collections import defaultdict

import pytest

from detectors import Context
from detectors.base import EventDocumentTexts
from detectors.offline import run_detectors
from tests.support.document_events import document_detectors
from tests.support.simulator_run import default_run
from witness.config import Thresholds
from witness.events import parse_event
from witness.simulator.public_texts import LISTED, UNLISTED
from witness.simulator.truth_eval import evaluate

TYPES = {"document.submitted", "bid.submitted", "opening.started", "project.archived"}


def _doc_events() -> list:
    _, lines = default_run()
    return [e for e in map(parse_event, lines) if e.type in TYPES]


def _doc_alerts(th: Thresholds) -> list:
    ctx = Context(thresholds=th, documents=EventDocumentTexts())
    alerts = run_detectors(_doc_events(), document_detectors(), ctx)
    return [a for a in alerts if a.rule == "DOC-40-4"]


def test_honest_bids_of_many_projects_copy_the_same_public_sentences():
    projects = defaultdict(set)
    for e in _doc_events():
        if e.type == "document.submitted" and e.payload.kind == "technical":
            for sentences in (*LISTED.values(), *UNLISTED.values()):
                for s in sentences:
                    if s in e.payload.text:
                        projects[s].add(e.project_id)
    unlisted = [s for ss in UNLISTED.values() for s in ss]
    assert max(len(projects[s]) for s in unlisted) >= 8
    assert sum(1 for s in unlisted if len(projects[s]) >= 3) >= len(unlisted) // 2


@pytest.mark.slow
def test_doc_40_4_precision_holds_where_per_project_rarity_fails():
    sim, _ = default_run()
    truth = [c for c in sim.truth if c["rule"] == "DOC-40-4"]
    assert truth, "the default run plants a copied bid"

    after = _doc_alerts(Thresholds.defaults())
    report = evaluate(truth, [a.to_dict() for a in after])
    doc = next(r for r in report.rules if r.rule == "DOC-40-4")
    assert doc.recall == 1.0 and doc.precision == 1.0, doc

    # The old rule: rare = no third bidder of the project has it (per-project alerts).
    before = Thresholds.defaults().with_overrides(
        "DOC-40-4",
        rare_corpus_max_docs=1_000_000,
        rare_corpus_max_share=1.0,
        stock_phrases_file="none",
    )
    per_project = [a for a in _doc_alerts(before) if "scope" not in a.evidence]
    planted = {c["project_id"] for c in truth}
    honest = {a.project_id for a in per_project} - planted
    assert len(honest) >= 2, "the library trap must bite the old rule, or this test is idle"

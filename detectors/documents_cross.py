"""DOC-40-4 and DOC-META across projects: the same preparer writing for "competitors" in
different tenders (state key "*").

Memory is bounded: texts are kept only for the `cross_live_projects` most recently
active, unarchived projects; for older ones only the MinHash signature (128 x 4 bytes),
its LSH entries and the metadata values stay, at most `cross_max_docs` documents, oldest
dropped first (measured: ~18 KB per document, the LSH band tables dominate; 20,000
documents ~0.4 GB). A kept bid costs ~70 KB (original ~40 KB as UCS-2 plus its residue).

An alert needs verified evidence, never a signature estimate alone (MinHash Jaccard of
boilerplate-heavy bids reaches 0.5 easily): either the verified similarity of the two
residues (>= `similarity`) or a score of shared phrases rare in the centre's corpus
(`detectors/rarity.py`): >= `min_shared_rare` with at least one shared slip among them,
else >= `cross_min_shared_rare` (across projects every pair is a candidate: a few rare
phrases alone meet by chance). When the other document's text is no
longer in memory and its signature estimate reaches `cross_signature_jaccard`, its text
(and its project's tender documents, to cut the same template) is loaded through
`ctx.documents`, the seam to storage: the store in the live worker, the events in
replay. If it cannot be loaded, nothing is raised.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detectors.alignment import bounded_similarity
from detectors.base import Context, CrossProjectDetector
from detectors.documents import (
    META_FIELDS,
    TENDER,
    DocRec,
    MetadataThresholds,
    _norm_value,
    _params,
    corpus_facts,
    rare_definition,
    rarity_judged,
)
from detectors.neardup import (
    NearDupIndex,
    Params,
    Prepared,
    aligned_passages,
    prepare,
    rare_rules,
    template_hashes,
)
from detectors.rarity import MISSPELLING, ODD_FORM, RareResult, shared_rare_phrases
from witness.alerts import Alert, make_alert
from witness.events import GLOBAL_PROJECT, DocumentSubmitted, Event


@dataclass
class LiveProject:
    """A project whose texts the cross-project detector still keeps."""

    tender: dict[str, str] = field(default_factory=dict)  # doc id -> text
    tender_events: dict[str, str] = field(default_factory=dict)  # doc id -> event id
    template: np.ndarray | None = None
    tender_meta: set[tuple[str, str]] = field(default_factory=set)
    pending: list[DocRec] = field(default_factory=list)  # waiting for the template
    docs: dict[str, DocRec] = field(default_factory=dict)


@dataclass
class CrossDoc:
    project_id: str
    doc_id: str
    owner: str
    event_id: str
    meta: dict[str, str]  # field -> normalised value, only the comparable ones
    #: event ids of the tender documents whose template was cut (None: no template)
    template_events: tuple[str, ...] | None = None


@dataclass
class CrossState:
    live: OrderedDict[str, LiveProject] = field(default_factory=OrderedDict)
    index: NearDupIndex | None = None
    docs: OrderedDict[str, CrossDoc] = field(default_factory=OrderedDict)  # oldest first
    meta_index: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    loaded: int = 0  # texts loaded back through ctx.documents (for the bench and tests)


@dataclass
class _Other:
    """The other document of a candidate pair, with its text for verification."""

    doc: CrossDoc
    text: str
    prep: Prepared
    source: str  # "memory" | "store"


def _has_slip(rare: RareResult) -> bool:
    return bool(rare.kinds.get(MISSPELLING) or rare.kinds.get(ODD_FORM))


def _rare_enough(rare: RareResult, th: Params) -> bool:
    """Across projects every pair of the corpus is a candidate, so a few shared rare
    phrases are met by chance: `min_shared_rare` needs a shared slip among them, without
    one the score must reach `cross_min_shared_rare`."""
    if _has_slip(rare):
        return rare.score >= th.min_shared_rare
    return rare.score >= th.cross_min_shared_rare


def _uid(project_id: str, doc_id: str) -> str:
    return f"{project_id}\x1f{doc_id}"


class CrossProjectDocumentsDetector(CrossProjectDetector):
    """DOC-40-4 and DOC-META between documents of different projects (state key "*")."""

    name = "documents-cross-project"
    rules = ("DOC-40-4", "DOC-META")
    types = frozenset({"document.submitted", "project.archived"})

    def key(self, event: Event) -> str | None:
        if event.project_id == GLOBAL_PROJECT or event.type not in self.types:
            return None
        return GLOBAL_PROJECT

    def initial(self) -> CrossState:
        return CrossState()

    def step(self, state: CrossState, event: Event, ctx: Context) -> tuple[Any, list[Alert]]:
        pid = event.project_id
        if event.type == "project.archived":
            return state, self._retire(state, pid, event, ctx)
        alerts: list[Alert] = []
        lp = state.live.get(pid)
        if lp is None:
            lp = state.live[pid] = LiveProject()
            while len(state.live) > _params(ctx).cross_live_projects:
                oldest = next(iter(state.live))
                alerts += self._retire(state, oldest, event, ctx)
        state.live.move_to_end(pid)
        doc: DocumentSubmitted = event.payload
        rec = DocRec(event.event_id, doc)
        if doc.owner == TENDER:
            lp.tender[doc.doc_id] = doc.text
            lp.tender_events[doc.doc_id] = event.event_id
            lp.template = template_hashes(lp.tender.values(), _params(ctx).template_chars)
            lp.tender_meta |= {(f, _norm_value(getattr(doc.metadata, f))) for f in META_FIELDS}
            waiting, lp.pending = lp.pending, []
            for r in waiting:
                alerts += self._process(state, pid, lp, r, event, ctx)
            return state, alerts
        if lp.template is None:
            lp.pending.append(rec)
            return state, alerts
        return state, alerts + self._process(state, pid, lp, rec, event, ctx)

    def _retire(self, state: CrossState, pid: str, event: Event, ctx: Context) -> list[Alert]:
        """Project archived or pushed out: compare what waited, then keep signatures only."""
        lp = state.live.pop(pid, None)
        if lp is None:
            return []
        alerts = []
        for r in lp.pending:  # no template ever came: compare the whole text
            alerts += self._process(state, pid, lp, r, event, ctx)
        if state.index is not None:
            for doc_id in lp.docs:
                state.index.forget_text(_uid(pid, doc_id))
        return alerts

    # ------------------------------------------------------------ one document

    def _process(
        self, state: CrossState, pid: str, lp: LiveProject, rec: DocRec, event: Event, ctx: Context
    ) -> list[Alert]:
        th = _params(ctx)
        if state.index is None:
            state.index = NearDupIndex(th)
        uid = _uid(pid, rec.doc_id)
        if uid in state.docs:
            self._drop(state, uid)
        rec.prep = prepare(rec.doc.text, lp.template, th)
        alerts = []
        for key, est in state.index.candidates(rec.prep):
            other = state.docs[key]
            if other.project_id == pid or other.owner == rec.owner:
                continue
            found = self._other_text(state, other, est, ctx)
            if found is not None:

                def own(other: CrossDoc = other) -> int:  # counted only when rarity is asked
                    return (
                        _documents_of(state, pid)
                        + (rec.doc_id not in lp.docs)  # the judged one is counted already
                        + _documents_of(state, other.project_id)
                    )

                alert = self._judge(pid, rec, found, est, own, event, ctx)
                found.prep.drop_phrases()
                if alert is not None:
                    alerts.append(alert)
        state.index.insert(uid, rec.prep)
        meta_alerts, meta = self._metadata(state, pid, lp, rec, uid, event, ctx)
        alerts += meta_alerts
        template_events = tuple(sorted(lp.tender_events.values())) if lp.tender else None
        state.docs[uid] = CrossDoc(pid, rec.doc_id, rec.owner, rec.event_id, meta, template_events)
        rec.prep.drop_phrases()  # 16 bytes a character: only while judging
        lp.docs[rec.doc_id] = rec
        while len(state.docs) > th.cross_max_docs:
            self._drop(state, next(iter(state.docs)))
        return alerts

    def _other_text(
        self, state: CrossState, other: CrossDoc, est: float, ctx: Context
    ) -> _Other | None:
        """The other document's residue: kept in memory, or loaded back (see module doc)."""
        lp = state.live.get(other.project_id)
        kept = lp.docs.get(other.doc_id) if lp is not None else None
        if kept is not None and kept.prep is not None:
            return _Other(other, kept.doc.text, kept.prep, "memory")
        th = _params(ctx)
        if est < th.cross_signature_jaccard:
            return None
        text = ctx.documents.text(other.event_id)
        if text is None:
            return None
        template = None
        if other.template_events is not None:
            tenders = [ctx.documents.text(e) for e in other.template_events]
            if any(t is None for t in tenders):
                return None  # without the same template the residue would differ
            template = template_hashes(tenders, th.template_chars)  # type: ignore[arg-type]
        state.loaded += 1
        return _Other(other, text, prepare(text, template, th), "store")

    def _judge(
        self,
        pid: str,
        rec: DocRec,
        other: _Other,
        est: float,
        own: Callable[[], int],
        event: Event,
        ctx: Context,
    ) -> Alert | None:
        """Verified similarity, else shared phrases rare in the corpus; else nothing.
        `own()`: the documents of the pair's two projects the corpus counted."""
        th = _params(ctx)
        assert rec.prep is not None
        sim = bounded_similarity(rec.prep.text, other.prep.text)
        rare = RareResult()
        if sim.value < th.similarity:
            if not rarity_judged(ctx, own()):
                return None
            rare = shared_rare_phrases(
                rec.prep, rec.doc.text, other.prep, (), ctx.corpus, rare_rules(th)
            )
            if not _rare_enough(rare, th):
                return None
        return self._text_alert(pid, rec, other, sim, rare, est, own(), event, ctx)

    def _metadata(
        self,
        state: CrossState,
        pid: str,
        lp: LiveProject,
        rec: DocRec,
        uid: str,
        event: Event,
        ctx: Context,
    ) -> tuple[list[Alert], dict[str, str]]:
        """DOC-META against earlier documents; returns the alerts and this one's values."""
        generic = {_norm_value(v) for v in ctx.thresholds.typed(MetadataThresholds).generic_values}
        meta = {}
        for f in META_FIELDS:
            v = _norm_value(getattr(rec.doc.metadata, f))
            if v and v not in generic and (f, v) not in lp.tender_meta:
                meta[f] = v
        shared: dict[str, list[dict]] = {}
        for f, v in meta.items():
            for key in state.meta_index.get((f, v), []):
                other = state.docs[key]
                if other.project_id != pid and other.owner != rec.owner:
                    shared.setdefault(key, []).append(
                        {"field": f, "value": getattr(rec.doc.metadata, f)}
                    )
            state.meta_index.setdefault((f, v), []).append(uid)
        alerts = [
            self._meta_alert(pid, rec, state.docs[key], shared[key], event, ctx)
            for key in sorted(shared)
        ]
        return alerts, meta

    def _drop(self, state: CrossState, uid: str) -> None:
        old = state.docs.pop(uid)
        if state.index is not None:
            state.index.remove(uid)
        for f, v in old.meta.items():
            keys = state.meta_index.get((f, v), [])
            if uid in keys:
                keys.remove(uid)
            if not keys:
                state.meta_index.pop((f, v), None)
        lp = state.live.get(old.project_id)
        if lp is not None:
            lp.docs.pop(old.doc_id, None)

    # ------------------------------------------------------------ alerts

    @staticmethod
    def _identity(pid: str, rec: DocRec, other: CrossDoc) -> list[list[str]]:
        return sorted([[pid, rec.owner, rec.doc_id], [other.project_id, other.owner, other.doc_id]])

    def _text_alert(
        self,
        pid: str,
        rec: DocRec,
        other: _Other,
        sim: Any,
        rare: RareResult,
        est: float,
        own_documents: int,
        event: Event,
        ctx: Context,
    ) -> Alert:
        th = _params(ctx)
        assert rec.prep is not None
        crossed = []
        if sim.value >= th.similarity:
            crossed.append(f"similarity >= {th.similarity}")
        if _rare_enough(rare, th) and _has_slip(rare):
            crossed.append(f"shared rare phrases >= {th.min_shared_rare} with a shared slip")
        elif _rare_enough(rare, th):
            crossed.append(f"shared rare phrases >= {th.cross_min_shared_rare}")
        evidence: dict[str, Any] = {
            "scope": "cross_project",
            "documents": [
                {"project_id": p, "bidder": o, "doc_id": d}
                for p, o, d in self._identity(pid, rec, other.doc)
            ],
            "similarity": round(sim.value, 4),
            "similarity_method": sim.method,
            "crossed": crossed,
            "estimated_jaccard": round(est, 4),
            "text_kept": other.source == "memory",
            "text_source": other.source,
            "thresholds": {
                "similarity": th.similarity,
                "min_shared_rare": th.min_shared_rare,
                "cross_min_shared_rare": th.cross_min_shared_rare,
                "rare_corpus_max_docs": th.rare_corpus_max_docs,
                "cross_signature_jaccard": th.cross_signature_jaccard,
            },
            "passages": aligned_passages(
                rec.prep,
                rec.doc.text,
                other.prep,
                other.text,
                top=th.max_passages,
                max_chars=th.passage_chars,
            ),
            "passages_offsets": {"a": rec.doc_id, "b": other.doc.doc_id},
            "shared_rare_phrases": {
                "count": rare.count,
                "score": rare.score,
                "kinds": rare.kinds,
                "examples": rare.examples,
            },
            "rare_phrase_definition": rare_definition(th, across_projects=True),
            "corpus": corpus_facts(ctx, own_documents),
        }
        if other.source == "store":
            evidence["note"] = (
                "the other project is archived: its text was loaded from the store and "
                "verified against this one"
            )
        return make_alert(
            "DOC-40-4",
            pid,
            identity={"cross_project": self._identity(pid, rec, other.doc)},
            subjects=[rec.owner, other.doc.owner],
            evidence=evidence,
            event_ids=[rec.event_id, other.doc.event_id],
            first_seen=event.ts,
            locale=ctx.locale,
            projects=[pid, other.doc.project_id],  # sealed while either project is
        )

    def _meta_alert(
        self,
        pid: str,
        rec: DocRec,
        other: CrossDoc,
        shared: list[dict],
        event: Event,
        ctx: Context,
    ) -> Alert:
        return make_alert(
            "DOC-META",
            pid,
            identity={"cross_project": self._identity(pid, rec, other)},
            subjects=[rec.owner, other.owner],
            evidence={
                "scope": "cross_project",
                "documents": [
                    {"project_id": p, "bidder": o, "doc_id": d}
                    for p, o, d in self._identity(pid, rec, other)
                ],
                "shared": shared,
                "ignored_rule": "empty values, generic defaults (thresholds [DOC-META] "
                "generic_values) and values equal to the project's tender document are "
                "not compared",
            },
            event_ids=[rec.event_id, other.event_id],
            first_seen=event.ts,
            locale=ctx.locale,
            projects=[pid, other.project_id],  # sealed while either project is
        )


def _documents_of(state: CrossState, pid: str) -> int:
    """Documents of project `pid` the corpus counted: its tender and bid documents still
    in memory, else the bids whose signatures are kept and the tenders they name."""
    lp = state.live.get(pid)
    if lp is not None:
        return len(lp.tender) + len(lp.docs) + len(lp.pending)
    bids = [d for d in state.docs.values() if d.project_id == pid]
    return len(bids) + len({e for d in bids for e in d.template_events or ()})

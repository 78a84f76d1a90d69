"""Document rules: DOC-40-4 (texts abnormally alike), DOC-40-5 (one bidder's name or
credit code inside another's documents), DOC-META (same author / revision ids).

`DocumentsDetector` works per project over `document.submitted` and `bid.submitted`.
The tender document (owner "tender", plus any later addenda) is the template: honest
bidders copy it, so its passages are cut from every bid before comparing (see
`detectors/neardup.py`). Bid texts are compared only once a template is known; if
none has arrived by `opening.started`, text found in the documents of at least
`infer_template_bidders` bidders is taken as template (and the evidence says so).

Rare phrases are judged against the centre's whole corpus (`detectors/rarity.py`,
`detectors/corpus.py`), not merely against the project's other bids.
`CrossProjectDocumentsDetector` (detectors/documents_cross.py, state key "*") compares
documents across projects.

One alert per pair and rule: identity = the sorted bidder pair (per project), or the
sorted (project, bidder, document) pair across projects; subjects = the two bidders.
A cross-project alert is filed under the later project and names both in `projects`,
so it stays sealed until both have opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import Field

from detectors.alignment import bounded_similarity
from detectors.base import Context
from detectors.neardup import (
    NearDupIndex,
    Params,
    Prepared,
    aligned_passages,
    codes_to_text,
    normalise,
    prepare,
    rare_rules,
    shingle_hashes,
    template_hashes,
)
from detectors.rarity import RareResult, rare_limit, shared_rare_phrases
from witness.alerts import Alert, make_alert
from witness.events import GLOBAL_PROJECT, DocumentSubmitted, Event
from witness.thresholds import RuleThresholds, thresholds_section

TENDER = "tender"
META_FIELDS = ("author", "last_modified_by", "rsid_root", "xmp_document_id")
RARE_DEFINITION = (
    "a stretch of one bid's text outside the tender template, every {k}-character piece of "
    "which also occurs in the other bid{third}, and which at most {max_docs} documents of "
    "the centre's whole corpus contain, and at most {share:g} % of them (never fewer than "
    "2, the pair itself; all projects' bid and tender documents, counted in a sketch that "
    "never undercounts; phrases of the stock-phrase file are never rare): a phrase of at least {min_chars} "
    "characters weighs 1; a shared slip weighs {weight}: a listed misspelling inside a rare "
    "stretch, or an odd form (a short rare stretch with text the corpus knows well on both "
    "sides, i.e. a well-known phrase with a small edit); a slip inside well-known text "
    "counts for nothing"
)


SIMILARITY_MEASURE = (
    "rapidfuzz Indel similarity (fuzz.ratio / 100) of the texts after removing the tender "
    "template, whitespace and full-width forms; for texts over 20,000 x 20,000 characters "
    "a lower bound of it in linear memory (shared 12-character anchors, gaps aligned "
    "exactly: detectors/alignment.py), equal to it for near copies"
)

GENERIC_METADATA_VALUES: tuple[str, ...] = (
    "administrator",
    "admin",
    "user",
    "users",
    "owner",
    "microsoft office user",
    "microsoft office 用户",
    "windows user",
    "windows 用户",
    "用户",
    "微软用户",
    "微软中国",
    "unknown",
    "author",
    "作者",
    "pc",
    "lenovo",
    "dell",
    "hp",
    "asus",
    "china",
    "ylmf",
    "雨林木风",
    "深度",
    "番茄花园",
    "wps",
    "wps office",
    "kingsoft",
    "walkinnet",
    "00000000",
)


@thresholds_section("DOC-40-5")
class MixedDocumentsThresholds(RuleThresholds):
    """DOC-40-5: one bidder's name or credit code inside another's document."""

    min_name_chars: int = Field(
        4, ge=1, description="bidder names shorter than this are not searched"
    )


@thresholds_section("DOC-META")
class MetadataThresholds(RuleThresholds):
    """DOC-META: shared document metadata; values that name nobody are ignored."""

    #: Factory defaults of Office/WPS and pre-installed Windows.
    generic_values: tuple[str, ...] = GENERIC_METADATA_VALUES


def _pair(x: str, y: str) -> tuple[str, str]:
    return (x, y) if x <= y else (y, x)


def _params(ctx: Context) -> Params:
    return ctx.thresholds.typed(Params)


@dataclass(eq=False)
class DocRec:
    event_id: str
    doc: DocumentSubmitted
    prep: Prepared | None = None
    _norm: tuple[str, np.ndarray] | None = None

    @property
    def owner(self) -> str:
        return self.doc.owner

    @property
    def doc_id(self) -> str:
        return self.doc.doc_id

    def normalised(self) -> tuple[str, np.ndarray]:
        """Normalised text (for name search) and each character's original offset."""
        if self._norm is None:
            codes, pos = normalise(self.doc.text)
            self._norm = (codes_to_text(codes), pos)
        return self._norm


def _norm_value(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def _norm_needle(value: str) -> str:
    return codes_to_text(normalise(value)[0])


# ---------------------------------------------------------------- per-project state


@dataclass
class ProjectDocs:
    tender: dict[str, DocRec] = field(default_factory=dict)
    template: np.ndarray | None = None
    template_inferred: bool = False
    opened: bool = False  # opening started: every bid is in, rarity can be judged
    docs: dict[str, DocRec] = field(default_factory=dict)  # bidder documents, arrival order
    bidders: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, event id)
    index: NearDupIndex | None = None
    similar: dict[tuple[str, str], dict[tuple[str, str], dict]] = field(default_factory=dict)
    named: dict[tuple[str, str], dict[tuple, dict]] = field(default_factory=dict)
    meta: dict[tuple[str, str], dict[tuple, dict]] = field(default_factory=dict)
    meta_ignored: dict[tuple[str, str], dict[tuple, dict]] = field(default_factory=dict)
    extra_events: dict[tuple[str, tuple[str, str]], set[str]] = field(default_factory=dict)


class DocumentsDetector:
    """DOC-40-4, DOC-40-5 and DOC-META within one project."""

    name = "documents"
    rules = ("DOC-40-4", "DOC-40-5", "DOC-META")
    types = frozenset({"document.submitted", "bid.submitted", "opening.started"})

    def key(self, event: Event) -> str | None:
        if event.project_id == GLOBAL_PROJECT or event.type not in self.types:
            return None
        return event.project_id

    def initial(self) -> ProjectDocs:
        return ProjectDocs()

    def step(self, state: ProjectDocs, event: Event, ctx: Context) -> tuple[Any, list[Alert]]:
        if event.type == "bid.submitted":
            return state, self._on_bid(state, event, ctx)
        if event.type == "opening.started":
            return state, self._on_opening(state, event, ctx)
        doc: DocumentSubmitted = event.payload
        rec = DocRec(event.event_id, doc)
        if doc.owner == TENDER:
            state.tender[doc.doc_id] = rec
            state.template = template_hashes(
                (r.doc.text for r in state.tender.values()), _params(ctx).template_chars
            )
            state.template_inferred = False
            return state, self._compare_all(state, event, ctx)
        known = {r.owner for r in state.docs.values()} | set(state.bidders)
        state.docs.pop(doc.doc_id, None)
        state.docs[doc.doc_id] = rec
        alerts = self._names_in(state, rec, event, ctx)
        if doc.owner not in known:  # a new bidder: its credit code in earlier documents?
            for other in list(state.docs.values()):
                if other.owner != doc.owner:
                    alerts += self._search(state, other, {doc.owner: None}, event, ctx)
        alerts += self._metadata(state, rec, event, ctx)
        if state.template is not None:
            alerts += self._compare_one(state, rec, event, ctx)
        return state, alerts

    # ------------------------------------------------------------ DOC-40-4

    def _on_opening(self, state: ProjectDocs, event: Event, ctx: Context) -> list[Alert]:
        """Bids are in: rare phrases can now be judged; infer a missing template."""
        state.opened = True
        if not state.docs:
            return []
        if state.template is not None:
            return self._compare_all(state, event, ctx)
        need = _params(ctx).infer_template_bidders
        owners = sorted({r.owner for r in state.docs.values()})
        if len(owners) < need:
            return []  # too few bidders to tell template from collusion
        k = _params(ctx).template_chars
        per_owner = []
        for owner in owners:
            parts = [
                shingle_hashes(normalise(r.doc.text)[0], k)
                for r in state.docs.values()
                if r.owner == owner
            ]
            per_owner.append(np.unique(np.concatenate(parts)))
        values, counts = np.unique(np.concatenate(per_owner), return_counts=True)
        state.template = values[counts >= need]
        state.template_inferred = True
        return self._compare_all(state, event, ctx)

    def _compare_all(self, state: ProjectDocs, event: Event, ctx: Context) -> list[Alert]:
        """(Re)build the index from scratch: the template changed or the bids are in."""
        params = _params(ctx)
        state.index = NearDupIndex(params)
        state.similar.clear()
        for rec in state.docs.values():  # all first: rarity looks at every document
            rec.prep = prepare(rec.doc.text, state.template, params)
        alerts: dict[str, Alert] = {}
        earlier: set[str] = set()
        for rec in list(state.docs.values()):
            for alert in self._compare_one(state, rec, event, ctx, earlier=earlier):
                alerts[alert.alert_id] = alert
            earlier.add(rec.doc_id)
        return list(alerts.values())

    def _compare_one(
        self,
        state: ProjectDocs,
        rec: DocRec,
        event: Event,
        ctx: Context,
        earlier: set[str] | None = None,
    ) -> list[Alert]:
        """Compare `rec` with the documents before it (`earlier`, default: all prepared)."""
        params = _params(ctx)
        th = _params(ctx)
        if state.index is None:
            state.index = NearDupIndex(params)
        if earlier is None:
            rec.prep = prepare(rec.doc.text, state.template, params)
        matches = state.index.add(
            rec.doc_id, rec.prep, skip=lambda k: state.docs[k].owner == rec.owner
        )
        sims = {m.key: m.similarity for m in matches}
        others = [
            r
            for r in state.docs.values()
            if r.owner != rec.owner
            and r.prep is not None
            and r is not rec
            and (earlier is None or r.doc_id in earlier)
        ]
        if not state.opened or len(state.docs) > th.rare_max_docs:
            others = [r for r in others if r.doc_id in sims]
        alerts = []
        judged = rarity_judged(ctx, _project_documents(state))
        for other in others:
            a, b = sorted((rec, other), key=lambda r: (r.owner, r.doc_id))
            third = [
                r.prep
                for r in state.docs.values()
                if r.owner not in (a.owner, b.owner) and r.prep is not None
            ]
            rare = (
                shared_rare_phrases(
                    a.prep, a.doc.text, b.prep, third, ctx.corpus, rare_rules(params)
                )
                if judged
                else RareResult()
            )
            sim = sims.get(other.doc_id)
            # Before the opening a later bid may still share the phrases: they are
            # evidence then, not a reason to fire.
            if sim is None and (not state.opened or rare.score < th.min_shared_rare):
                continue
            if sim is None:
                sim = round(bounded_similarity(a.prep.text, b.prep.text).value, 4)
            finding = _similarity_finding(a, b, sim, rare, th, state.opened)
            pair = _pair(a.owner, b.owner)
            state.similar.setdefault(pair, {})[(a.doc_id, b.doc_id)] = finding
            alerts.append(self._similarity_alert(state, pair, event, ctx))
        return alerts

    def _similarity_alert(
        self, state: ProjectDocs, pair: tuple[str, str], event: Event, ctx: Context
    ) -> Alert:
        th = _params(ctx)
        findings = [state.similar[pair][k] for k in sorted(state.similar[pair])]
        docs = {f["doc_a"] for f in findings} | {f["doc_b"] for f in findings}
        evidence = {
            "bidders": list(pair),
            "similarity": max(f["similarity"] for f in findings),
            "shared_rare_phrases": max(f["shared_rare_phrases"]["count"] for f in findings),
            "rare_phrase_score": max(f["shared_rare_phrases"]["score"] for f in findings),
            "thresholds": {
                "similarity": th.similarity,
                "min_shared_rare": th.min_shared_rare,
                "rare_corpus_max_docs": th.rare_corpus_max_docs,
                "misspelling_weight": th.misspelling_weight,
            },
            "corpus": corpus_facts(ctx, _project_documents(state)),
            "documents": findings,
            "template": {
                "tender_doc_ids": sorted(state.tender),
                "inferred": state.template_inferred,
            },
            "rare_phrase_definition": rare_definition(th),
            "similarity_measure": SIMILARITY_MEASURE,
        }
        return make_alert(
            "DOC-40-4",
            event.project_id,
            identity={"bidders": list(pair)},
            subjects=list(pair),
            evidence=evidence,
            event_ids=sorted(state.docs[d].event_id for d in docs if d in state.docs),
            first_seen=event.ts,
            locale=ctx.locale,
        )

    # ------------------------------------------------------------ DOC-40-5

    def _on_bid(self, state: ProjectDocs, event: Event, ctx: Context) -> list[Alert]:
        bidder = event.payload.bidder
        state.bidders[bidder.id] = (bidder.name, event.event_id)
        alerts: dict[str, Alert] = {}
        for rec in state.docs.values():
            if rec.owner == bidder.id:
                continue
            for alert in self._search(state, rec, {bidder.id: bidder.name}, event, ctx):
                alerts[alert.alert_id] = alert
        return list(alerts.values())

    def _names_in(self, state: ProjectDocs, rec: DocRec, event: Event, ctx: Context) -> list:
        needles: dict[str, str | None] = {r.owner: None for r in state.docs.values()}
        needles.update({bid: name for bid, (name, _) in state.bidders.items()})
        needles.pop(rec.owner, None)
        return self._search(state, rec, needles, event, ctx)

    def _search(
        self,
        state: ProjectDocs,
        rec: DocRec,
        needles: dict[str, str | None],
        event: Event,
        ctx: Context,
    ) -> list[Alert]:
        """Look for other bidders' names / 18-character credit codes in `rec`'s text."""
        min_name = ctx.thresholds.typed(MixedDocumentsThresholds).min_name_chars
        text, pos = rec.normalised()
        own = state.bidders.get(rec.owner, (None, ""))[0]
        if own and len(_norm_needle(own)) >= min_name:
            own_n = _norm_needle(own)
            text = text.replace(own_n, "\x00" * len(own_n))  # its own name is not a hit
        template = "".join(r.normalised()[0] for r in state.tender.values())
        alerts = []
        for bidder_id in sorted(needles):
            name = needles[bidder_id]
            candidates = []
            if name and len(_norm_needle(name)) >= min_name:
                candidates.append(("name", name, _norm_needle(name)))
            code = _norm_needle(bidder_id)
            if len(code) == 18:
                candidates.append(("credit_code", bidder_id, code))
            for match, value, needle in candidates:
                if needle in template:
                    continue  # named by the tender itself
                hits = _find_all(text, needle)
                if not hits:
                    continue
                start = int(pos[hits[0]])
                end = int(pos[hits[0] + len(needle) - 1]) + 1
                original = rec.doc.text
                finding = {
                    "document": rec.doc_id,
                    "document_owner": rec.owner,
                    "named_bidder": bidder_id,
                    "match": match,
                    "value": value,
                    "occurrences": len(hits),
                    "first": {
                        "start": start,
                        "end": end,
                        "context": original[max(0, start - 20) : end + 20],
                    },
                }
                pair = _pair(rec.owner, bidder_id)
                state.named.setdefault(pair, {})[(rec.doc_id, bidder_id, match)] = finding
                alerts.append(self._name_alert(state, pair, event, ctx))
        return alerts

    def _name_alert(
        self, state: ProjectDocs, pair: tuple[str, str], event: Event, ctx: Context
    ) -> Alert:
        findings = [state.named[pair][k] for k in sorted(state.named[pair])]
        event_ids = [state.docs[f["document"]].event_id for f in findings]
        event_ids += [state.bidders[b][1] for b in pair if b in state.bidders]
        return make_alert(
            "DOC-40-5",
            event.project_id,
            identity={"bidders": list(pair)},
            subjects=list(pair),
            evidence={"bidders": list(pair), "findings": findings},
            event_ids=sorted(set(event_ids)),
            first_seen=event.ts,
            locale=ctx.locale,
        )

    # ------------------------------------------------------------ DOC-META

    def _metadata(self, state: ProjectDocs, rec: DocRec, event: Event, ctx: Context) -> list:
        generic = {_norm_value(v) for v in ctx.thresholds.typed(MetadataThresholds).generic_values}
        tender_values = {
            (f, _norm_value(getattr(r.doc.metadata, f)))
            for r in state.tender.values()
            for f in META_FIELDS
        }
        touched: set[tuple[str, str]] = set()
        for other in state.docs.values():
            if other.owner == rec.owner:
                continue
            pair = _pair(rec.owner, other.owner)
            docs = {rec.owner: rec.doc_id, other.owner: other.doc_id}
            for f in META_FIELDS:
                raw = getattr(rec.doc.metadata, f)
                v = _norm_value(raw)
                if not v or v != _norm_value(getattr(other.doc.metadata, f)):
                    continue
                item = {"field": f, "value": raw, "documents": docs}
                key = (f, v, rec.doc_id, other.doc_id)
                if v in generic:
                    state.meta_ignored.setdefault(pair, {})[key] = {**item, "reason": "generic"}
                elif (f, v) in tender_values:
                    state.meta_ignored.setdefault(pair, {})[key] = {
                        **item,
                        "reason": "same as the tender document (bidders edited its file)",
                    }
                else:
                    state.meta.setdefault(pair, {})[key] = item
                    touched.add(pair)
        return [self._meta_alert(state, pair, event, ctx) for pair in sorted(touched)]

    def _meta_alert(
        self, state: ProjectDocs, pair: tuple[str, str], event: Event, ctx: Context
    ) -> Alert:
        shared = [state.meta[pair][k] for k in sorted(state.meta[pair])]
        ignored = [v for _, v in sorted(state.meta_ignored.get(pair, {}).items())]
        doc_ids = {d for item in shared for d in item["documents"].values()}
        return make_alert(
            "DOC-META",
            event.project_id,
            identity={"bidders": list(pair)},
            subjects=list(pair),
            evidence={
                "bidders": list(pair),
                "shared": shared,
                "ignored": ignored,
                "ignored_rule": "empty values, generic defaults (thresholds [DOC-META] "
                "generic_values) and values equal to the tender document's are not compared",
            },
            event_ids=sorted(state.docs[d].event_id for d in doc_ids if d in state.docs),
            first_seen=event.ts,
            locale=ctx.locale,
        )


def _find_all(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + len(needle))
    return out


def rare_definition(th: Params, *, across_projects: bool = False) -> str:
    return RARE_DEFINITION.format(
        third="" if across_projects else " and in no document of a third bidder of the project",
        min_chars=th.rare_min_chars,
        k=th.phrase_chars,
        max_docs=th.rare_corpus_max_docs,
        share=th.rare_corpus_max_share * 100,
        weight=th.misspelling_weight,
    )


def _project_documents(state: ProjectDocs) -> int:
    return len(state.docs) + len(state.tender)


def rarity_judged(ctx: Context, own_documents: int) -> bool:
    """Whether the corpus can call a phrase rare: it must hold `rare_min_outside_docs`
    documents besides the `own_documents` of the projects judged. The first project a
    centre runs has only its own bids in the corpus, and two honest bids of it share a
    few unlisted stock sentences as often as not (seed by seed, DOC-40-4 fired on 17 of 30
    such projects); until then only similarity can fire."""
    return ctx.corpus.documents - own_documents >= _params(ctx).rare_min_outside_docs


def corpus_facts(ctx: Context, own_documents: int) -> dict:
    """What the rarity was judged against (goes into the evidence)."""
    c = ctx.corpus
    return {
        "documents": c.documents,
        "outside_documents": max(0, c.documents - own_documents),
        "rarity_judged": rarity_judged(ctx, own_documents),
        "rare_limit": rare_limit(c, rare_rules(_params(ctx))),
        "halvings": c.halvings,
        "stock_phrases": c.stock_phrases,
        "listed_misspellings": len(c.misspellings),
    }


def _similarity_finding(
    a: DocRec, b: DocRec, sim: float, rare: RareResult, th: Params, final: bool
) -> dict:
    crossed = []
    if sim >= th.similarity:
        crossed.append(f"similarity >= {th.similarity}")
    if final and rare.score >= th.min_shared_rare:
        crossed.append(f"shared rare phrases >= {th.min_shared_rare}")
    return {
        "doc_a": a.doc_id,
        "doc_b": b.doc_id,
        "bidder_a": a.owner,
        "bidder_b": b.owner,
        "similarity": sim,
        "crossed": crossed,
        "compared_chars": {"a": len(a.prep.text), "b": len(b.prep.text)},
        "template_chars_removed": {
            "a": a.prep.template_removed_chars,
            "b": b.prep.template_removed_chars,
        },
        "passages": aligned_passages(
            a.prep,
            a.doc.text,
            b.prep,
            b.doc.text,
            top=th.max_passages,
            max_chars=th.passage_chars,
        ),
        "shared_rare_phrases": {
            "count": rare.count,
            "score": rare.score,
            "kinds": rare.kinds,
            "examples": rare.examples,
            "final": final,  # False before the opening: later bids may share them too
        },
    }


def __getattr__(name: str) -> Any:
    """`CrossProjectDocumentsDetector` lives in detectors/documents_cross.py now."""
    if name == "CrossProjectDocumentsDetector":
        from detectors.documents_cross import CrossProjectDocumentsDetector

        return CrossProjectDocumentsDetector
    raise AttributeError(name)

"""Document rules: DOC-40-4 (texts abnormally alike), DOC-40-5 (one bidder's name or
credit code inside another's documents), DOC-META (same author / revision ids).

`DocumentsDetector` works per project over `document.submitted` and `bid.submitted`.
The tender document (owner "tender", plus any later addenda) is the template: honest
bidders copy it, so its passages are cut from every bid before comparing (see
`detectors/neardup.py`). Bid texts are compared only once a template is known; if
none has arrived by `opening.started`, text found in the documents of at least
`infer_template_bidders` bidders is taken as template (and the evidence says so).

`CrossProjectDocumentsDetector` (state key "*") compares documents across projects:
the same preparer writing for "competitors" in different tenders. Memory is bounded:
texts are kept only for the `cross_live_projects` most recently active, unarchived
projects; for older ones only the MinHash signature (128 x 4 bytes), its LSH entries
and the metadata values stay, at most `cross_max_docs` documents, oldest dropped first
(measured: ~18 KB per document, the LSH band tables dominate; 20,000 documents ~0.4 GB).
A kept bid costs ~70 KB (original ~40 KB as UCS-2 plus the residue used for rapidfuzz),
so dropping texts buys a factor of ~4, and the count cap makes the bound hard. A match
against a document whose text is gone is reported with the signature's Jaccard estimate
instead of a verified similarity: it is a lead for a person to pull the archived file.
Beyond the cap, the state belongs in the store (DESIGN §3), not in memory.

One alert per pair and rule: identity = the sorted bidder pair (per project), or the
sorted (project, bidder, document) pair across projects; subjects = the two bidders.
A cross-project alert is filed under the later project and names both in `projects`,
so it stays sealed until both have opened.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import Field
from rapidfuzz.distance import Indel

from detectors.base import Context
from detectors.neardup import (
    NearDupIndex,
    Params,
    Prepared,
    aligned_passages,
    codes_to_text,
    normalise,
    prepare,
    shared_rare_phrases,
    shingle_hashes,
    template_hashes,
)
from witness.alerts import Alert, make_alert
from witness.events import GLOBAL_PROJECT, DocumentSubmitted, Event
from witness.thresholds import RuleThresholds, thresholds_section

TENDER = "tender"
META_FIELDS = ("author", "last_modified_by", "rsid_root", "xmp_document_id")
RARE_DEFINITION = (
    "a run of at least {min_chars} characters of one bid's text, outside the tender "
    "template, every {k}-character piece of which also occurs in the other bid and in no "
    "document of any third bidder of the project"
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
        for other in others:
            a, b = sorted((rec, other), key=lambda r: (r.owner, r.doc_id))
            third = [
                r.prep
                for r in state.docs.values()
                if r.owner not in (a.owner, b.owner) and r.prep is not None
            ]
            n_rare, rare = shared_rare_phrases(
                a.prep,
                a.doc.text,
                b.prep,
                third,
                phrase_chars=params.phrase_chars,
                min_chars=th.rare_min_chars,
            )
            sim = sims.get(other.doc_id)
            # Before the opening a later bid may still share the phrases: they are
            # evidence then, not a reason to fire.
            if sim is None and (not state.opened or n_rare < th.min_shared_rare):
                continue
            if sim is None:
                sim = round(float(Indel.normalized_similarity(a.prep.text, b.prep.text)), 4)
            finding = _similarity_finding(a, b, sim, n_rare, rare, th, state.opened)
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
            "thresholds": {
                "similarity": th.similarity,
                "min_shared_rare": th.min_shared_rare,
            },
            "documents": findings,
            "template": {
                "tender_doc_ids": sorted(state.tender),
                "inferred": state.template_inferred,
            },
            "rare_phrase_definition": RARE_DEFINITION.format(
                min_chars=th.rare_min_chars, k=th.phrase_chars
            ),
            "similarity_measure": "rapidfuzz Indel similarity (fuzz.ratio / 100) of the "
            "texts after removing the tender template, whitespace and full-width forms",
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


def _similarity_finding(
    a: DocRec, b: DocRec, sim: float, n_rare: int, rare: list[dict], th: Params, final: bool
) -> dict:
    crossed = []
    if sim >= th.similarity:
        crossed.append(f"similarity >= {th.similarity}")
    if final and n_rare >= th.min_shared_rare:
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
            "count": n_rare,
            "examples": rare,
            "final": final,  # False before the opening: later bids may share them too
        },
    }


# ---------------------------------------------------------------- across projects


@dataclass
class LiveProject:
    """A project whose texts the cross-project detector still keeps."""

    tender: dict[str, str] = field(default_factory=dict)  # doc id -> text
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


@dataclass
class CrossState:
    live: OrderedDict[str, LiveProject] = field(default_factory=OrderedDict)
    index: NearDupIndex | None = None
    docs: OrderedDict[str, CrossDoc] = field(default_factory=OrderedDict)  # oldest first
    meta_index: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _uid(project_id: str, doc_id: str) -> str:
    return f"{project_id}\x1f{doc_id}"


class CrossProjectDocumentsDetector:
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

    def _process(
        self, state: CrossState, pid: str, lp: LiveProject, rec: DocRec, event: Event, ctx: Context
    ) -> list[Alert]:
        params = _params(ctx)
        th = _params(ctx)
        if state.index is None:
            state.index = NearDupIndex(params)
        uid = _uid(pid, rec.doc_id)
        if uid in state.docs:
            self._drop(state, uid)
        rec.prep = prepare(rec.doc.text, lp.template, params)

        def skip(key: str) -> bool:
            other = state.docs[key]
            return other.project_id == pid or other.owner == rec.owner

        alerts = []
        for m in state.index.add(uid, rec.prep, skip=skip):
            other = state.docs[m.key]
            if m.similarity is None and m.estimated_jaccard < th.cross_signature_jaccard:
                continue
            other_rec = (
                state.live[other.project_id].docs.get(other.doc_id)
                if (other.project_id in state.live)
                else None
            )
            alerts.append(self._text_alert(pid, rec, other, other_rec, m, event, ctx))
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
        for key in sorted(shared):
            alerts.append(self._meta_alert(pid, rec, state.docs[key], shared[key], event, ctx))
        state.docs[uid] = CrossDoc(pid, rec.doc_id, rec.owner, rec.event_id, meta)
        rec.prep.drop_phrases()  # rare phrases are a per-project matter (16 bytes a char)
        lp.docs[rec.doc_id] = rec
        while len(state.docs) > th.cross_max_docs:
            self._drop(state, next(iter(state.docs)))
        return alerts

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

    @staticmethod
    def _identity(pid: str, rec: DocRec, other: CrossDoc) -> list[list[str]]:
        return sorted([[pid, rec.owner, rec.doc_id], [other.project_id, other.owner, other.doc_id]])

    def _text_alert(
        self,
        pid: str,
        rec: DocRec,
        other: CrossDoc,
        other_rec: DocRec | None,
        match: Any,
        event: Event,
        ctx: Context,
    ) -> Alert:
        th = _params(ctx)
        evidence: dict[str, Any] = {
            "scope": "cross_project",
            "documents": [
                {"project_id": p, "bidder": o, "doc_id": d}
                for p, o, d in self._identity(pid, rec, other)
            ],
            "similarity": match.similarity,
            "estimated_jaccard": round(match.estimated_jaccard, 4),
            "text_kept": other_rec is not None,
            "thresholds": {
                "similarity": th.similarity,
                "cross_signature_jaccard": th.cross_signature_jaccard,
            },
        }
        if other_rec is not None and other_rec.prep is not None:
            evidence["passages"] = aligned_passages(
                rec.prep,
                rec.doc.text,
                other_rec.prep,
                other_rec.doc.text,
                top=th.max_passages,
                max_chars=th.passage_chars,
            )
            evidence["passages_offsets"] = {"a": rec.doc_id, "b": other.doc_id}
        else:
            evidence["note"] = (
                "the other project is archived; only its MinHash signature is kept, so the "
                "similarity is the signature's Jaccard estimate over character shingles"
            )
        return make_alert(
            "DOC-40-4",
            pid,
            identity={"cross_project": self._identity(pid, rec, other)},
            subjects=[rec.owner, other.owner],
            evidence=evidence,
            event_ids=[rec.event_id, other.event_id],
            first_seen=event.ts,
            locale=ctx.locale,
            projects=[pid, other.project_id],  # sealed while either project is
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

"""One project in depth: timeline, bidder graph, document similarity, scores, prices.

Before the opening only what witness/sealing.py allows is shown: lifecycle events by type
and time, alerts by catalogue title; every tab that would name a bidder says sealed.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import boq_view, evidence, formatting, queries, session
from dashboards.explain import Names
from dashboards.explain.core import money
from dashboards.feed import alert_card, flash
from dashboards.records import documents_panel
from witness.i18n import t
from witness.sealing import alert_view, event_views

acc = session.require("project")
store = session.store()
flash()

ids = session.visible_project_ids(acc)
asked = st.query_params.get("project")
if asked and asked not in ids:
    st.error(t("wall.project_denied", project=formatting.md_text(asked)))  # from the URL
    st.stop()
if not ids:
    st.info(t("wall.no_projects"))
    st.stop()
pid = st.selectbox(
    t("wall.project.choose"), ids, index=ids.index(asked) if asked else 0, key="project_pick"
)
st.query_params["project"] = pid
project = queries.projects(store, [pid])[0]
opened_ids = store.opened_projects()
opened = pid in opened_ids
loc = session.locale()

st.markdown(f"### {formatting.md_text(pid)} {formatting.md_text(project.name or '')}")
sealed_note = "" if opened else f" · 🔒 {t('wall.sealed_project')}"
st.caption(t("wall.stage", stage=formatting.stage(project.stage)) + sealed_note)

recorded = store.events(pid)
listed = event_views(recorded, opened_ids)  # what the timeline may list
events = recorded if opened else []  # details, scores and prices: only once opened
rows = queries.project_alerts(store, pid)
views = [alert_view(r, opened_ids, loc) for r in rows]
names = evidence.bidder_names(events, views) if opened else {}
people = Names(  # names beside ids in every explanation and table (only once opened)
    bidders=dict(names),
    experts={
        e.payload.expert.id: e.payload.expert.name or ""
        for e in events
        if e.type == "expert.assigned"
    },
    currency=next(
        (
            e.payload.currency
            for e in events
            if e.type == "project.registered" and getattr(e.payload, "currency", None)
        ),
        "CNY",
    ),
)
details = {e.event_id: evidence.event_detail(e, people) for e in events}

tabs = st.tabs(
    [
        t("wall.project.timeline"),
        t("wall.project.alerts"),
        t("wall.project.graph"),
        t("wall.project.docs"),
        t("wall.project.scores"),
        t("wall.project.prices"),
        t("wall.rec.title"),
        t("wall.project.boq"),
    ]
)

with tabs[0]:
    timeline = [
        {
            t("wall.col.time"): formatting.fmt_ts(e.ts),
            t("wall.col.kind"): t("wall.kind.event"),
            t("wall.col.what"): evidence.event_kind(e.type),
            t("wall.col.detail"): details.get(e.event_id, "") if not e.sealed else "",
            "_ts": e.ts,
        }
        for e in listed
    ] + [
        {
            t("wall.col.time"): formatting.fmt_ts(v.first_seen),
            t("wall.col.kind"): t("wall.kind.alert"),
            t("wall.col.what"): f"{formatting.SEVERITY_ICON.get(v.severity, '')} {v.rule} {v.title}"
            + (f" 🔒{t('wall.sealed')}" if v.sealed else ""),
            t("wall.col.detail"): "、".join(people.bidder(x) for x in v.subjects),
            "_ts": v.first_seen,
        }
        for v in views
    ]
    rule_of = {v.alert_id: v for v in views}
    for aid, ds in queries.decisions_for(store, list(rule_of)).items():
        for d in ds:  # officers' decisions belong to the record too
            timeline.append(
                {
                    t("wall.col.time"): formatting.fmt_ts(d.at),
                    t("wall.col.kind"): t("wall.kind.decision"),
                    t("wall.col.what"): f"{rule_of[aid].rule} → {t(f'status.{d.status_after}')}",
                    t("wall.col.detail"): f"{d.actor}" + (f"：{d.reason}" if d.reason else ""),
                    "_ts": d.at,
                }
            )
    timeline.sort(key=lambda r: formatting.aware(r["_ts"]))
    st.dataframe(
        pd.DataFrame([{k: v for k, v in r.items() if k != "_ts"} for r in timeline]),
        hide_index=True,
    )

with tabs[1]:
    decisions = queries.decisions_for(store, [r.alert_id for r in rows])
    for r in sorted(rows, key=lambda r: (r.severity != "red", r.severity != "orange")):
        alert_card(
            r,
            opened=opened_ids,
            acc=acc,
            decisions=decisions.get(r.alert_id, []),
            key="proj",
            names=people,
        )

with tabs[2]:
    if not opened:
        st.info(t("wall.project.sealed_section"))
    else:
        dot = evidence.relation_dot(views, names)
        if dot is None:
            st.caption(t("wall.project.graph_empty"))
        else:
            st.graphviz_chart(dot)
            st.caption(t("wall.project.graph_note"))

with tabs[3]:
    if not opened:
        st.info(t("wall.project.sealed_section"))
    else:
        findings = evidence.doc_findings(views)
        if not findings:
            st.caption(t("wall.project.docs_empty"))
        else:
            st.dataframe(evidence.similarity_matrix(findings).round(3))
            texts = {
                e.payload.doc_id: e.payload.text for e in events if e.type == "document.submitted"
            }
            for f in findings:
                st.markdown(
                    t(
                        "wall.doc.pair",
                        a=formatting.md_text(f"{f.get('bidder_a')} {f.get('doc_a', '')}"),
                        b=formatting.md_text(f"{f.get('bidder_b')} {f.get('doc_b', '')}"),
                        sim=f.get("similarity"),
                    )
                )
                for p in f.get("passages") or []:
                    left, right = st.columns(2)
                    a, b = evidence.passage_sides(
                        p, texts.get(f.get("doc_a")), texts.get(f.get("doc_b"))
                    )
                    left.markdown(a)
                    right.markdown(b)

with tabs[4]:
    scores = evidence.score_frame(events)
    if not opened:
        st.info(t("wall.project.sealed_section"))
    elif scores.empty:
        st.caption(t("wall.project.scores_empty"))
    else:
        marked = evidence.deviations(views)
        long = scores.reset_index().melt(id_vars="expert", var_name="bidder", value_name="score")
        # names beside ids: a short name on the axis, the credit code in the tooltip
        long["bidder_label"] = [evidence.short_name(names.get(b), b) for b in long["bidder"]]
        long["expert_label"] = [
            evidence.short_name(people.experts.get(x), x) for x in long["expert"]
        ]
        long["mark"] = [
            f"{s:g} ⚠" if (x, b) in marked else f"{s:g}"
            for x, b, s in zip(long["expert"], long["bidder"], long["score"], strict=True)
        ]
        base = alt.Chart(long).encode(
            x=alt.X("bidder_label:N", title=t("wall.col.bidder"), axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("expert_label:N", title=t("wall.col.expert")),
            tooltip=[
                alt.Tooltip("bidder_label:N", title=t("wall.col.bidder")),
                alt.Tooltip("bidder:N", title=t("ex.col.credit_code")),
                alt.Tooltip("expert_label:N", title=t("wall.col.expert")),
                alt.Tooltip("score:Q", title=t("wall.col.score")),
            ],
        )
        chart = base.mark_rect().encode(
            color=alt.Color("score:Q", scale=alt.Scale(scheme="blues"), title=t("wall.col.score"))
        ) + base.mark_text().encode(text="mark:N")
        st.altair_chart(chart)
        st.caption(t("wall.project.deviation"))
        st.dataframe(
            long.pivot_table(
                index="expert_label", columns="bidder_label", values="mark", aggfunc="first"
            ).rename_axis(index=t("wall.col.expert"), columns=t("wall.col.bidder"))
        )

with tabs[5]:
    if not opened:
        st.info(t("wall.project.sealed_section"))
    else:
        prices = evidence.price_frame(events, names)
        if prices.empty:
            st.caption(t("wall.project.prices_empty"))
        else:
            prices["price"] = [money(p, people.currency) for p in prices["price"]]
            st.dataframe(
                prices.rename(
                    columns={
                        "bidder": t("ex.col.credit_code"),
                        "name": t("wall.col.name"),
                        "price": t("wall.col.price"),
                    }
                ),
                hide_index=True,
            )
        for v in views:
            if v.rule.startswith("PRICE"):
                st.markdown(f"**{v.rule}** {formatting.md_text(v.title)}")
                formatting.show_evidence(v, people)

with tabs[6]:
    documents_panel(pid, acc, "project")

with tabs[7]:
    if not opened:
        st.info(t("wall.project.sealed_section"))
    else:
        boq_view.render(events, views, loc)

"""The project page's bill-of-quantities view: two bills side by side, matches marked.

Rebuilt from the recorded `boq.submitted` events with the detector's own alignment
(detectors/boq/bills.py), so the wall shows exactly the items the BOQ rules compared:
identical unit prices, prices at the alert's constant ratio or difference, and the
same wrong quantities or units are marked. Only called once the project is opened.
Pure table-building functions first (tested without Streamlit), `render` last.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from dashboards.formatting import md_text
from detectors.boq.bills import TENDER, lay_out, read_bill
from witness.events import Event
from witness.i18n import register, t
from witness.sealing import AlertView

MAX_ROWS = 2000
MARK = "background-color: #ffd6d6"
ERROR_MARK = "background-color: #ffe9b3"

register(
    {
        "wall.project.boq": ("工程量清单", "Bill of quantities"),
        "wall.boq.empty": ("尚无两家以上投标人的清单", "fewer than two bidders' bills so far"),
        "wall.boq.a": ("投标人 A", "Bidder A"),
        "wall.boq.b": ("投标人 B", "Bidder B"),
        "wall.boq.show": ("显示", "Show"),
        "wall.boq.all": ("全部清单项", "every item"),
        "wall.boq.marked": ("仅标记项", "marked items only"),
        "wall.boq.summary": (
            "两家均报价 {both} 项，综合单价相同 {same} 项（{share:.0%}）；标记：红色 = 相同或按告警比例/差额一致，黄色 = 相同的工程量/单位偏差",
            "{both} items priced by both, {same} with the same unit price ({share:.0%}); "
            "red = same price or at the alert's ratio/difference, yellow = the same wrong quantity/unit",
        ),
        "wall.boq.truncated": ("仅显示前 {n} 行", "first {n} rows shown"),
        "wall.boq.col.code": ("项目编码", "code"),
        "wall.boq.col.name": ("项目名称", "name"),
        "wall.boq.col.unit": ("计量单位", "unit"),
        "wall.boq.col.quantity": ("招标工程量", "tender quantity"),
        "wall.boq.col.control": ("控制价", "control price"),
        "wall.boq.col.price": ("{b} 综合单价", "{b} unit price"),
        "wall.boq.col.qty": ("{b} 工程量", "{b} quantity"),
        "wall.boq.col.bunit": ("{b} 单位", "{b} unit"),
    }
)


def latest_bills(events: Iterable[Event]) -> dict[str, Event]:
    """owner -> its latest `boq.submitted` event (a later bill replaces the earlier)."""
    out: dict[str, Event] = {}
    for e in events:
        if e.type == "boq.submitted":
            out[e.payload.bidder_id] = e
    return out


def boq_pairs(views: Iterable[AlertView]) -> list[tuple[str, list[str]]]:
    """(rule, subjects) of the BOQ alerts the wall may show."""
    return [(v.rule, list(v.subjects)) for v in views if v.rule.startswith("BOQ") and not v.sealed]


def _fit(views: Iterable[AlertView], a: str, b: str) -> tuple[str, float] | None:
    """A BOQ-RATIO alert's fit between a and b, oriented as b from a."""
    for v in views:
        if v.rule == "BOQ-RATIO" and not v.sealed and sorted(v.subjects) == sorted([a, b]):
            kind, value = v.evidence.get("kind"), v.evidence.get(v.evidence.get("kind", ""))
            if kind in ("ratio", "difference") and isinstance(value, int | float):
                flip = v.subjects[0] != a
                if kind == "ratio":
                    return kind, (1 / value if flip and value else value)
                return kind, (-value if flip else value)
    return None


def side_by_side(
    bills: dict[str, Event],
    a: str,
    b: str,
    *,
    views: Iterable[AlertView] = (),
    tolerance: float = 0.005,
    locale: str = "zh-CN",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two bills on the tender's item order, and a same-shaped frame of cell marks."""
    order = [bills[o] for o in (TENDER, a, b) if o in bills]
    read = [read_bill(e.payload, e.event_id, ()) for e in order]
    index, laid = lay_out(read)
    tender = laid[0] if TENDER in bills else None
    la, lb = laid[-2], laid[-1]
    names = np.array(
        [
            next((x.bill.names[x.item(r)] for x in laid if x.item(r) is not None), None)
            for r in range(len(index.keys))
        ],
        dtype=object,
    )
    col = {k: t(f"wall.boq.col.{k}", locale) for k in ("code", "name", "unit", "quantity")}
    pa, pb = t("wall.boq.col.price", locale, b=a), t("wall.boq.col.price", locale, b=b)
    qa, qb = t("wall.boq.col.qty", locale, b=a), t("wall.boq.col.qty", locale, b=b)
    ua, ub = t("wall.boq.col.bunit", locale, b=a), t("wall.boq.col.bunit", locale, b=b)
    ref = tender or la
    frame = pd.DataFrame(
        {
            col["code"]: [k[0] for k in index.keys],
            col["name"]: names,
            col["unit"]: ref.units,
            col["quantity"]: ref.quantity,
            t("wall.boq.col.control", locale): tender.price if tender else np.nan,
            pa: la.price,
            pb: lb.price,
            qa: la.quantity,
            qb: lb.quantity,
            ua: la.units,
            ub: lb.units,
        }
    )
    marks = pd.DataFrame("", index=frame.index, columns=frame.columns)
    both = la.priced & lb.priced
    same = both & (np.abs(np.nan_to_num(la.price - lb.price, nan=np.inf)) < tolerance)
    fit = _fit(views, a, b)
    if fit is not None:
        kind, value = fit
        expected = la.price * value if kind == "ratio" else la.price + value
        same |= both & (np.abs(lb.price - expected) <= 0.03 + 0.001 * np.abs(lb.price))
    for c in (pa, pb):
        marks.loc[same, c] = MARK
    if tender is not None:
        tq = tender.quantity
        wrong_q = la.present & lb.present & (la.quantity == lb.quantity)
        wrong_q &= np.abs(np.nan_to_num(la.quantity - tq, nan=0.0)) > 1e-4 * np.maximum(
            np.abs(np.nan_to_num(tq)), 1
        )
        wrong_u = (la.units == lb.units) & (la.units != tender.units) & (la.units != "")
        for c in (qa, qb):
            marks.loc[wrong_q, c] = ERROR_MARK
        for c in (ua, ub):
            marks.loc[wrong_u & la.present & lb.present, c] = ERROR_MARK
    return frame, marks


def summary(
    frame: pd.DataFrame, marks: pd.DataFrame, a: str, b: str, locale: str
) -> dict[str, Any]:
    pa, pb = t("wall.boq.col.price", locale, b=a), t("wall.boq.col.price", locale, b=b)
    both = int(((frame[pa] > 0) & (frame[pb] > 0)).sum())
    same = int(((frame[pa] > 0) & (frame[pb] > 0) & (frame[pa] - frame[pb]).abs().lt(0.005)).sum())
    return {"both": both, "same": same, "share": same / both if both else 0.0}


def render(events: list[Event], views: list[AlertView], locale: str) -> None:
    """The tab: pick two bidders (the first BOQ alert's pair by default), see the table."""
    import streamlit as st

    bills = latest_bills(events)
    bidders = sorted(o for o in bills if o != TENDER)
    if len(bidders) < 2:
        st.caption(t("wall.boq.empty"))
        return
    pairs = boq_pairs(views)
    default = next((s for _, s in pairs if len(s) >= 2 and set(s[:2]) <= set(bidders)), bidders[:2])
    left, right, show = st.columns([2, 2, 3])
    a = left.selectbox(t("wall.boq.a"), bidders, index=bidders.index(default[0]), key="boq_a")
    rest = [x for x in bidders if x != a]
    b_default = default[1] if default[1] in rest else rest[0]
    b = right.selectbox(t("wall.boq.b"), rest, index=rest.index(b_default), key="boq_b")
    only = show.radio(
        t("wall.boq.show"),
        [t("wall.boq.all"), t("wall.boq.marked")],
        horizontal=True,
        key="boq_show",
    ) == t("wall.boq.marked")
    frame, marks = side_by_side(bills, a, b, views=views, locale=locale)
    st.caption(t("wall.boq.summary", **summary(frame, marks, a, b, locale)))
    if only:
        keep = (marks != "").any(axis=1)
        frame, marks = frame[keep], marks[keep]
    if len(frame) > MAX_ROWS:
        st.caption(t("wall.boq.truncated", n=MAX_ROWS))
        frame, marks = frame.head(MAX_ROWS), marks.head(MAX_ROWS)
    st.dataframe(frame.style.apply(lambda _: marks, axis=None), hide_index=True)
    for v in views:
        if v.rule.startswith("BOQ") and not v.sealed and {a, b} <= set(v.subjects):
            st.markdown(f"**{v.rule}** {md_text(v.title)}")

"""The wall's bill-of-quantities tab: two bills side by side, matching cells marked, sealed
until the opening."""

from __future__ import annotations

import random

import pytest

from dashboards import boq_view
from detectors import Engine, all_detectors
from detectors.offline import run_detectors
from tests.boq.conftest import independent
from tests.support.wall_seed import login, seed, text_of
from witness.events import make_event
from witness.sealing import alert_view
from witness.simulator import bill_pricing as sb
from witness.store import Store


def _bills(project: str, ts: str) -> list:
    w = sb.make_works(random.Random(4), 40)
    master = independent(1, w, with_components=False)
    copy = sb.copied(random.Random(2), master, 0.1)
    slipped = sb.copy_lines(copy)
    slipped[3]["quantity"] = 999.0
    master[3]["quantity"] = 999.0  # the same wrong quantity in both
    lines = {
        "tender": sb.control_bill(w, with_components=False),
        f"{project}-A": master,
        f"{project}-B": slipped,
        f"{project}-C": independent(3, w, with_components=False),
    }
    return [
        make_event(
            "boq.submitted",
            project,
            ts,
            {"bidder_id": o, "doc_id": f"{project}-{o}", "items": items},
            event_id=f"boq-{project}-{o}",
        )
        for o, items in lines.items()
    ]


def test_side_by_side_marks_identical_prices_and_shared_slips() -> None:
    events = _bills("PX", "2026-11-20T09:00:00+08:00")
    bills = boq_view.latest_bills(events)
    frame, marks = boq_view.side_by_side(bills, "PX-A", "PX-B", locale="en")
    pa, pb = "PX-A unit price", "PX-B unit price"
    same = (frame[pa] - frame[pb]).abs() < 0.005
    assert same.sum() >= 0.8 * len(frame) - len(sb.FIXED_ITEMS) - 1
    assert ((marks[pa] != "") == same).all() and ((marks[pb] != "") == same).all()
    assert marks.loc[3, "PX-A quantity"] != "" and marks.loc[4, "PX-A quantity"] == ""
    assert frame.loc[3, "tender quantity"] != 999.0
    s = boq_view.summary(frame, marks, "PX-A", "PX-B", "en")
    assert s["same"] == int(same.sum()) and 0.8 <= s["share"] <= 1.0
    # an honest pair: hardly any marks
    _, honest = boq_view.side_by_side(bills, "PX-A", "PX-C", locale="en")
    assert (honest["PX-A unit price"] != "").sum() <= 0.2 * len(frame)


def test_ratio_alert_marks_the_scaled_prices() -> None:
    w = sb.make_works(random.Random(4), 40)
    master = independent(1, w)
    events = [
        make_event(
            "boq.submitted",
            "PR",
            "2026-11-20T09:00:00+08:00",
            {"bidder_id": o, "doc_id": o, "items": items},
            event_id=f"e-{o}",
        )
        for o, items in (
            ("tender", sb.control_bill(w)),
            ("A", master),
            ("B", sb.scaled(master, 1.1)),
            ("C", independent(5, w)),
        )
    ] + [make_event("opening.started", "PR", "2026-11-20T10:00:00+08:00", {"room_id": "R"})]
    alerts = [a for a in run_detectors(events) if a.rule == "BOQ-RATIO"]
    views = [alert_view(a, {a.project_id}, "en") for a in alerts]
    bills = boq_view.latest_bills(events)
    for a, b in (("A", "B"), ("B", "A")):  # either way round
        frame, marks = boq_view.side_by_side(bills, a, b, views=views, locale="en")
        priced = frame[f"{a} unit price"] > 0
        assert (marks.loc[priced, f"{a} unit price"] != "").mean() >= 0.8


@pytest.fixture
def boq_wall(sqlite_url, monkeypatch):
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    store = Store(sqlite_url)
    seed(store)
    events = _bills("P1", "2026-11-20T08:00:00+08:00") + _bills("P2", "2026-11-20T08:00:00+08:00")
    engine = Engine(all_detectors())
    engine.process(
        make_event(
            "opening.started",
            "P1",
            "2026-11-20T08:30:00+08:00",
            {"room_id": "R1"},
            event_id="open-P1-boq",
        )
    )
    alerts = [a for e in events for a in engine.process(e).alerts]
    store.write(events, alerts)
    store.close()
    return sqlite_url


def test_project_page_shows_the_bills_side_by_side(boq_wall) -> None:
    at = login("root")
    at.switch_page("views/project.py").run()
    at.selectbox(key="project_pick").select("P1").run()
    assert not at.exception
    assert at.selectbox(key="boq_a").value == "P1-A" and at.selectbox(key="boq_b").value == "P1-B"
    text = text_of(at)
    assert "P1-A unit price" in text and "BOQ-SAME" in text
    assert "with the same unit price" in text
    at.radio(key="boq_show").set_value("marked items only").run()
    shown = at.dataframe[-1].value
    assert 0 < len(shown) < 44


def test_sealed_project_shows_no_bill(boq_wall) -> None:
    at = login("root")
    at.switch_page("views/project.py").run()
    at.selectbox(key="project_pick").select("P2").run()
    text = text_of(at)
    assert "boq_a" not in [s.key for s in at.selectbox]
    for forbidden in ("P2-A", "P2-B", "boq.submitted", "unit price"):
        assert forbidden not in text, forbidden

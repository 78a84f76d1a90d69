"""The wall's layout decisions: which projects, which tile first, how often it refreshes.

Pure functions first (dashboards/layout.py), then the page under AppTest: four projects
in a 2 × 2 grid with nine tiles each, and a red project the officer cannot push off.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from dashboards import layout
from dashboards.layout import ProjectSummary, TileState, choose_projects
from tests.support.wall_seed import DAY_PROJECTS, login, panel_titles, seed_day, tiles
from witness.alerts import make_alert
from witness.store import Store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def summary(pid, stage="evaluation", red=0, other=0, live=0):
    return ProjectSummary(pid, stage, red, other, live)


def test_auto_choice_prefers_live_and_later_stages_and_drops_archived():
    choice = choose_projects(
        [
            summary("A", "archived", other=9),
            summary("B", "bidding"),
            summary("C", "evaluation", live=1),
            summary("D", "opening", live=1),
            summary("E", "finished", other=2),
            summary("F", "registered"),
        ]
    )
    assert choice.shown == ("C", "D", "E", "B")
    assert choice.pinned == ()


def test_a_red_project_stays_whatever_the_officer_picked():
    summaries = [summary(p) for p in "ABCDE"] + [summary("R", "finished", red=1)]
    choice = choose_projects(summaries, picked=["A", "B", "C", "D"])
    assert "R" in choice.shown and choice.shown[0] == "R"
    assert choice.shown == ("R", "A", "B", "C")
    assert choice.crowded_out == ("D",)
    # decided: the officer's pick is back
    summaries[-1] = summary("R", "finished", red=0, other=1)
    assert choose_projects(summaries, picked=["A", "B", "C", "D"]).shown == ("A", "B", "C", "D")


def test_more_red_projects_than_the_wall_holds_are_named():
    summaries = [summary(p, red=i + 1) for i, p in enumerate("ABCDEF")]
    choice = choose_projects(summaries)
    assert choice.shown == ("F", "E", "D", "C")  # most red alerts first
    assert set(choice.pinned_overflow) == {"A", "B"}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(layout.STAGE_RANK)),
            st.integers(0, 3),
            st.integers(0, 3),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=12,
    ),
    st.none() | st.lists(st.integers(0, 11), max_size=6),
)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # a shared, busy machine
def test_choice_invariants(specs, picks):
    summaries = [summary(f"P{i}", *spec) for i, spec in enumerate(specs)]
    picked = None if picks is None else [f"P{i}" for i in picks]
    choice = choose_projects(summaries, picked)
    red = [s.project_id for s in summaries if s.open_red]
    assert len(choice.shown) == len(set(choice.shown)) <= layout.MAX_PROJECTS
    # every red project is on the wall or named as overflow: never silently gone
    assert set(red) == set(choice.pinned)
    assert set(red) <= set(choice.shown) | set(choice.pinned_overflow)
    if len(red) <= layout.MAX_PROJECTS:
        assert set(red) <= set(choice.shown)
    if picked is not None:
        for p in dict.fromkeys(picked):
            if p in {s.project_id for s in summaries}:
                placed = choice.shown + choice.crowded_out + choice.pinned_overflow
                assert p in placed


def tile(room, cam, alerts=0, session=False, age_s=5.0, status="online"):
    ts = None if age_s is None else NOW - timedelta(seconds=age_s)
    return TileState(room, cam, alerts, session, ts, status)


def test_tiles_by_activity_hot_then_live_then_idle():
    tiles_ = [
        tile("KB-1", "C1", session=False),  # opening room after its session
        tile("PB-1", "C2", session=True),
        tile("PB-1", "C1", session=True),
        tile("PB-2", "C1", alerts=1),
        tile("PB-3", "C1", alerts=3),
        tile("PB-1", "C3", session=True, age_s=600),  # stale picture: idle
        tile("PB-1", "C4", session=True, status="offline"),
    ]
    ordered = [(t.room_id, t.camera_id) for t in layout.order_tiles(tiles_, NOW)]
    assert ordered[:2] == [("PB-3", "C1"), ("PB-2", "C1")]  # most open alerts first
    assert ordered[2:4] == [("PB-1", "C1"), ("PB-1", "C2")]
    assert [layout.activity(t, NOW) for t in layout.order_tiles(tiles_, NOW)] == [
        "hot",
        "hot",
        "live",
        "live",
        "idle",
        "idle",
        "idle",
    ]
    assert layout.refresh_every("hot") < layout.refresh_every("live") < layout.refresh_every("idle")


# ---------------------------------------------------------------- the page


@pytest.fixture
def day_url(sqlite_url, monkeypatch):
    from dashboards import formatting  # noqa: F401  (registers strings)

    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    store = Store(sqlite_url)
    seed_day(store, datetime.now(UTC))
    store.close()
    return sqlite_url


def test_four_projects_in_two_rows_of_two_with_nine_tiles_each(day_url):
    at = login("wang")
    assert not at.exception
    assert [t.split()[0] for t in panel_titles(at)] == DAY_PROJECTS
    shown = tiles(at)
    for pid in DAY_PROJECTS:
        mine = [k for k in shown if k.startswith(f"{pid}/")]
        assert len(mine) == 9, mine
        assert all(shown[k][1] for k in mine)  # every tile has its thumbnail
        # the evaluation under way first, the finished opening's cameras after (dimmed)
        assert [shown[k][0] for k in mine] == ["live"] * 5 + ["idle"] * 4
    # the grid is two rows of two panels
    rows = panel_rows(at)
    assert rows == [["D1", "D2"], ["D3", "D4"]]


def panel_rows(at: AppTest) -> list[list[str]]:
    """Panels grouped by the row of columns (nearest horizontal block) that holds them."""
    rows: dict[int, list[str]] = {}

    def is_row(node) -> bool:
        kids = getattr(node, "children", {}).values()
        return any(type(k).__name__ == "Column" for k in kids)

    def walk(node, row_id):
        if is_row(node):
            row_id = id(node)
        proto = getattr(node, "proto", None)
        block_id = getattr(proto, "id", "") if proto is not None else ""
        if isinstance(block_id, str) and "-panel_" in block_id:
            rows.setdefault(row_id, []).append(block_id.split("-panel_")[1])
            return
        for child in getattr(node, "children", {}).values():
            walk(child, row_id)

    walk(at._tree, None)
    return list(rows.values())


def test_a_red_project_the_officer_deselects_stays_on_the_wall(day_url):
    store = Store(day_url)
    alert = make_alert(
        "REL-40-3",
        "D2",
        identity={"cert_no": "PM-X"},
        subjects=["D2-A", "D2-B"],
        evidence={},
        event_ids=[],
        first_seen=NOW,
    )
    store.write(alerts=[alert])
    at = login("wang")
    at.multiselect(key="wall_pick").set_value(["D1", "D3", "D4"]).run()
    titles = [t.split()[0] for t in panel_titles(at)]
    assert titles[0] == "D2" and set(titles) == {"D1", "D2", "D3", "D4"}
    assert any("open red alerts keep these on the wall" in c.value for c in at.caption)
    # once decided it may leave
    for row in store.alerts(project_ids=["D2"], severity="red", status="open"):
        store.decide(row.alert_id, "refer", "wang", "to the committee")
    at.multiselect(key="wall_pick").set_value(["D1", "D3", "D4"]).run()
    assert [t.split()[0] for t in panel_titles(at)] == ["D1", "D3", "D4"]
    store.close()


def test_panels_keep_their_places_when_the_choice_changes():
    assert layout.keep_places([], ["A", "B", "C", "D"]) == ["A", "B", "C", "D"]
    # D1 was decided and fell back in the order: it keeps its place
    assert layout.keep_places(["D1", "D2", "D3", "D4"], ["D2", "D3", "D4", "D1"]) == [
        "D1",
        "D2",
        "D3",
        "D4",
    ]
    # B left the wall: the newcomer takes B's place, the others stay put
    assert layout.keep_places(["A", "B", "C", "D"], ["E", "A", "C", "D"]) == ["A", "E", "C", "D"]
    assert layout.keep_places(["A", "B", "C", "D"], ["C"]) == ["C"]

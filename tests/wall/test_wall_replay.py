"""Auditors' replay: events, alert versions and decisions in time; statuses as they were.

Decisions are logged on the shared clock (witness/timebase.py), so a clock set to the
seeded day puts them between the events, where an officer would have made them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.playback import ALERT, DECISION, EVENT, Replay
from tests.support.wall_seed import APP, PASSWORD, seed, text_of
from witness import timebase
from witness.store import Store

DECIDED_AT = datetime.fromisoformat("2026-11-20T10:45:00+08:00")


def test_clock_spec_round_trip_and_a_clock_set_to_another_day(monkeypatch):
    real = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    clock = timebase.Clock(DECIDED_AT, 6, real)
    assert timebase.Clock.parse(clock.spec()) == clock
    assert clock.at(real) == DECIDED_AT
    assert clock.at(real + timedelta(seconds=10)) == DECIDED_AT + timedelta(seconds=60)
    assert clock.real_seconds(60) == 10
    demo = timebase.Clock(real, 4)
    assert demo.at(real + timedelta(minutes=1)) == real + timedelta(minutes=4)
    monkeypatch.setenv(timebase.ENV, clock.spec())
    assert abs((timebase.now() - clock.now()).total_seconds()) < 5
    for bad in ("yesterday@4", "2026-11-20T10:45:00@4", "2026-11-20T10:45:00+08:00@0", "x"):
        with pytest.raises(ValueError, match="WITNESS_CLOCK"):
            timebase.Clock.parse(bad)


@pytest.fixture
def decided(sqlite_url, monkeypatch):
    """The seeded store; an officer acknowledges then dismisses P1's REL-40-6 at 10:45."""
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    store = Store(sqlite_url)
    ids = seed(store)
    monkeypatch.setenv(timebase.ENV, timebase.Clock(DECIDED_AT, 1, datetime.now(UTC)).spec())
    aid = ids["P1:REL-40-6"]
    store.decide(aid, "acknowledge", "li")
    store.decide(aid, "dismiss", "li", "same parent, disclosed")
    monkeypatch.delenv(timebase.ENV)
    yield store, aid
    store.close()


def test_replay_orders_decisions_between_the_events_and_knows_the_status_then(decided):
    store, aid = decided
    replay = Replay.from_links(store.ledger("P1"))
    kinds = [s.kind for s in replay.steps]
    assert set(kinds) == {EVENT, ALERT, DECISION}
    assert [s.at for s in replay.steps] == sorted(s.at for s in replay.steps)
    first_decision = kinds.index(DECISION)
    # the frames at 10:30 and the scores at 11:00 bracket the decisions at 10:45
    before = [s for s in replay.steps[:first_decision] if s.kind == EVENT]
    after = [s for s in replay.steps[first_decision:] if s.kind == EVENT]
    assert before and after
    assert all(s.body["type"] != "score.submitted" for s in before)

    def status(i):
        return {body["alert_id"]: st for body, st, _ in replay.alerts_at(i)}.get(aid)

    raised = next(i for i, s in enumerate(replay.steps) if s.kind == ALERT and s.ref == aid)
    assert status(raised - 1) is None  # not raised yet
    assert status(raised) == "open"
    assert status(first_decision) == "acknowledged"
    assert status(first_decision + 1) == "dismissed"
    assert status(len(replay) - 1) == "dismissed"
    # jumps
    assert replay.next_of(-1, ALERT) == kinds.index(ALERT)
    assert replay.next_of(raised, DECISION) == first_decision
    assert replay.next_of(first_decision + 1, DECISION) is None
    assert replay.index_at(DECIDED_AT + timedelta(minutes=1)) >= first_decision + 1


def test_sealed_events_stay_out_of_a_sealed_projects_replay(decided):
    store, _ = decided
    replay = Replay.from_links(store.ledger("P2"), lambda etype: etype != "bid.submitted")
    assert all(s.body.get("type") != "bid.submitted" for s in replay.steps if s.kind == EVENT)


def login_auditor() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    at.text_input(key="login_user").input("audit")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("views/archive.py").run()
    at.checkbox(key="archive_all").check().run()
    at.selectbox(key="archive_project").select("P1").run()
    return at


def test_auditor_plays_jumps_and_sees_statuses_then(decided):
    store, aid = decided
    at = login_auditor()
    assert not at.exception
    assert "events" in text_of(at) and "decisions" in text_of(at)
    at.button(key="replay_next_alert").click().run()
    text = text_of(at)
    assert "alert" in text and "step " in text
    at.button(key="replay_next_decision").click().run()
    text = text_of(at)
    assert "li: acknowledged" in text
    labels = [e.label for e in at.expander]
    assert any("Bid bonds" in lb and "acknowledged" in lb for lb in labels), labels
    at.button(key="replay_next").click().run()
    labels = [e.label for e in at.expander]
    assert any("Bid bonds" in lb and "dismissed" in lb for lb in labels), labels
    # back to the start, then play: every run (the timer's tick) moves the cursor on
    at.slider(key="replay_slider").set_value(1).run()
    assert not at.expander
    at.button(key="replay_play").click().run()
    first = at.session_state["replay_pos"]
    at.run()
    assert at.session_state["replay_pos"] > first
    at.button(key="replay_play").click().run()  # pause
    paused = at.session_state["replay_pos"]
    at.run()
    assert at.session_state["replay_pos"] == paused


def test_liveness_and_sign_ins_count_real_time_on_a_fast_clock(monkeypatch, sqlite_url):
    """On the demo's 6x clock a heartbeat 40 real seconds old is not stale, and a 12-hour
    sign-in lasts 12 real hours (72 on the clock)."""
    from witness.store import logins
    from witness.store.health import HEARTBEAT, is_stale
    from witness.store.models import ServiceHealth, utcnow

    monkeypatch.setenv(timebase.ENV, timebase.Clock(datetime.now(UTC), 6).spec())
    now = utcnow()
    beat = ServiceHealth(service="recorder", instance="x", status="ok", since=now)
    beat.updated_at = now - 6 * timedelta(seconds=40)  # 40 real seconds ago, on the clock
    assert timedelta(seconds=40) < 2 * HEARTBEAT and not is_stale(beat, now)
    beat.updated_at = now - 6 * 3 * HEARTBEAT  # three heartbeats of real time
    assert is_stale(beat, now)
    store = Store(sqlite_url)
    from witness.store import accounts

    accounts.BCRYPT_ROUNDS = 4
    accounts.add_user(store.engine, "li", PASSWORD, "officer")
    token = logins.start(store.engine, "li", hours=12)
    assert logins.user_of(store.engine, token) == "li"
    from sqlmodel import Session, select

    with Session(store.engine) as s:
        row = s.execute(select(logins.LoginRow)).scalars().one()
    lasts = row.expires_at.replace(tzinfo=UTC) - row.created_at.replace(tzinfo=UTC)
    assert lasts == timedelta(hours=72)
    store.close()

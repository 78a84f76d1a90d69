"""The store on SQLite and PostgreSQL: ledger chain, idempotent writes, decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest

import detectors
from witness.events import make_event
from witness.store import DecisionError


def _project_events():
    evs = [
        make_event(
            "project.registered",
            "P1",
            "2026-11-20T08:00:00+08:00",
            {
                "name": "道路工程",
                "rooms": [{"room_id": "R1", "kind": "evaluation", "cameras": ["C1"]}],
            },
        )
    ]
    for i, b in enumerate("ABC"):
        evs.append(
            make_event(
                "bid.submitted",
                "P1",
                f"2026-11-20T09:0{i}:00+08:00",
                {
                    "bidder": {"id": b, "name": f"{b}公司"},
                    "price": 100 + i,
                    "bond": {"payer_account": "X1"},
                },
            )
        )
    return evs


def _fold(evs):
    eng = detectors.Engine(detectors.all_detectors())
    alerts = []
    for e in evs:
        alerts += eng.process(e).alerts
    return eng, alerts


def test_write_is_idempotent_and_chained(store):
    evs = _project_events()
    eng, alerts = _fold(evs)
    first = store.write(evs, alerts)
    again = store.write(evs, alerts)
    assert (first.new_events, first.changed_alerts) == (4, 1)
    assert (again.new_events, again.duplicate_events, again.changed_alerts) == (0, 4, 0)
    assert [link.kind for link in store.ledger("P1")] == ["event"] * 4 + ["alert"]
    assert store.verify_chain("P1") is None
    assert [e.event_id for e in store.events("P1")] == [e.event_id for e in evs]
    stored = store.alert_models()
    assert [a.content_key() for a in stored] == [a.content_key() for a in eng.alerts()]


def test_opening_unseals_alerts_and_sets_stage(store):
    evs = _project_events()
    _, alerts = _fold(evs)
    store.write(evs, alerts)
    assert store.alerts()[0].sealed is True
    store.write(
        [make_event("opening.started", "P1", "2026-11-21T09:00:00+08:00", {"room_id": "R1"})]
    )
    assert store.alerts()[0].sealed is False
    project = store.projects()[0]
    assert (project.stage, project.opened) == ("opening", True)


def test_decisions_are_logged_and_validated(store):
    evs = _project_events()
    _, alerts = _fold(evs)
    store.write(evs, alerts)
    aid = store.alerts()[0].alert_id
    with pytest.raises(DecisionError, match="reason"):
        store.decide(aid, "dismiss", "张三", reason=" ")
    store.decide(aid, "acknowledge", "张三")
    with pytest.raises(DecisionError, match="acknowledged"):
        store.decide(aid, "acknowledge", "李四")
    store.decide(aid, "refer", "张三", reason="移交评标委员会")
    assert store.alerts()[0].status == "referred"
    assert [d.action for d in store.decisions(aid)] == ["acknowledge", "refer"]
    assert [link.kind for link in store.ledger("P1")][-2:] == ["decision", "decision"]
    assert store.verify_chain("P1") is None


def test_latest_frame_keeps_newest_and_thumbnail(store):
    def frame(ts, thumb=None):
        payload = {
            "camera_id": "C1",
            "room_id": "R1",
            "width": 640,
            "height": 360,
            "brightness": 120,
            "sharpness": 300,
            "frozen": False,
            "motion": 0.1,
            "scene_change": 0.0,
            "persons": 5,
            "faces": 2,
        }
        if thumb:
            payload["thumbnail"] = thumb
        return make_event("frame.analyzed", "*", ts, payload)

    store.write([frame("2026-11-20T09:00:00+08:00", "AAAA"), frame("2026-11-20T09:00:10+08:00")])
    store.write([frame("2026-11-20T08:59:00+08:00", "OLD")])
    with store.session() as s:
        from witness.store.models import LatestFrame

        lf = s.get(LatestFrame, ("R1", "C1"))
        assert lf.thumbnail == "AAAA"
        assert lf.metrics["persons"] == 5
        assert lf.ts.isoformat().startswith("2026-11-20T01:00:10")
    ledger = store.ledger("room/R1")
    assert len(ledger) == 3 and all("thumbnail" not in link.body for link in ledger)


def test_migrations_match_the_models(store):
    """Alembic head builds exactly the tables the code declares (no drift, both backends)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import witness.store.accounts  # noqa: F401
    from witness.store.migrate import current_revision, head_revision

    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as conn:
        drift = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert drift == []


def test_an_earlier_version_delivered_again_is_not_recorded_again(store):
    """A worker restarted past its last commit publishes an alert's versions again,
    batched otherwise: the stale ones are not news, and the final one is not a second
    record of what the ledger already holds."""
    from datetime import timedelta

    evs = _project_events()
    _, alerts = _fold(evs)
    first = alerts[0]
    v = [
        first.model_copy(
            update={"last_seen": first.last_seen + timedelta(minutes=m), "event_ids": ids}
        )
        for m, ids in ((1, ["a"]), (5, ["a", "b"]), (3, ["a", "c"]))
    ]
    store.write(evs, [v[0]])
    store.write((), [v[1]])
    again = store.write((), [v[2], v[1]])  # an intermediate version, then the last again
    assert again.changed_alerts == 0
    links = [link for link in store.ledger("P1") if link.kind == "alert"]
    assert len(links) == 2
    (row,) = [a for a in store.alert_models() if a.alert_id == first.alert_id]
    assert row.content_key() == v[1].content_key()
    newer = v[1].model_copy(update={"event_ids": ["a", "b", "d"]})  # same time, news
    assert store.write((), [newer]).changed_alerts == 1


def test_a_sealed_version_sent_again_after_the_opening_is_not_recorded(store):
    """Sealing only lifts: the sealed version from before the opening, re-published by a
    restarted worker, must not re-seal the recorded alert (nor the unsealed one be
    recorded a second time after it)."""
    evs = _project_events()
    _, alerts = _fold(evs)
    sealed = alerts[0].model_copy(update={"sealed": True})
    opened = sealed.model_copy(update={"sealed": False})
    store.write(evs, [sealed])
    assert store.write((), [opened]).changed_alerts == 1
    again = store.write((), [sealed, opened])
    assert again.changed_alerts == 0
    links = [link for link in store.ledger("P1") if link.kind == "alert"]
    assert len(links) == 2
    (row,) = [a for a in store.alert_models() if a.alert_id == sealed.alert_id]
    assert row.sealed is False
    later = sealed.model_copy(update={"last_seen": sealed.last_seen + timedelta(minutes=1)})
    assert store.write((), [later]).changed_alerts == 1  # newer evidence is news

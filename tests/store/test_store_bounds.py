"""Whatever the contract accepts, the store accepts, on SQLite and PostgreSQL alike.

The columns are sized from the contract's bounds (witness/events.py MAX_ID_CHARS); these
tests write every bounded id at its longest (in 4-byte characters, the worst case for
PostgreSQL's index entries), check the contract refuses one character more, and check
the migrated schema is the one the models describe.
"""

from __future__ import annotations

import pytest

import detectors
from witness.alerts import make_alert
from witness.events import MAX_ID_CHARS, ContractError, make_event, parse_event
from witness.store import DeadLetterRecord

WIDE = "\U00020000"  # 𠀀, four bytes of UTF-8


def longest(tag: str, n: int = MAX_ID_CHARS) -> str:
    return (tag + WIDE * n)[:n]


PROJECT, ROOM, CAMERA = longest("P"), longest("R"), longest("C")
ENTITY_A, ENTITY_B = longest("A"), longest("B")
TS = "2026-11-20T09:00:00+08:00"


def _events():
    frame = {
        "camera_id": CAMERA,
        "room_id": ROOM,
        "width": 640,
        "height": 480,
        "brightness": 100,
        "sharpness": 50,
        "motion": 0.1,
        "scene_change": 0,
        "persons": 2,
        "faces": 1,
    }
    room = {"room_id": ROOM, "kind": "evaluation", "cameras": [CAMERA]}
    session = {
        "room_id": ROOM,
        "project_id": PROJECT,
        "kind": "evaluation",
        "state": "under_way",
        "roster": ["E1"],
        "cameras": [CAMERA],
        "since": TS,
    }
    specs = [
        ("project.registered", PROJECT, {"name": "名" * 4096, "rooms": [room]}),
        ("opening.started", PROJECT, {"room_id": ROOM}),
        ("evaluation.started", PROJECT, {"room_id": ROOM, "planned_minutes": 60}),
        ("room.session", PROJECT, session),
        ("frame.analyzed", "*", frame),
        ("camera.status", "*", {"camera_id": CAMERA, "room_id": ROOM, "status": "offline"}),
        ("registry.relation", "*", {"a": ENTITY_A, "b": ENTITY_B, "kind": "legal_rep"}),
        ("evaluation.finished", PROJECT, {"room_id": ROOM, "ranking": []}),
    ]
    return [
        make_event(kind, project, TS, payload, event_id=longest(f"{i}-"))
        for i, (kind, project, payload) in enumerate(specs)
    ]


def test_every_bounded_id_at_its_longest_is_stored(store):
    events = _events()
    alert = make_alert(
        "VID-OFFLINE",
        PROJECT,
        identity=[ROOM, CAMERA],
        subjects=[ROOM, CAMERA],
        evidence={"room_id": ROOM},
        event_ids=[e.event_id for e in events],
        first_seen=events[0].ts,
        room_id=ROOM,
    )
    dead = DeadLetterRecord("file:/" + "x" * 5000, -1, 1, PROJECT, "e" * 9000, b"{}", "store")
    result = store.write(events, [alert], [dead])
    assert (result.new_events, result.changed_alerts, result.dead_letters) == (len(events), 1, 1)
    assert [e.event_id for e in store.events()] == [e.event_id for e in events]
    assert store.events() == events
    assert [a.room_id for a in store.alert_models()] == [ROOM]
    for chain in (PROJECT, f"room/{ROOM}", f"registry/{ENTITY_A}"):
        assert store.verify_chain(chain) is None, chain
    from witness.store.models import LatestFrame, RoomRow

    with store.session() as s:
        frame = s.get(LatestFrame, (ROOM, CAMERA))
        assert frame is not None and frame.status == "offline"
        assert s.get(RoomRow, ROOM).project_id == PROJECT


def test_the_contract_refuses_one_character_more():
    for event in _events():
        raw = event.to_dict()
        for path in (("event_id",), ("project_id",), ("payload", "room_id"), ("payload", "a")):
            target = raw
            for key in path[:-1]:
                target = target[key]
            if path[-1] not in target or target[path[-1]] == "*":
                continue
            bad = {**raw, "payload": dict(raw["payload"])}
            holder = bad if len(path) == 1 else bad["payload"]
            holder[path[-1]] = holder[path[-1]] + "x"
            with pytest.raises(ContractError, match="at most 256 characters"):
                parse_event(bad)


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_text_no_database_could_keep_is_refused_by_the_contract(text):
    raw = {
        "event_id": "e1",
        "type": "project.registered",
        "project_id": "P",
        "ts": TS,
        "payload": {"name": text},
    }
    with pytest.raises(ContractError, match="field payload.name: contains a"):
        parse_event(raw)
    extra = {**raw, "payload": {"name": "ok", "note": [text]}}  # extra fields too
    with pytest.raises(ContractError, match="field payload.note.0"):
        parse_event(extra)


def test_a_dead_letter_is_always_storable(store):
    """NUL and lone surrogates in what is dead-lettered (PostgreSQL refuses NUL in text)."""
    hostile = DeadLetterRecord(
        "witness.events", 0, 5, "k\x00\ud800", "bad \x00 byte", b'{"a":"\x00\xff"}', "detector:x"
    )
    assert store.write(dead_letters=[hostile]).dead_letters == 1
    assert store.write(dead_letters=[hostile]).dead_letters == 0  # once per origin and stage
    other_stage = DeadLetterRecord("witness.events", 0, 5, None, "refused", b"{}", "store")
    assert store.write(dead_letters=[other_stage]).dead_letters == 1


def test_the_migrated_schema_is_what_the_models_say(store):
    """Models and migrations agree column by column (types and lengths included)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import witness.store.accounts  # noqa: F401 - registers its tables
    import witness.store.models  # noqa: F401

    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, SQLModel.metadata) == []


def test_replay_agrees_with_the_store_on_the_longest_ids(store):
    events = _events()
    engine = detectors.Engine(detectors.all_detectors())
    alerts = [a for e in events for a in engine.process(e).alerts]
    store.write(events, alerts)
    assert {a.alert_id for a in store.alert_models()} == {a.alert_id for a in engine.alerts()}


def test_ids_derived_from_the_longest_ids_stay_in_bounds():
    """Sessions, frames and camera status build their ids from others: still valid."""
    from datetime import datetime

    from streams.camera_agent import CameraSpec, frame_event, status_event
    from witness.events import derived_id

    spec = CameraSpec(ROOM, CAMERA, "file.mp4")
    at = datetime.fromisoformat(TS)
    assert status_event(spec, at, "offline").event_id.startswith("status:")
    frame = frame_event(
        spec,
        at,
        {
            "width": 1,
            "height": 1,
            "brightness": 1,
            "sharpness": 1,
            "motion": 0,
            "scene_change": 0,
            "persons": 0,
            "faces": 0,
        },
    )
    assert len(frame.event_id) <= MAX_ID_CHARS
    assert derived_id("frame", "R1", "C1", TS) == f"frame:R1:C1:{TS}"  # short ids stay readable
    assert derived_id("frame", ROOM, "C1") != derived_id("frame", ROOM, "C2")

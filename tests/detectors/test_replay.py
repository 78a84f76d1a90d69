"""Replay gives the live alerts: from a file, and from a stored project with its context."""

from __future__ import annotations

import detectors
from detectors.offline import compare, replay
from witness.events import make_event
from witness.store.history import project_history


def _stream():
    reg = make_event(
        "registry.relation",
        "*",
        "2026-11-01T00:00:00+08:00",
        {"a": "91A", "b": "91B", "kind": "shareholder", "share": 0.8, "source": "工商登记"},
    )
    evs = [
        reg,
        make_event(
            "project.registered",
            "P9",
            "2026-11-20T08:00:00+08:00",
            {
                "name": "学校改造",
                "rooms": [{"room_id": "R9", "kind": "opening", "cameras": ["C9"]}],
            },
        ),
    ]
    for i, bidder in enumerate(["91A", "91B", "91C"]):
        evs.append(
            make_event(
                "bid.submitted",
                "P9",
                f"2026-11-20T09:0{i}:00+08:00",
                {"bidder": {"id": bidder, "name": f"公司{bidder}"}, "price": 100 + 7 * i},
            )
        )
    return evs


def test_project_replay_includes_registry_context(store):
    events = _stream()
    engine = detectors.Engine(detectors.all_detectors())
    live = []
    for e in events:
        live += engine.process(e).alerts
    store.write(events, live)
    assert any(a.rule == "REL-34" for a in engine.alerts()), "the registry fact must tie A to B"

    history = project_history(store, "P9")
    assert history[0].type == "registry.relation"
    now = [a for a in replay(history) if a.project_id == "P9"]
    result = compare(store.alert_models(project_ids=["P9"]), now)
    assert result.identical, (result.new, result.gone, result.changed)
    assert {a.rule for a in result.same} >= {"REL-34"}


def test_compare_ignores_locale_of_titles():
    events = _stream()
    zh = replay(events, locale="zh-CN")
    en = replay(events, locale="en")
    assert {a.title for a in zh} != {a.title for a in en}
    assert compare(zh, en).identical


def test_video_alerts_are_never_sealed():
    from detectors.engine import Engine
    from witness.alerts import make_alert

    class Always:
        name, rules = "always", ("VID-TAMPER", "REL-40-6")

        def key(self, event):
            return event.project_id

        def initial(self):
            return None

        def step(self, state, event, ctx):
            common = dict(
                subjects=["x"], evidence={}, event_ids=[event.event_id], first_seen=event.ts
            )
            return state, [
                make_alert("VID-TAMPER", "P1", identity=1, room_id="R1", **common),
                make_alert("REL-40-6", "P1", identity=2, **common),
            ]

    out = Engine([Always()]).process(
        make_event(
            "bid.submitted",
            "P1",
            "2026-11-20T09:00:00+08:00",
            {"bidder": {"id": "A", "name": "A"}, "price": 1},
        )
    )
    sealed = {a.rule: a.sealed for a in out.alerts}
    assert sealed == {"VID-TAMPER": False, "REL-40-6": True}

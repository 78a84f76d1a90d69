"""The ops page, the page for alerts of no single project, evidence cards and messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboards import queries
from tests.support.wall_seed import as_read, login, seed, text_of
from witness.alerts import make_alert
from witness.store import Store
from witness.store.models import ConsumerLag
from witness.store.store import DeadLetterRecord


@pytest.fixture
def wall_url(sqlite_url, monkeypatch):
    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)  # zh-CN, the default
    store = Store(sqlite_url)
    ids = seed(store)
    yield store, ids
    store.close()


def lag_row(group, partition, position, lag, rate):
    return ConsumerLag(
        group_id=group,
        topic="witness.events",
        partition=partition,
        position=position,
        end_offset=position + lag,
        lag=lag,
        events_per_s=rate,
    )


def test_group_rate_is_not_summed_per_partition():
    rows = [lag_row("witness-recorder", p, 100 * p, p, 29.0) for p in range(6)]
    rows += [lag_row("witness-detectors", p, 50, 0, 0.0) for p in range(3)]
    groups = {g.group_id: g for g in queries.group_lag(rows)}
    assert groups["witness-recorder"].events_per_s == 29.0  # not 6 × 29
    assert groups["witness-recorder"].lag == sum(range(6))
    assert groups["witness-detectors"].events_per_s is None  # measured from positions instead
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    before = {"witness-detectors": (150, t0)}  # 3 partitions at 50
    later = [lag_row("witness-detectors", p, 150, 0, 0.0) for p in range(3)]  # +100 each
    for r in later:
        r.updated_at = t0 + timedelta(seconds=10)
    assert queries.measured_rates(queries.group_lag(later), before) == {"witness-detectors": 30.0}


def test_ops_page_speaks_chinese_and_repairs_a_dead_letter(wall_url):
    store, _ = wall_url
    store.record_lag([lag_row("witness-recorder", p, 10, 2, 29.0) for p in range(6)])
    # a deployment's topic prefix comes before the group's name; the role is still named
    store.record_lag([lag_row("centre-a.witness-cross-project", 0, 10, 10, 1.0)])
    bad_status = (
        b'{"event_id":"x-1","type":"camera.status","project_id":"*",'
        b'"ts":"2026-11-20T10:00:00+08:00","source":"gw",'
        b'"payload":{"camera_id":"C1","room_id":"R1","status":"broken"}}'
    )
    sealed_bid = (
        b'{"event_id":"x-2","type":"bid.submitted","project_id":"P2",'
        b'"ts":"2026-11-21T09:00:00+08:00","source":"tp","payload":{"price":"SECRET-123"}}'
    )
    store.write(
        dead_letters=[
            DeadLetterRecord("witness.events", 0, 1, "*", "field payload.status: bad", bad_status),
            DeadLetterRecord(
                "witness.events", 0, 2, "P2", "field payload.bidder: missing", sealed_bid
            ),
        ]
    )
    at = login("opsy")
    assert not at.exception
    text = text_of(at)
    assert "记录器" in text and "29.0 条/秒" in text and "174" not in text  # 6 × 29 is not shown
    assert "积压 12 条" in text
    assert "跨项目检测器（centre-a.witness-cross-project）" in text
    statuses = [v for df in at.dataframe for v in df.value.get("状态", [])]
    assert statuses and set(statuses) <= {"在线", "离线"}
    assert "SECRET-123" not in text  # a sealed project's dead letter keeps its bytes hidden
    # pick the camera line, fix it, check it, take it to ingest
    dead = {d.offset: d.id for d in queries.dead_letters(store)}
    at.selectbox(key="ops_fix_pick").select(dead[1]).run()
    area = at.text_area(key=f"ops_fix_line_{dead[1]}")
    assert '"broken"' in area.value
    area.input(area.value.replace('"broken"', '"sideways"')).run()
    assert any("仍不符合事件格式" in e.value for e in at.error)
    at.text_area(key=f"ops_fix_line_{dead[1]}").input(
        area.value.replace('"sideways"', '"offline"')
    ).run()
    assert any("符合事件格式：camera.status" in as_read(s.value) for s in at.success)
    assert any("witness ingest fixed-" in c.value for c in at.code)
    at.selectbox(key="ops_fix_pick").select(dead[2]).run()
    assert any("原始内容不在此显示" in i.value for i in at.info)
    assert "SECRET-123" not in text_of(at)


def ring_alert():
    return make_alert(
        "REL-RING",
        "*",
        identity={"group": ["P1-A", "P1-B", "X-9"]},
        subjects=["P1-A", "P1-B", "X-9"],
        evidence={
            "group": [{"bidder_id": b, "bidder_name": f"{b}公司"} for b in ("P1-A", "P1-B", "X-9")],
            "shared_tenders": 4,
            "tenders": [{"project_id": p, "winner": "P1-A"} for p in ("P1", "Q2", "Q3", "Q4")],
            "wins": {"P1-A": 2, "P1-B": 1, "X-9": 1},
            "distinct_winners": 3,
            "group_win_share": 1.0,
        },
        event_ids=[],
        first_seen=datetime(2026, 11, 20, 4, 0, tzinfo=UTC),
    )


def idle_room_alert(room):
    return make_alert(
        "VID-AFTERHOURS",
        "*",
        identity={"room": room},
        subjects=[room],
        evidence={
            "room_id": room,
            "window": {"start": "2026-11-20T20:00:00+08:00", "seconds": 300},
        },
        event_ids=[],
        first_seen=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
        room_id=room,
    )


def test_alerts_of_no_single_project_for_the_officers_they_touch(wall_url):
    store, _ = wall_url
    store.write(alerts=[ring_alert(), idle_room_alert("R1"), idle_room_alert("R-ELSEWHERE")])
    li = login("li")  # P1, P2: the ring bid in P1; R1 is P1's room
    li.switch_page("views/global_alerts.py").run()
    assert not li.exception
    labels = [e.label for e in li.expander]
    assert len(labels) == 2, labels
    text = text_of(li)
    assert "4 个项目中一起投标" in text and "R-ELSEWHERE" not in text
    zhao = login("zhao")  # P3 only: neither touches it
    zhao.switch_page("views/global_alerts.py").run()
    assert not zhao.expander and any("没有相关告警" in i.value for i in zhao.info)
    audit = login("audit")
    audit.switch_page("views/global_alerts.py").run()
    assert len(audit.expander) == 3
    assert not [b for b in audit.button if b.key and b.key.startswith("glob_ack_")]  # read-only
    # an officer decides one; it is logged on the `*` chain
    aid = ring_alert().alert_id
    li.button(key=f"glob_ack_{aid}").click().run()
    assert [d.action for d in store.decisions(aid)] == ["acknowledge"]
    assert store.verify_chain("alerts/*") is None


def test_a_feed_card_explains_its_evidence_and_messages_stay(wall_url):
    store, ids = wall_url
    at = login("li")
    text = text_of(at)
    assert "3 家投标人的投标保证金从同一账户 ACCP1 转出" in text
    assert "| 甲建设公司 | P1-A |" in text  # names beside ids in the table
    assert any("原始证据" in p.proto.popover.label for p in at.get("popover"))
    aid = ids["P1:REL-40-6"]
    at.button(key=f"feed_dismiss_{aid}").click().run()  # no reason: refused
    assert any("排除告警需要填写理由" in e.value for e in at.error)
    for _ in range(3):  # the feed's timer reruns: the message stays
        at.run()
    assert any("排除告警需要填写理由" in e.value for e in at.error)
    dismiss = [b for b in at.button if b.key and b.key.startswith("dismiss_m")]
    assert len(dismiss) == 1
    dismiss[0].click().run()
    assert not any("排除告警需要填写理由" in e.value for e in at.error)

"""Following the alert and dead-letter topics for ops staff (`witness tail`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from kafka import TopicPartition

from streams.bus import dead_letter_info, make_consumer, parse_alert
from witness.alerts import Alert
from witness.events import canonical_json
from witness.i18n import current_locale, register, t
from witness.sealing import alert_view, dead_letter_view

register(
    {
        "tail.sealed": ("开标前保密", "sealed until opening"),
        "tail.dead_sealed": (
            "内容保密（所属项目未开标或无法确定）",
            "content sealed (its project has not opened, or cannot be told)",
        ),
    }
)


@dataclass(frozen=True)
class AlertFilter:
    severities: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()
    rules: frozenset[str] = frozenset()

    def __call__(self, alert: Alert) -> bool:
        return (
            (not self.severities or alert.severity in self.severities)
            and (not self.projects or alert.project_id in self.projects)
            and (
                not self.rules
                or any(alert.rule == r or alert.rule.startswith(r + "-") for r in self.rules)
            )
        )


def follow(
    bootstrap: str,
    topic: str,
    *,
    from_beginning: bool = False,
    idle_exit_s: float | None = None,
    stop: Callable[[], bool] | None = None,
) -> Iterator:
    """Yield records of `topic` (all partitions, no consumer group: tailing commits nothing)."""
    consumer = make_consumer(bootstrap, None)
    try:
        parts = None
        deadline = time.monotonic() + 10
        while parts is None and time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(topic)
            if parts is None:
                time.sleep(0.2)
        if not parts:
            raise RuntimeError(f"topic {topic} does not exist on {bootstrap}")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        if from_beginning:
            consumer.seek_to_beginning()
        else:
            consumer.seek_to_end()
        last = time.monotonic()
        while not (stop and stop()):
            batch = consumer.poll(timeout_ms=300)
            if batch:
                last = time.monotonic()
            for records in batch.values():
                yield from records
            if idle_exit_s is not None and time.monotonic() - last > idle_exit_s:
                return
    finally:
        consumer.close()


def alert_line(
    alert: Alert, fmt: str, opened: Collection[str] | None = None, locale: str | None = None
) -> str:
    """One alert as ops may see it: sealed alerts give their project, title and times only."""
    v = alert_view(alert, opened, locale or current_locale())
    if fmt == "json":
        return canonical_json(v.to_dict())
    subjects = f"（{t('tail.sealed', locale)}）" if v.sealed else ",".join(v.subjects)
    when = v.last_seen.isoformat(timespec="seconds")
    return f"{when}  {v.severity:<6} {v.rule:<14} {v.project_id:<16} {v.title}  [{subjects}]"


def dead_letter_line(rec, fmt: str, opened: Collection[str] | None = None) -> str:
    """A dead letter's origin and reason; its bytes only when they belong to an opened project."""
    info = dead_letter_info(rec.headers)
    raw = rec.value or b""
    key = rec.key.decode("utf-8", "replace") if isinstance(rec.key, bytes) else rec.key
    v = dead_letter_view(
        at=datetime.fromtimestamp((rec.timestamp or 0) / 1000, UTC),
        topic=info.topic,
        partition=info.partition,
        offset=info.offset,
        key=key,
        error=info.error,
        raw=raw[:200],
        size=len(raw),
        opened=opened,
    )
    if fmt == "json":
        return json.dumps(
            {
                "origin_topic": v.topic,
                "origin_partition": v.partition,
                "origin_offset": v.offset,
                "project_id": v.project_id,
                "error": v.error,
                "size": v.size,
                "preview": v.raw,
                "sealed": v.sealed,
            },
            ensure_ascii=False,
        )
    where = f"{v.topic}" + (
        f"#{v.partition}@{v.offset}" if v.partition >= 0 else f" line {v.offset}"
    )
    return f"{where}: {v.error or t('tail.dead_sealed')}"


def group_lag(
    bootstrap: str, group_id: str, topics: list[str]
) -> list[tuple[str, int, int | None, int]]:
    """(topic, partition, committed, end) for a group, without joining it."""
    consumer = make_consumer(bootstrap, group_id)
    try:
        rows = []
        for topic in topics:
            parts = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            ends = consumer.end_offsets(tps) if tps else {}
            for tp in tps:
                rows.append((topic, tp.partition, consumer.committed(tp), ends.get(tp, 0)))
        return rows
    finally:
        consumer.close(autocommit=False)


def parse_alert_record(rec) -> Alert | None:
    try:
        return parse_alert(rec.value)
    except Exception:
        return None

"""Following the alert and dead-letter topics for ops staff (`witness tail`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kafka import TopicPartition

from streams.bus import dead_letter_info, make_consumer, parse_alert
from witness.alerts import Alert


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


def alert_line(alert: Alert, fmt: str) -> str:
    if fmt == "json":
        return alert.to_json()
    subjects = "（已密封）" if alert.sealed else ",".join(alert.subjects)
    when = alert.last_seen.isoformat(timespec="seconds")
    return f"{when}  {alert.severity:<6} {alert.rule:<14} {alert.project_id:<16} {alert.title}  [{subjects}]"


def dead_letter_line(rec, fmt: str) -> str:
    info = dead_letter_info(rec.headers)
    if fmt == "json":
        return json.dumps(
            {
                "origin_topic": info.topic,
                "origin_partition": info.partition,
                "origin_offset": info.offset,
                "error": info.error,
                "size": len(rec.value or b""),
                "preview": (rec.value or b"")[:200].decode("utf-8", "replace"),
            },
            ensure_ascii=False,
        )
    where = f"{info.topic}" + (
        f"#{info.partition}@{info.offset}" if info.partition >= 0 else f" line {info.offset}"
    )
    return f"{where}: {info.error}"


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

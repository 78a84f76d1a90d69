"""`witness ingest`: validate events from a file or stdin and publish them by type.

Bad lines are reported with their line number and dead-lettered with the original bytes;
good lines are never held back by bad ones.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from streams.bus import Producer, ensure_topics
from streams.topics import Topics
from witness.events import ContractError, Event, parse_event
from witness.jsonl import open_source, read_lines


@dataclass
class IngestReport:
    published: int = 0
    rejected: int = 0
    errors: list[ContractError] = field(default_factory=list)


def publish_events(events: Iterable[Event], bootstrap: str, topics: Topics | None = None) -> int:
    """Publish already-validated events (used by ingest-doc, the simulator, the demo)."""
    topics = topics or Topics()
    ensure_topics(bootstrap, topics)
    producer = Producer(bootstrap, topics)
    n = 0
    try:
        for ev in events:
            producer.publish(ev)
            n += 1
        producer.flush()
    finally:
        producer.close()
    return n


def ingest_file(
    path: str,
    producer: Producer,
    *,
    on_error: Callable[[ContractError], None] | None = None,
    progress: bool = False,
    keep_errors: int = 1000,
) -> IngestReport:
    """Validate every line of `path` ('-' = stdin); publish good ones, dead-letter bad ones."""
    report = IngestReport()
    origin = "stdin" if path == "-" else f"file:{os.path.abspath(path)}"
    source = open_source(path)
    bar = None
    if progress and path != "-":
        from tqdm import tqdm

        bar = tqdm(
            total=os.path.getsize(path), unit="B", unit_scale=True, file=sys.stderr, desc="ingest"
        )
    try:
        for number, raw in read_lines(source):
            if bar is not None:
                bar.update(len(raw) + 1)
            try:
                event = parse_event(raw, line=number)
            except ContractError as exc:
                report.rejected += 1
                if len(report.errors) < keep_errors:
                    report.errors.append(exc)
                if on_error:
                    on_error(exc)
                producer.dead_letter(
                    raw=raw, error=exc.describe(), origin_topic=origin, partition=-1, offset=number
                )
                continue
            producer.publish(event)
            report.published += 1
        producer.flush()
    finally:
        if bar is not None:
            bar.close()
        if source is not sys.stdin.buffer:
            source.close()
    return report

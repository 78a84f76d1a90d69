"""`witness ingest`: validate events from a file or stdin and publish them by type.

Bad lines are reported with their line number and dead-lettered with the original bytes;
good lines are never held back by bad ones. Every send is confirmed: the broker's
acknowledgements are checked every few thousand lines, a refused send is retried, and if
the broker still refuses, ingest stops and names the first line not published (what
came before is safe; re-running from that line only repeats harmless duplicates).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from streams.bus import DeliveryError, Producer, Send, ensure_topics
from streams.topics import Topics
from witness.events import ContractError, Event, parse_event
from witness.i18n import register, t
from witness.jsonl import open_source, read_lines
from witness.progress import progress_bar

register({"ingest.progress": ("导入", "ingest")})

log = logging.getLogger(__name__)

#: Confirm the broker's acknowledgements every this many lines (bounds what is held for
#: a retry, and how far back a failure can reach).
CONFIRM_EVERY = 5_000
CONFIRM_RETRIES = 4
CONFIRM_BACKOFF_S = 1.0


@dataclass
class IngestReport:
    published: int = 0
    rejected: int = 0
    errors: list[ContractError] = field(default_factory=list)
    #: The first line the broker did not acknowledge (ingest stopped there), if any.
    unconfirmed_line: int | None = None
    delivery_error: str | None = None


def confirm(
    producer: Producer,
    retries: int | None = None,
    backoff: float | None = None,
    on_resend: Callable[[Send, Send], None] | None = None,
) -> None:
    """Flush; resend what the broker refused, oldest first, with backoff; raise the last
    DeliveryError if it still refuses. (The producer is idempotent, kafka-python's
    default, so a refused record was not followed onto its partition by later ones.)"""
    retries = CONFIRM_RETRIES if retries is None else retries
    backoff = CONFIRM_BACKOFF_S if backoff is None else backoff
    for attempt in range(retries + 1):
        try:
            producer.flush()
            return
        except DeliveryError as exc:
            if attempt == retries:
                raise
            log.warning("%s; resending in %.0f s", exc, backoff * 2**attempt)
            time.sleep(backoff * 2**attempt)
            for send in exc.failed:
                again = producer.resend(send)
                if on_resend is not None:
                    on_resend(send, again)


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
        confirm(producer)
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
        bar = progress_bar(
            total=os.path.getsize(path), unit="B", unit_scale=True, desc=t("ingest.progress")
        )
    lines: dict[int, int] = {}  # send seq -> line, since the last confirmation
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
                send = producer.dead_letter(
                    raw=raw, error=exc.describe(), origin_topic=origin, partition=-1, offset=number
                )
            else:
                send = producer.publish(event)
                report.published += 1
            lines[send.seq] = number
            if len(lines) >= CONFIRM_EVERY and not _confirmed(producer, lines, report):
                return report
        _confirmed(producer, lines, report)
    finally:
        if bar is not None:
            bar.close()
        if source is not sys.stdin.buffer:
            source.close()
    return report


def _confirmed(producer: Producer, lines: dict[int, int], report: IngestReport) -> bool:
    """Confirm the sends since the last call; on failure note where to re-run from."""

    def follow(old: Send, new: Send) -> None:
        lines[new.seq] = lines.get(old.seq, 0)

    try:
        confirm(producer, on_resend=follow)
    except DeliveryError as exc:
        failed = [lines[s.seq] for s in exc.failed if lines.get(s.seq)]
        report.unconfirmed_line = min(failed or lines.values() or [0]) or None
        report.delivery_error = str(exc)
        return False
    finally:
        lines.clear()
    return True

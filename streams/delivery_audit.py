"""Did the pipeline keep its promise? Compare what was sent with what the store holds.

The fault suite (tests) and `bench/faults.py` end every scenario with the same audit:
every event once in the store, exactly the alerts an offline replay of the same events
gives, every chain intact, every registry fact still there (in the store and, after
compaction, on the registry topic). `DeliveryReport.figures()` is the line they print.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kafka import TopicPartition
from sqlalchemy import func, select

from streams.bus import make_consumer
from witness.alerts import Alert
from witness.events import ContractError, Event, parse_event
from witness.store import Store
from witness.store.models import LedgerEntry


def fact_identity(event: Event) -> tuple:
    """What makes a registry fact distinct (a, b, kind, since, until): the unit that
    compaction must never drop."""
    p = event.payload
    return (p.a, p.b, p.kind, str(p.since), str(p.until))


@dataclass
class DeliveryReport:
    scenario: str
    events_sent: int = 0
    events_stored: int = 0
    events_lost: int = 0
    events_duplicated: int = 0
    events_unexpected: int = 0
    alerts_expected: int = 0
    alerts_recorded: int = 0
    alerts_lost: int = 0
    alerts_unexpected: int = 0
    alerts_duplicated: int = 0
    chains: int = 0
    broken_chains: list[str] = field(default_factory=list)
    facts_sent: int = 0
    facts_missing_in_store: int = 0
    facts_missing_on_topic: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.events_lost + self.alerts_lost

    @property
    def duplicated(self) -> int:
        return self.events_duplicated + self.alerts_duplicated

    def problems(self) -> list[str]:
        """Every broken promise in words; empty when the scenario kept them all."""
        out = []
        if self.events_lost or self.events_duplicated or self.events_unexpected:
            out.append(
                f"events: {self.events_lost} lost, {self.events_duplicated} duplicated, "
                f"{self.events_unexpected} stored that were never sent"
            )
        if self.alerts_lost or self.alerts_unexpected or self.alerts_duplicated:
            out.append(
                f"alerts: {self.alerts_lost} of replay's missing, {self.alerts_unexpected} "
                f"not in replay, {self.alerts_duplicated} recorded twice"
            )
        if self.broken_chains:
            out.append(f"chains that do not verify: {', '.join(self.broken_chains[:10])}")
        if self.facts_missing_in_store:
            out.append(f"registry facts missing in the store: {self.facts_missing_in_store}")
        if self.facts_missing_on_topic:
            out.append(f"registry facts gone from the topic: {self.facts_missing_on_topic}")
        return out + self.notes

    @property
    def ok(self) -> bool:
        return not self.problems()

    def figures(self) -> str:
        topic = "-" if self.facts_missing_on_topic is None else self.facts_missing_on_topic
        return (
            f"{self.scenario}: events sent {self.events_sent}, stored {self.events_stored}; "
            f"alerts expected {self.alerts_expected}, recorded {self.alerts_recorded}; "
            f"lost {self.lost}, duplicated {self.duplicated}; "
            f"chains {self.chains} ({len(self.broken_chains)} broken); "
            f"registry facts {self.facts_sent} (missing: store {self.facts_missing_in_store}, "
            f"topic {topic})"
        )


def _ledger_repeats(store: Store, kind: str, *, with_body: bool) -> int:
    """Ledger records of `kind` beyond the first with the same reference (and body)."""
    cols = [LedgerEntry.ref, LedgerEntry.body] if with_body else [LedgerEntry.ref]
    q = (
        select(func.count().label("n"))
        .where(LedgerEntry.kind == kind)
        .group_by(*cols)
        .having(func.count() > 1)
    )
    with store.session() as s:
        return sum(n - 1 for n in s.execute(q).scalars().all())


def _alert_differences(lost: list[Alert], unexpected: list[Alert], limit: int = 3) -> list[str]:
    """A few lost or unexpected alerts in words: which fields differ where the same alert
    id was recorded with other content, else the rule, project and id."""
    by_id = {a.alert_id: a for a in unexpected}
    out = []
    for a in lost[:limit]:
        other = by_id.get(a.alert_id)
        if other is None:
            out.append(f"missing alert {a.rule} {a.project_id} {a.alert_id}")
            continue
        mine, theirs = a.to_dict(), other.to_dict()
        fields = sorted(k for k in mine if k != "status" and mine[k] != theirs.get(k))
        detail = "; ".join(f"{k}: replay {mine[k]!r} != stored {theirs.get(k)!r}" for k in fields)
        out.append(f"alert {a.rule} {a.project_id} {a.alert_id} differs: {detail[:600]}")
    lost_ids = {a.alert_id for a in lost}
    for a in [u for u in unexpected if u.alert_id not in lost_ids][:limit]:
        out.append(f"alert not in replay: {a.rule} {a.project_id} {a.alert_id}")
    return out


def _chains(store: Store) -> list[str]:
    with store.session() as s:
        return sorted(s.execute(select(LedgerEntry.chain).distinct()).scalars().all())


def audit(
    scenario: str,
    store: Store,
    sent: Sequence[Event],
    expected_alerts: Iterable[Alert],
    *,
    registry_on_topic: Sequence[Event] | None = None,
) -> DeliveryReport:
    """The figures and broken promises of one run: `sent` are the events given to ingest,
    `expected_alerts` what `witness replay` gives for them."""
    report = DeliveryReport(scenario, events_sent=len({e.event_id for e in sent}))
    sent_ids = {e.event_id for e in sent}
    stored = store.events()
    stored_ids = Counter(e.event_id for e in stored)
    report.events_stored = len(set(stored_ids) & sent_ids)
    report.events_lost = len(sent_ids - set(stored_ids))
    report.events_unexpected = len(
        {i for i in stored_ids if i not in sent_ids}
        - {e.event_id for e in stored if e.type == "room.session"}  # derived by workers
    )
    report.events_duplicated = sum(n - 1 for n in stored_ids.values()) + _ledger_repeats(
        store, "event", with_body=False
    )

    wanted = {a.content_key(): a for a in expected_alerts}
    stored_alerts = {a.content_key(): a for a in store.alert_models()}
    expected, recorded = set(wanted), set(stored_alerts)
    report.alerts_expected = len(expected)
    report.alerts_recorded = len(recorded)
    report.alerts_lost = len(expected - recorded)
    report.alerts_unexpected = len(recorded - expected)
    report.notes += _alert_differences(
        [wanted[k] for k in sorted(expected - recorded)],
        [stored_alerts[k] for k in sorted(recorded - expected)],
    )
    report.alerts_duplicated = _ledger_repeats(store, "alert", with_body=True)

    chains = _chains(store)
    report.chains = len(chains)
    report.broken_chains = [c for c in chains if store.verify_chain(c) is not None]

    facts = {fact_identity(e) for e in sent if e.type == "registry.relation"}
    report.facts_sent = len(facts)
    in_store = {fact_identity(e) for e in stored if e.type == "registry.relation"}
    report.facts_missing_in_store = len(facts - in_store)
    if registry_on_topic is not None:
        on_topic = {fact_identity(e) for e in registry_on_topic if e.type == "registry.relation"}
        report.facts_missing_on_topic = len(facts - on_topic)
    return report


def wait_recorded(
    store: Store, events: int, alerts: int, *, timeout: float = 300, quiet: float = 75
) -> bool:
    """Until the store holds `events` events and `alerts` alerts; gives up early once
    nothing has changed for `quiet` seconds: longer than a worker's longest resend backoff
    (30 s) plus a rebalance, so a stall means something was lost."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = (store.count_events(), len(store.alerts()))
        if now[0] >= events and now[1] >= alerts:
            return True
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > quiet:
            return False
        time.sleep(0.5)
    return False


def read_whole_topic(bootstrap: str, topic: str, timeout: float = 60) -> list[Event]:
    """Every contract-valid event on `topic` now (what a worker rebuilding its registry
    would read)."""
    return [e for events in read_partitions(bootstrap, topic, timeout).values() for e in events]


def read_partitions(bootstrap: str, topic: str, timeout: float = 60) -> dict[int, list[Event]]:
    """Each partition's contract-valid events, up to the end offsets read at the start
    (exact on Apache Kafka)."""
    consumer = make_consumer(bootstrap, None)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        out: dict[int, list[Event]] = {tp.partition: [] for tp in tps}
        if not tps:
            return out
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
            for tp, records in consumer.poll(timeout_ms=500).items():
                for rec in records:
                    if rec.value is None or rec.offset >= ends[tp]:
                        continue  # a tombstone ends a fact, it is not one; or newer than asked
                    with contextlib.suppress(ContractError):  # bad bytes are not facts
                        out[tp.partition].append(parse_event(rec.value))
        return out
    finally:
        consumer.close()

"""Pipeline bench: events/s and event->alert latency through broker + engine + store,
beside a null pipeline (produce -> consume, no work) measured in the same run.

    .venv/bin/python bench/pipeline.py [--events 20000] [--rate 1000] [--seconds 8]

Uses WITNESS_KAFKA_BOOTSTRAP if set, else starts the embedded broker. Targets (2 cores):
>= 2,000 events/s sustained; p99 event->alert latency <= null p99 + 200 ms.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("WITNESS_KAFKA_SESSION_TIMEOUT_MS", "2000")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kafka import TopicPartition  # noqa: E402

from streams.broker import EmbeddedBroker  # noqa: E402
from streams.bus import Producer, ensure_topics, make_consumer, parse_alert  # noqa: E402
from streams.topics import Topics  # noqa: E402
from witness.events import Event, make_event  # noqa: E402
from witness.store import Store  # noqa: E402


def workload(n: int, tag: str) -> list[Event]:
    """Registered projects of 4 bids; every third has two bonds from one account (an alert)."""
    events: list[Event] = []
    p = 0
    while len(events) < n:
        pid = f"B{tag}-{p:06d}"
        events.append(
            make_event(
                "project.registered",
                pid,
                "2026-11-20T08:00:00+08:00",
                {"name": f"道路养护{p}", "bid_deadline": "2026-11-21T09:00:00+08:00"},
                event_id=f"{pid}-reg",
            )
        )
        for i in range(4):
            acct = "SHARED" if p % 3 == 0 and i < 2 else f"{pid}-{i}"
            events.append(
                make_event(
                    "bid.submitted",
                    pid,
                    f"2026-11-20T09:00:0{i}+08:00",
                    {
                        "bidder": {"id": f"{pid}-B{i}", "name": f"投标人{i}建设有限公司"},
                        "price": 1_000_000 + 137 * i,
                        "bond": {"payer_account": acct, "payer_name": f"付款人{i}"},
                        "submission": {
                            "ip": f"10.0.{p % 250}.{i}",
                            "mac": f"00:16:3e:{p % 99:02d}:{i:02d}:01",
                        },
                    },
                    event_id=f"{pid}-bid{i}",
                )
            )
        p += 1
    return events[:n]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def wait_assigned(consumer, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(timeout_ms=100)


def paced_send(
    producer: Producer, events: list[Event], rate: float, sent_at: dict[str, float]
) -> None:
    start = time.monotonic()
    for i, ev in enumerate(events):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent_at[ev.event_id] = time.time()
        producer.publish(ev)
    producer.flush()


# --------------------------------------------------------------------------- null


def null_pipeline(bootstrap: str, n: int, rate: float, seconds: float) -> dict:
    topics = Topics(f"null{uuid.uuid4().hex[:6]}.")
    ensure_topics(bootstrap, topics)
    consumer = make_consumer(bootstrap, "bench-null")
    consumer.subscribe([topics.events])
    wait_assigned(consumer)
    producer = Producer(bootstrap, topics)

    received = 0
    latencies: list[float] = []
    sent_at: dict[str, float] = {}
    stop = threading.Event()

    def consume() -> None:
        nonlocal received
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=100).values():
                now = time.time()
                for r in records:
                    received += 1
                    key = r.value[r.value.find(b'"event_id":"') + 12 :].split(b'"', 1)[0].decode()
                    if key in sent_at:
                        latencies.append(now - sent_at[key])
            consumer.commit()

    th = threading.Thread(target=consume)
    th.start()
    events = workload(n, "N")
    t0 = time.monotonic()
    for ev in events:
        producer.publish(ev)
    producer.flush()
    while received < n and time.monotonic() - t0 < 300:
        time.sleep(0.02)
    throughput = received / (time.monotonic() - t0)
    paced = workload(int(rate * seconds), "NL")
    base = received
    paced_send(producer, paced, rate, sent_at)
    deadline = time.monotonic() + 30
    while received < base + len(paced) and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    th.join()
    consumer.close()
    producer.close()
    return {
        "events_per_s": throughput,
        "p50": pct(latencies, 0.5),
        "p99": pct(latencies, 0.99),
        "n_lat": len(latencies),
    }


# --------------------------------------------------------------------------- full


def start_roles(env: dict[str, str], detectors: int | None) -> list[subprocess.Popen]:
    """`witness run` as users start it (recorder, detector worker and cross-project worker
    as three processes), or those roles one by one with `detectors` detector workers in
    one group (scale-out)."""
    run = [sys.executable, "-m", "witness.cli", "run"]
    if detectors is None:
        return [subprocess.Popen(run, env=env, stderr=subprocess.DEVNULL)]
    roles = ["recorder", "cross"] + ["detectors"] * detectors
    return [
        subprocess.Popen([*run, "--role", role], env=env, stderr=subprocess.DEVNULL)
        for role in roles
    ]


def full_pipeline(
    bootstrap: str,
    n: int,
    rate: float,
    seconds: float,
    db_url: str,
    trace: list | None = None,
    *,
    topics: Topics | None = None,
    detectors: int | None = None,
    settle: Callable[[], None] | None = None,
) -> dict:
    """The product's processes (`start_roles`) fed through the broker. If events were on
    `topics` before they started, `settle()` waits until they are folded; what the
    recorder stored by then is not counted."""
    trace = [] if trace is None else trace
    topics = topics or Topics(f"full{uuid.uuid4().hex[:6]}.")
    ensure_topics(bootstrap, topics)
    env = dict(
        os.environ,
        WITNESS_KAFKA_BOOTSTRAP=bootstrap,
        WITNESS_DATABASE_URL=db_url,
        WITNESS_TOPIC_PREFIX=topics.prefix,
    )
    store = Store(db_url)
    runners = start_roles(env, detectors)
    producer = Producer(bootstrap, topics)
    try:
        warm = workload(40, "W")  # both consumer groups joined and the path is warm
        for ev in warm:
            producer.publish(ev)
        producer.flush()
        if settle is not None:
            settle()
        while True:  # the recorder has stored what came before, and the warm-up
            stored_before = store.count_events()
            time.sleep(1.0)
            if stored_before == store.count_events() >= len(warm):
                break
        preloaded = stored_before - len(warm)

        alerts_reader = make_consumer(bootstrap, None)
        parts = alerts_reader.partitions_for_topic(topics.alerts)
        alerts_reader.assign([TopicPartition(topics.alerts, p) for p in parts])
        alerts_reader.seek_to_end()
        sent_at: dict[str, float] = {}
        latencies: list[float] = []
        reading = threading.Event()
        bond_alerts = [0]
        last_alert = [time.monotonic()]

        def read_alerts() -> None:
            while not reading.is_set():
                for records in alerts_reader.poll(timeout_ms=100).values():
                    now = time.time()
                    for r in records:
                        alert = parse_alert(r.value)
                        if alert.rule != "REL-40-6":
                            continue
                        bond_alerts[0] += 1
                        last_alert[0] = time.monotonic()
                        trigger = alert.event_ids[-1]
                        if trigger in sent_at:
                            sent = sent_at.pop(trigger)
                            latencies.append(now - sent)
                            trace.append((sent, now - sent))

        reader = threading.Thread(target=read_alerts)
        reader.start()

        events = workload(n, "F")
        t0 = time.monotonic()
        for ev in events:
            producer.publish(ev)
        producer.flush()
        target = preloaded + len(warm) + n
        expected_bulk = sum(
            1 for e in events if e.event_id.endswith("bid1") and int(e.project_id[-6:]) % 3 == 0
        )
        while (
            store.count_events() < target or bond_alerts[0] < expected_bulk
        ) and time.monotonic() - t0 < 600:
            time.sleep(0.02)
        done = max(last_alert[0], time.monotonic() - 0.02)
        stored = store.count_events() - len(warm) - preloaded
        throughput = stored / (done - t0)

        paced = workload(int(rate * seconds), "FL")
        expected_alerts = sum(
            1 for e in paced if e.event_id.endswith("bid1") and int(e.project_id[-6:]) % 3 == 0
        )
        paced_send(producer, paced, rate, sent_at)
        deadline = time.monotonic() + 60
        while len(latencies) < expected_alerts and time.monotonic() < deadline:
            time.sleep(0.05)
        reading.set()
        reader.join()
        alerts_reader.close()
    finally:
        producer.close()
        for runner in runners:
            runner.send_signal(signal.SIGTERM)
        for runner in runners:
            runner.wait(timeout=60)
    return {
        "events_per_s": throughput,
        "stored": stored,
        "p50": pct(latencies, 0.5),
        "p99": pct(latencies, 0.99),
        "n_lat": len(latencies),
        "expected_alerts": expected_alerts,
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=20_000, help="events for the throughput phase")
    ap.add_argument("--rate", type=float, default=1000, help="events/s for the latency phase")
    ap.add_argument("--seconds", type=float, default=8, help="length of the latency phase")
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    ap.add_argument(
        "--trace", action="store_true", help="print alert latency per second of the latency phase"
    )
    args = ap.parse_args()

    broker = None
    bootstrap = os.environ.get("WITNESS_KAFKA_BOOTSTRAP")
    if not bootstrap:
        broker = EmbeddedBroker().start()
        bootstrap = broker.bootstrap
    tmp = tempfile.mkdtemp(prefix="witness-bench-")
    db_url = args.db or f"sqlite:///{tmp}/bench.db"
    try:
        null = null_pipeline(bootstrap, args.events, args.rate, args.seconds)
        trace: list[tuple[float, float]] = []
        full = full_pipeline(bootstrap, args.events, args.rate, args.seconds, db_url, trace)
    finally:
        if broker:
            broker.stop()
    ms = 1000
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; broker {'embedded' if broker else bootstrap}; store {db_url.split(':')[0]}"
    )
    print(f"{'':34}{'null (produce->consume)':>26}{'full (broker+engine+store)':>30}")
    print(f"{'throughput, events/s':34}{null['events_per_s']:>26.0f}{full['events_per_s']:>30.0f}")
    print(f"{'latency p50, ms':34}{null['p50'] * ms:>26.1f}{full['p50'] * ms:>30.1f}")
    print(f"{'latency p99, ms':34}{null['p99'] * ms:>26.1f}{full['p99'] * ms:>30.1f}")
    print(
        f"{'latency samples':34}{null['n_lat']:>26}{full['n_lat']:>30}  (alerts expected {full['expected_alerts']})"
    )
    print(f"full/null throughput ratio: {full['events_per_s'] / null['events_per_s']:.2f}")
    print(
        f"p99 over null: {(full['p99'] - null['p99']) * ms:+.1f} ms (target <= +200 ms); "
        f"sustained {full['events_per_s']:.0f} events/s (target >= 2,000)"
    )
    if args.trace and trace:
        start = min(t for t, _ in trace)
        by_second: dict[int, list[float]] = {}
        for sent, lat in trace:
            by_second.setdefault(int(sent - start), []).append(lat)
        for sec, lats in sorted(by_second.items()):
            print(
                f"  second {sec:3}: n={len(lats):3} p50={pct(lats, 0.5) * ms:7.1f} ms max={max(lats) * ms:7.1f} ms"
            )
    print(
        "latency: full = event sent -> its alert read from witness.alerts; null = event sent -> event consumed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

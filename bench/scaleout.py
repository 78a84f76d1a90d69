"""Scale-out bench (issue 15 item 7): 1 and 2 detector workers in one group on Apache
Kafka, throughput and p99 event->alert latency side by side, and the alerts of a
simulated day (every rule planted, cross-project rules included) identical either way.

Each run has its own topics on one single-node Apache Kafka (streams/apache_kafka.py):
a simulated day is on the topics before the processes start (so what the rules see
does not depend on poll timing), then `witness run --role recorder`, `--role cross`
and 1 or 2 `--role detectors` start, fold the day, and bench/pipeline.py's throughput
and latency phases run through them. The 1-worker run is the baseline.

    .venv/bin/python bench/scaleout.py [--events 20000] [--rate 1000] [--seconds 8]
        [--projects 14] [--bootstrap HOST:PORT]

Clock ticks are off (WITNESS_TICK_SECONDS=0) unless set: see below.
Needs Java 17 and the Kafka jars (`python -m streams.apache_kafka fetch`) unless
--bootstrap names a broker. Exit code 1 if the day's alerts differ.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("WITNESS_KAFKA_SESSION_TIMEOUT_MS", "6000")
# Clock ticks off in the processes: they follow the wall clock (a room quiet for 10 s of
# wall time gets a tick dated by its newest event plus the wall time since), so over a
# day folded at the speed of the machine they would make the video alerts depend on how
# fast each run went; the runs compare alerts exactly (as bench/recovery.py and the tests).
os.environ.setdefault("WITNESS_TICK_SECONDS", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from faults import progress  # noqa: E402
from pipeline import full_pipeline  # noqa: E402
from recovery import AlertWatch, content, difference, publish  # noqa: E402

from streams.apache_kafka import ApacheKafka  # noqa: E402
from streams.bus import ensure_topics  # noqa: E402
from streams.cross_worker import CROSS_GROUP  # noqa: E402
from streams.topics import Topics  # noqa: E402
from witness.events import Event, parse_event  # noqa: E402
from witness.simulator import Simulation  # noqa: E402


def settled(bootstrap: str, topics: Topics, timeout: float = 600) -> float:
    """Seconds until both groups have committed everything on their topics."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if (
            progress(bootstrap, topics) >= 1.0
            and progress(bootstrap, topics, CROSS_GROUP, {topics.events}) >= 1.0
        ):
            return time.monotonic() - t0
        time.sleep(0.5)
    raise SystemExit(f"the day was not folded in {timeout:.0f} s")


def one_run(bootstrap: str, detectors: int, day: list[Event], args, work: Path) -> dict:
    topics = Topics(f"scale{detectors}{uuid.uuid4().hex[:6]}.")
    ensure_topics(bootstrap, topics)
    publish(bootstrap, topics, day)
    figures: dict = {}

    def wait_day() -> None:
        figures["day_s"] = settled(bootstrap, topics)

    full = full_pipeline(
        bootstrap,
        args.events,
        args.rate,
        args.seconds,
        f"sqlite:///{work}/scale{detectors}.db",
        topics=topics,
        detectors=detectors,
        settle=wait_day,
    )
    ids = {e.event_id for e in day}
    alerts = {
        k: a for k, a in AlertWatch(bootstrap, topics, []).drain().items() if ids & set(a.event_ids)
    }
    return full | figures | {"alerts": alerts}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--events", type=int, default=20_000, help="events for the throughput phase")
    ap.add_argument("--rate", type=float, default=1000, help="events/s for the latency phase")
    ap.add_argument("--seconds", type=float, default=8, help="length of the latency phase")
    ap.add_argument(
        "--projects", type=int, default=14, help="the simulated day (all rules from 14)"
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bootstrap", help="an existing broker instead of Apache Kafka")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="witness-scaleout-"))
    day = [parse_event(e) for e in Simulation(args.projects, args.seed, frame_interval=60).events()]
    t0 = time.monotonic()
    cluster = None if args.bootstrap else ApacheKafka(1).start()
    bootstrap = args.bootstrap or cluster.bootstrap
    try:
        runs = {n: one_run(bootstrap, n, day, args, work) for n in (1, 2)}
    finally:
        if cluster is not None:
            cluster.stop()
    one, two = runs[1], runs[2]
    ms = 1000
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; broker "
        f"{'Apache Kafka (1 node)' if cluster else bootstrap}; bench {time.monotonic() - t0:.0f} s"
    )
    print(f"{'':34}{'1 detector worker':>20}{'2 detector workers':>20}")
    print(f"{'simulated day folded, s':34}{one['day_s']:>20.1f}{two['day_s']:>20.1f}")
    print(f"{'throughput, events/s':34}{one['events_per_s']:>20.0f}{two['events_per_s']:>20.0f}")
    print(f"{'latency p50, ms':34}{one['p50'] * ms:>20.1f}{two['p50'] * ms:>20.1f}")
    print(f"{'latency p99, ms':34}{one['p99'] * ms:>20.1f}{two['p99'] * ms:>20.1f}")
    print(f"{'latency samples':34}{one['n_lat']:>20}{two['n_lat']:>20}")
    same = content(one["alerts"]) == content(two["alerts"])
    rules = sorted({a.rule for a in one["alerts"].values()})
    print(
        f"day of {args.projects} projects ({len(day)} events): {len(one['alerts'])} alerts with "
        f"1 worker, {len(two['alerts'])} with 2: "
        + ("identical" if same else f"DIFFER: {difference(two['alerts'], one['alerts'])}")
    )
    print(f"rules raised: {', '.join(rules)}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

"""Bench: kill -9 the detector worker at 20 random moments; does anything get lost or doubled?

A simulated trading day (every rule planted) is ingested into a 3-node Apache Kafka cluster
(replication factor 3, min.insync.replicas 2; streams/apache_kafka.py) and run through
`witness run --role recorder`, `--role detectors` and `--role cross` as processes. The
detector worker is killed with SIGKILL whenever the group's committed progress passes one
of 20 random points of the stream, and started again at once. At the end the store is
audited (streams/delivery_audit.py) against the same events replayed offline, the baseline
of this run: every event once, exactly replay's alerts, every chain intact.

    .venv/bin/python bench/faults.py [--kills 20] [--projects 20] [--seed 7]
        [--database postgresql://postgres@127.0.0.1:5432/test] [--bootstrap HOST:PORT]

Prints the figures (events sent, stored, alerts expected, recorded, lost, duplicated) and
each kill's moment; exit code 1 if anything was lost or doubled. Needs Java 17 and the
Kafka jars (`python -m streams.apache_kafka fetch`), unless --bootstrap names a broker.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402

from detectors.offline import replay  # noqa: E402
from streams.apache_kafka import ApacheKafka  # noqa: E402
from streams.broker import die_with_parent  # noqa: E402
from streams.cross_worker import CROSS_GROUP  # noqa: E402
from streams.delivery_audit import audit, wait_recorded  # noqa: E402
from streams.recorder import RECORDER_GROUP  # noqa: E402
from streams.topics import Topics  # noqa: E402
from streams.worker import DETECTOR_GROUP  # noqa: E402
from witness.events import parse_event  # noqa: E402
from witness.simulator import Simulation  # noqa: E402
from witness.store import Store  # noqa: E402


def start(role: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 (the child keeps it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "witness.cli", "run", "--role", role],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    out.close()
    return proc


def progress(
    bootstrap: str, topics: Topics, group: str = DETECTOR_GROUP, read: set[str] | None = None
) -> float:
    """Share of `read` (default: the events and frames) the group has committed (0..1).
    Group ids carry the topic prefix (streams/worker.py)."""
    group = f"{topics.prefix}{group}"
    read = wanted(topics) if read is None else read
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        committed = admin.list_group_offsets(group)[group]
        ours = {tp: om.offset for tp, om in committed.items() if tp.topic in read}
        tps = list(ours)
        if not tps:
            return 0.0
        ends = consumer.end_offsets(tps)
        total = sum(ends.values())
        return sum(min(ours[tp], ends[tp]) for tp in tps) / total if total else 0.0
    except KafkaError:  # the coordinator moves while a worker dies: not there yet
        return 0.0
    finally:
        consumer.close()
        admin.close()


def wanted(topics: Topics) -> set[str]:
    return {topics.events, topics.frames}


def behind(bootstrap: str, topics: Topics, group: str, read: set[str]) -> int:
    """Records of `read` (every partition) the group has not committed yet; -1 if the
    broker did not answer. `group` is the full group id."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        committed = admin.list_group_offsets(group)[group]
        tps = [TopicPartition(t, p) for t in sorted(read) for p in consumer.partitions_for_topic(t)]
        ends = consumer.end_offsets(tps)
        done = {tp: om.offset for tp, om in committed.items() if om.offset >= 0}
        return sum(max(0, ends[tp] - done.get(tp, 0)) for tp in tps)
    except KafkaError:
        return -1
    finally:
        consumer.close()
        admin.close()


def wait_settled(bootstrap: str, topics: Topics, timeout: float = 600) -> bool:
    """Until every role has committed everything it reads, twice in a row (what the
    recorder reads grows while the workers publish). Counting the store's alerts is not
    enough: a run that raised an alert replay does not reaches the count early and would
    be stopped before its last records were folded."""
    roles = [  # group ids carry the topic prefix (streams/worker.py, streams/recorder.py)
        (topics.prefix + DETECTOR_GROUP, {topics.events, topics.frames, topics.sessions}),
        (topics.prefix + CROSS_GROUP, {topics.events}),
        (
            topics.prefix + RECORDER_GROUP,
            {topics.events, topics.frames, topics.sessions, topics.alerts},
        ),
    ]
    deadline, streak = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        left = [behind(bootstrap, topics, group, read) for group, read in roles]
        streak = streak + 1 if all(n == 0 for n in left) else 0
        if streak >= 2:
            return True
        time.sleep(2)
    print(f"not settled after {timeout:.0f} s (records behind per role: {left})", flush=True)
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--projects", type=int, default=14, help="every rule is planted from 14 up")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--frame-interval", type=int, default=60, help="seconds between frames")
    ap.add_argument("--database", help="store URL (default: a fresh SQLite file)")
    ap.add_argument("--bootstrap", help="an existing broker instead of a 3-node cluster")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="witness-faults-"))
    db_url = args.database or f"sqlite:///{work}/witness.db"

    t0 = time.monotonic()
    src = work / "events.jsonl"
    sim = Simulation(args.projects, args.seed, frame_interval=args.frame_interval)
    src.write_text("".join(line + "\n" for line in sim.lines()), encoding="utf-8")
    sent = [parse_event(line) for line in src.read_text("utf-8").splitlines()]
    expected = replay(sent)
    print(f"workload: {len(sent)} events, replay gives {len(expected)} alerts", flush=True)

    cluster = None if args.bootstrap else ApacheKafka(3).start()
    bootstrap = args.bootstrap or cluster.bootstrap
    topics = Topics(prefix=f"bench{uuid.uuid4().hex[:6]}.")
    env = dict(
        os.environ,
        WITNESS_KAFKA_BOOTSTRAP=bootstrap,
        WITNESS_DATABASE_URL=db_url,
        WITNESS_TOPIC_PREFIX=topics.prefix,
        WITNESS_KAFKA_SESSION_TIMEOUT_MS="2000",
        # Clock ticks off, as in bench/scaleout.py and the tests: they follow the wall
        # clock, so over a day folded at the machine's speed (and stopped 20 times) the
        # video alerts would depend on each run's pace, and replay of the sent events
        # has no ticks to compare with.
        WITNESS_TICK_SECONDS=os.environ.get("WITNESS_TICK_SECONDS", "0"),
    )
    store = Store(db_url)
    procs: list[subprocess.Popen] = []
    kills: list[str] = []
    try:
        ingest = subprocess.run(
            [sys.executable, "-m", "witness.cli", "ingest", str(src), "--no-progress"],
            env=env,
            cwd=ROOT,
            capture_output=True,
        )
        if ingest.returncode != 0:
            print(ingest.stderr.decode("utf-8", "replace")[-2000:], file=sys.stderr)
            return 1
        recorder = start("recorder", env, work / "recorder.log")
        worker = start("detectors", env, work / "detectors.log")
        cross = start("cross", env, work / "cross.log")  # REL-RING & co. run only there
        procs += [recorder, worker, cross]
        t_stream = time.monotonic()
        for target in sorted(rng.uniform(0.03, 0.97) for _ in range(args.kills)):
            deadline = time.monotonic() + 300
            while (done := progress(bootstrap, topics)) < target:
                if time.monotonic() > deadline:
                    raise SystemExit(f"no progress past {done:.0%} in 300 s: see {work}")
                time.sleep(0.1)
            time.sleep(rng.uniform(0, 0.3))  # between two commits, not on one
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            kills.append(f"{done:.0%}")
            worker = start("detectors", env, work / "detectors.log")
            procs.append(worker)
        wait_settled(bootstrap, topics)
        wait_recorded(store, len(sent), len(expected), timeout=120, quiet=30)
        elapsed = time.monotonic() - t_stream
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        if cluster is not None:
            cluster.stop()
    report = audit(f"detector worker kill -9 x{len(kills)}", store, sent, expected)
    print(f"kills at committed progress: {', '.join(kills)}")
    print(report.figures())
    print(
        f"stream time {elapsed:.1f} s with {len(kills)} kills; whole bench "
        f"{time.monotonic() - t0:.1f} s; logs in {work}"
    )
    for problem in report.problems():
        print(f"PROBLEM: {problem}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

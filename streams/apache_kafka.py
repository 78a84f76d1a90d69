"""Apache Kafka (KRaft, broker + controller in each node) on loopback, from Maven Central jars.

Why: the embedded broker (Tansu) never compacts, never loses a replica and never moves a
partition leader, so delivery bugs that only Apache Kafka shows went unseen (issue 12).
The test suite, the fault suite and `bench/faults.py` start real clusters with this module:
one node, or three (replication factor 3, `min.insync.replicas` 2) with compaction set
aggressive enough to happen within seconds.

Nothing is downloaded at run time except by `fetch()`: it runs Maven on
`streams/kafka-dist/pom.xml` (org.apache.kafka:kafka_2.13 and its runtime dependencies) and
copies the jars into a cache outside the work tree, `WITNESS_KAFKA_CACHE` or
`~/.cache/witness/kafka-VERSION`. `.ci/run` calls it up front:

    python -m streams.apache_kafka fetch          # jars into the cache (Maven, once)
    python -m streams.apache_kafka start -n 3     # a cluster until Ctrl-C, for manual tests

Each node is `java -cp 'CACHE/*' kafka.Kafka server.properties`, formatted first with
`kafka.tools.StorageTool format --cluster-id ID --config server.properties` (a static
quorum: every node is a voter). Folders and logs live in a temporary directory that a clean
stop removes (kept when `keep=True`, or when a start failed, so its log can be read).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from streams.broker import BrokerError, die_with_parent, free_port

POM = Path(__file__).resolve().parent / "kafka-dist" / "pom.xml"
COMPLETE_MARK = ".witness-complete"

#: Small heap, serial GC and the C1 compiler only: three nodes must start and run on two
#: shared cores beside the tests; broker throughput is never the bottleneck there.
DEFAULT_JAVA_OPTS = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)

#: Compaction within seconds: segments roll every 2 s, any dirt makes a log cleanable and
#: the cleaner looks every 500 ms. Only whole, rolled segments are compacted.
AGGRESSIVE_COMPACTION = {
    "log.roll.ms": "2000",
    "log.cleaner.min.cleanable.ratio": "0.01",
    "log.cleaner.backoff.ms": "500",
    "log.cleaner.min.compaction.lag.ms": "0",
    "log.cleaner.delete.retention.ms": "1000",
    "log.segment.delete.delay.ms": "1000",
    "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
}

LOG4J2 = """\
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


def kafka_version(pom: Path = POM) -> str:
    """The Kafka version the pom pins (one place to change it)."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text("utf-8"))
    if not match:
        raise BrokerError(f"{pom} names no <kafka.version>")
    return match.group(1).strip()


def cache_dir(version: str | None = None) -> Path:
    """Where the jars live: WITNESS_KAFKA_CACHE, else ~/.cache/witness/kafka-VERSION."""
    explicit = os.environ.get("WITNESS_KAFKA_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    return Path.home() / ".cache" / "witness" / f"kafka-{version or kafka_version()}"


def java_binary() -> str:
    """The `java` to run Kafka with (JAVA_HOME first), or a clear error."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise BrokerError(
            "Apache Kafka needs Java 17 or newer: install it (Debian: apt-get install "
            "openjdk-17-jre-headless) or set JAVA_HOME"
        )
    return found


def is_fetched(cache: Path | None = None) -> bool:
    cache = cache or cache_dir()
    return (cache / COMPLETE_MARK).is_file() and any(cache.glob("kafka_2.13-*.jar"))


def fetch(cache: Path | None = None, *, quiet: bool = True) -> Path:
    """Copy kafka_2.13 and its runtime dependencies into the cache with Maven (idempotent).

    Jars go to a sibling folder first and are moved in whole, so a half-done copy is never
    taken for a cache and two fetches at once do not mix their files."""
    cache = cache or cache_dir()
    if is_fetched(cache):
        return cache
    mvn = shutil.which("mvn")
    if not mvn:
        raise BrokerError(
            f"Apache Kafka's jars are not in {cache} and Maven is missing to fetch them: "
            "install Maven (Debian: apt-get install maven), or set WITNESS_KAFKA_CACHE to a "
            "folder that holds kafka_2.13 and its dependencies"
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{cache.name}-", dir=cache.parent))
    cmd = [
        mvn,
        "-B",
        *(["-q"] if quiet else []),
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
        shutil.rmtree(staging, ignore_errors=True)
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise BrokerError(
            f"Maven could not fetch Apache Kafka {kafka_version()} (exit {done.returncode}):\n"
            + "\n".join(tail)
        )
    (staging / COMPLETE_MARK).write_text(kafka_version() + "\n", "utf-8")
    try:
        staging.rename(cache)
    except OSError:  # another fetch won the race, or a broken cache is in the way
        if not is_fetched(cache):
            shutil.rmtree(cache, ignore_errors=True)
            staging.rename(cache)
        else:
            shutil.rmtree(staging, ignore_errors=True)
    return cache


def _cluster_id() -> str:
    """A Kafka Uuid: 16 random bytes, URL-safe base64 without padding (22 characters).

    Never one starting with "-" (one draw in 64): StorageTool's argument parser reads
    `--cluster-id -xyz` as a missing value, and Kafka's own `Uuid.randomUuid` redraws
    such ids for the same reason. A CI run failed on one."""
    while True:
        found = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not found.startswith("-"):
            return found


@dataclass
class KafkaNode:
    """One KRaft node (broker + controller) and its process."""

    node_id: int
    port: int
    controller_port: int
    folder: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.folder / "server.properties"

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class ApacheKafka:
    """A 1- or 3-node Apache Kafka cluster on 127.0.0.1 free ports.

    `bootstrap` lists every node. `kill(i)` is kill -9 of one node, `restart(i)` brings it
    back on the same ports and data, `stop()` shuts everything down cleanly."""

    def __init__(
        self,
        nodes: int = 1,
        *,
        workdir: str | Path | None = None,
        cache: Path | None = None,
        compaction: dict[str, str] | None = None,
        extra_config: dict[str, str] | None = None,
        java_opts: tuple[str, ...] = DEFAULT_JAVA_OPTS,
        keep: bool = False,
    ) -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        self.size = nodes
        self.replication_factor = min(3, nodes)
        self.min_insync = 2 if nodes >= 3 else 1
        self.cache = cache
        self.compaction = AGGRESSIVE_COMPACTION if compaction is None else compaction
        self.extra_config = extra_config or {}
        self.java_opts = java_opts
        self.keep = keep
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="witness-kafka-"))
        self.cluster_id = _cluster_id()
        self.nodes = [
            KafkaNode(i, free_port(), free_port(), self.workdir / f"node-{i}")
            for i in range(1, nodes + 1)
        ]

    # ---------------------------------------------------------------- config

    @property
    def bootstrap(self) -> str:
        return ",".join(n.address for n in self.nodes)

    def node(self, node_id: int) -> KafkaNode:
        return self.nodes[node_id - 1]

    def _properties(self, node: KafkaNode) -> dict[str, str]:
        rf = str(self.replication_factor)
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        return {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(node.folder / "data"),
            "num.partitions": "1",
            "default.replication.factor": rf,
            "min.insync.replicas": str(self.min_insync),
            "offsets.topic.replication.factor": rf,
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": str(self.min_insync),
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": str(self.min_insync),
            "group.initial.rebalance.delay.ms": "0",
            # The tests use 2 s consumer sessions so a killed worker's partitions move fast
            # (Apache Kafka refuses sessions under 6 s by default).
            "group.min.session.timeout.ms": "1000",
            # As in docker-compose.yml: topics come from `witness doctor --fix` / ensure_topics.
            "auto.create.topics.enable": "false",
            "message.max.bytes": str(16 * 1024 * 1024),
            "replica.fetch.max.bytes": str(16 * 1024 * 1024),
            # A killed node is fenced (and leaves the ISR) within seconds, not the defaults'
            # 9-30 s, yet a node starved of CPU on a loaded 2-core machine is not fenced
            # for being slow (3 s flapped at load 60), nor the quorum re-elected.
            "broker.heartbeat.interval.ms": "1000",
            "broker.session.timeout.ms": "6000",
            "replica.lag.time.max.ms": "8000",
            "controller.quorum.fetch.timeout.ms": "4000",
            "controller.quorum.election.timeout.ms": "2000",
            "unclean.leader.election.enable": "false",
            "log.cleaner.threads": "1",
            "num.network.threads": "2",
            "num.io.threads": "2",
            "num.replica.fetchers": "1",
            "background.threads": "2",
            **self.compaction,
            **self.extra_config,
        }

    def _write_config(self, node: KafkaNode) -> None:
        node.folder.mkdir(parents=True, exist_ok=True)
        lines = [f"{k}={v}" for k, v in self._properties(node).items()]
        node.config_path.write_text("\n".join(lines) + "\n", "utf-8")
        (node.folder / "log4j2.properties").write_text(LOG4J2.format(log=node.log_path), "utf-8")

    def _java(self, node: KafkaNode, main: str, *args: str) -> list[str]:
        return [
            java_binary(),
            *self.java_opts,
            f"-Dlog4j2.configurationFile={node.folder / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={node.folder}",
            "-cp",
            f"{self.cache}/*",
            main,
            *args,
        ]

    # ---------------------------------------------------------------- lifecycle

    def start(self, timeout: float = 240.0) -> ApacheKafka:
        """Fetch if needed, format every node's storage, start all nodes, wait for them."""
        self.cache = fetch(self.cache)
        for node in self.nodes:
            self._write_config(node)
        formats = [
            subprocess.Popen(
                self._java(
                    node,
                    "kafka.tools.StorageTool",
                    "format",
                    "--cluster-id",
                    self.cluster_id,
                    "--config",
                    str(node.config_path),
                    "--ignore-formatted",
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            for node in self.nodes
        ]
        for node, proc in zip(self.nodes, formats, strict=True):
            out, _ = proc.communicate(timeout=timeout)
            if proc.returncode != 0:
                raise BrokerError(
                    f"kafka.tools.StorageTool format failed for node {node.node_id}: "
                    + out.decode("utf-8", "replace")[-2000:]
                )
        for node in self.nodes:
            self._launch(node)
        try:
            self.wait_ready(timeout)
        except BrokerError:
            self.stop(remove=False)
            raise
        return self

    def _launch(self, node: KafkaNode) -> None:
        out = open(node.folder / "stdout.log", "ab")  # noqa: SIM115 (the child keeps it)
        node.proc = subprocess.Popen(
            self._java(node, "kafka.Kafka", str(node.config_path)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,  # never left behind by a killed test run
        )
        out.close()

    def wait_ready(self, timeout: float = 120.0, *, nodes: int | None = None) -> None:
        """Until the cluster's metadata lists `nodes` live brokers (default: all alive ones)."""
        want = nodes if nodes is not None else sum(n.alive for n in self.nodes)
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for node in self.nodes:  # a node that died by itself (not by kill()) is an error
                code = node.proc.poll() if node.proc is not None else None
                if code is not None and code != -signal.SIGKILL:
                    raise BrokerError(
                        f"Kafka node {node.node_id} exited with code {code}; see {node.log_path}"
                    )
            try:
                brokers = self.live_brokers()
                if len(brokers) >= want:
                    return
                last = f"{len(brokers)} of {want} brokers registered"
            except Exception as exc:  # not up yet
                last = f"{exc.__class__.__name__}: {exc}"
            time.sleep(0.5)
        raise BrokerError(
            f"Apache Kafka not ready on {self.bootstrap} after {timeout:.0f}s ({last}); "
            f"logs in {self.workdir}"
        )

    def _admin(self, call, attempts: int = 20):
        """Run `call(admin)` against the live nodes, retrying: right after a kill the
        metadata still names the dead node and kafka-python's admin does not fail over."""
        from kafka import KafkaAdminClient

        last: Exception | None = None
        for _ in range(attempts):
            alive = ",".join(n.address for n in self.nodes if n.alive) or self.bootstrap
            try:
                admin = KafkaAdminClient(bootstrap_servers=alive, request_timeout_ms=5000)
            except Exception as exc:  # no node answers yet
                last = exc
                time.sleep(0.5)
                continue
            try:
                return call(admin)
            except Exception as exc:
                last = exc
                time.sleep(0.5)
            finally:
                admin.close()
        raise BrokerError(f"Kafka admin request failed on {self.bootstrap}: {last}")

    def live_brokers(self) -> list[int]:
        """Node ids of the unfenced brokers the cluster's metadata lists now."""
        brokers = self._admin(lambda a: a.describe_cluster()["brokers"])
        return sorted(b["broker_id"] for b in brokers if not b.get("is_fenced"))

    def under_replicated(self, topics: list[str] | None = None) -> list[tuple[str, int]]:
        """(topic, partition) pairs whose in-sync replicas are fewer than their replicas."""
        described = self._admin(lambda a: a.describe_topics(topics))
        return [
            (t["name"], p["partition_index"])
            for t in described
            for p in t["partitions"]
            if len(p["isr_nodes"]) < len(p["replica_nodes"])
        ]

    def wait_in_sync(self, topics: list[str] | None = None, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        behind: list[tuple[str, int]] = []
        while time.monotonic() < deadline:
            behind = self.under_replicated(topics)
            if not behind:
                return
            time.sleep(0.5)
        raise BrokerError(f"partitions still under-replicated after {timeout:.0f}s: {behind}")

    def kill(self, node_id: int) -> None:
        """kill -9 one node: no controlled shutdown, no flush."""
        node = self.node(node_id)
        if node.alive:
            os.killpg(node.proc.pid, signal.SIGKILL)
            node.proc.wait(timeout=120)

    def restart(self, node_id: int, timeout: float = 240.0) -> None:
        """Start a stopped or killed node again on its ports and data; wait until it is back."""
        node = self.node(node_id)
        if node.alive:
            raise BrokerError(f"Kafka node {node_id} is still running")
        self._launch(node)
        self.wait_ready(timeout, nodes=sum(n.alive for n in self.nodes))

    def stop(self, *, remove: bool | None = None, timeout: float = 30.0) -> None:
        """SIGTERM every node (controlled shutdown), SIGKILL what is left after `timeout`."""
        running = [n for n in self.nodes if n.alive]
        for node in running:
            os.killpg(node.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node in running:
            try:
                node.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.proc.wait(timeout=60)  # a starved JVM can take a while to go
        if remove is None:
            remove = self._own_workdir and not self.keep
        if remove:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ApacheKafka:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m streams.apache_kafka",
        description="Fetch Apache Kafka's jars with Maven, or run a loopback KRaft cluster.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="copy kafka_2.13 and its runtime dependencies into the cache")
    start = sub.add_parser("start", help="run a cluster on 127.0.0.1 until Ctrl-C")
    start.add_argument("-n", "--nodes", type=int, default=1, help="1 or 3 (default 1)")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(f"Apache Kafka {kafka_version()} jars in {fetch(quiet=False)}")
            return 0
        cluster = ApacheKafka(args.nodes, keep=True).start()
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"WITNESS_KAFKA_BOOTSTRAP={cluster.bootstrap}  (logs in {cluster.workdir})")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop(remove=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

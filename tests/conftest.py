"""Shared fixtures: stores on SQLite and PostgreSQL, brokers shared by the session.

Brokers: the embedded one (`broker`), a single-node Apache Kafka (`kafka`), a 3-node Apache
Kafka cluster for the fault suite (`kafka_cluster`), and `any_broker`, which runs a test on
the embedded broker and on Apache Kafka. A test that needs PostgreSQL, a broker, Java or
Maven skips when they are missing on a user's machine, but fails when CI=true
(DEVELOPERS.md). `-m "not kafka"` leaves Apache Kafka out, `-m "not faults"` the fault suite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("WITNESS_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def unavailable(what: str) -> None:
    """Skip locally, fail in CI."""
    if CI:
        pytest.fail(f"{what} is required when CI=true")
    pytest.skip(f"{what} not available")


def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    conn.autocommit = True
    return conn


def _url_for(db: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{db}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database; each test clones it (fast, isolated)."""
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"PostgreSQL at {PG_ADMIN_URL} ({exc.__class__.__name__})")
    name = f"witness_tmpl_{uuid.uuid4().hex[:10]}"
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    from witness.store import Store

    store = Store(_url_for(name))
    store.close()
    yield name
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    admin = _pg_admin()
    name = f"witness_t_{uuid.uuid4().hex[:12]}"
    admin.cursor().execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _url_for(name)
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/witness.db"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request) -> str:
    """A fresh database URL; tests using it run on both backends."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    """A migrated Store on SQLite and on PostgreSQL."""
    from witness.store import Store

    s = Store(db_url)
    yield s
    s.close()


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """One embedded Kafka-compatible broker for the whole session; yields host:port."""
    from streams.broker import BrokerError, EmbeddedBroker

    try:
        b = EmbeddedBroker().start()
    except BrokerError as exc:
        unavailable(f"embedded broker ({exc})")
    yield b.bootstrap
    b.stop()


def _start_apache_kafka(nodes: int):
    """An Apache Kafka cluster from the Maven cache, or skip (fail under CI=true)."""
    from streams.apache_kafka import ApacheKafka, cache_dir, fetch, java_binary
    from streams.broker import BrokerError

    try:
        java_binary()
        fetch()  # a no-op once the cache is filled (.ci/run fills it up front)
        return ApacheKafka(nodes).start()
    except BrokerError as exc:
        unavailable(f"Apache Kafka ({nodes} node(s), cache {cache_dir()}): {exc}")


@pytest.fixture(scope="session")
def kafka() -> Iterator[str]:
    """One single-node Apache Kafka (KRaft) for the whole session; yields its bootstrap."""
    cluster = _start_apache_kafka(1)
    yield cluster.bootstrap
    cluster.stop()


@pytest.fixture(scope="session")
def _kafka_cluster_session():
    cluster = _start_apache_kafka(3)
    yield cluster
    cluster.stop()


@pytest.fixture
def kafka_cluster(_kafka_cluster_session, monkeypatch):
    """The session's 3-node Apache Kafka cluster (replication factor 3, min.insync.replicas
    2, aggressive compaction), whole again after each test: a node a test killed is
    restarted and every partition back in sync before the next test starts."""
    cluster = _kafka_cluster_session
    monkeypatch.setenv("WITNESS_REPLICATION_FACTOR", "3")
    yield cluster
    for node in cluster.nodes:
        if not node.alive:
            cluster.restart(node.node_id)
    cluster.wait_in_sync(timeout=120)


@pytest.fixture(
    params=["embedded", pytest.param("kafka", marks=pytest.mark.kafka)],
)
def any_broker(request) -> str:
    """A bootstrap address; the test runs on the embedded broker and on Apache Kafka."""
    if request.param == "embedded":
        return request.getfixturevalue("broker")
    return request.getfixturevalue("kafka")


@pytest.fixture
def topics():
    """Fresh topic names for one test (the broker is shared by the session)."""
    from streams.topics import Topics

    return Topics(prefix=f"t{uuid.uuid4().hex[:8]}.")


@pytest.fixture(autouse=True)
def _fast_group_join(monkeypatch):
    """The embedded broker's first group join takes ~half the session timeout."""
    monkeypatch.setenv(
        "WITNESS_KAFKA_SESSION_TIMEOUT_MS",
        os.environ.get("WITNESS_KAFKA_SESSION_TIMEOUT_MS", "2000"),
    )


@pytest.fixture(autouse=True)
def _no_auto_record(monkeypatch):
    """Recorders in tests make no witness records at archive unless a test asks for it
    (tests/record/ does): a PDF per archived simulator project would slow every pipeline test."""
    monkeypatch.setenv(
        "WITNESS_AUTO_RECORD_SECONDS", os.environ.get("WITNESS_AUTO_RECORD_SECONDS", "0")
    )


@pytest.fixture(autouse=True)
def _product_default_locale(monkeypatch):
    """Tests see the product's default language (zh-CN) whatever the shell running them
    sets; a test that wants English sets WITNESS_LOCALE itself."""
    monkeypatch.delenv("WITNESS_LOCALE", raising=False)


_FAULT_FIGURES: list[str] = []


@pytest.fixture
def fault_figures():
    """Record one fault scenario's figures; they are printed at the end of the run."""
    return _FAULT_FIGURES.append


def pytest_terminal_summary(terminalreporter) -> None:
    if _FAULT_FIGURES:
        terminalreporter.section("fault suite figures")
        for line in _FAULT_FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def wall_url(sqlite_url, monkeypatch):
    """A SQLite store seeded for the wall (tests/support/wall_seed.py); (url, alert ids)."""
    from tests.support.wall_seed import seed
    from witness.store import Store

    monkeypatch.setenv("WITNESS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WITNESS_LOCALE", "en")
    store = Store(sqlite_url)
    ids = seed(store)
    store.close()
    return sqlite_url, ids

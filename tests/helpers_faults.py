"""Faults on demand: a TCP proxy that can refuse connections, a store that fails writes."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

from sqlalchemy.exc import OperationalError


class TcpProxy:
    """127.0.0.1:`port` forwarded to `target`. `refuse()` cuts every connection and
    refuses new ones (as a database that went down); `accept()` lets them through again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        from streams.broker import free_port

        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def accept(self) -> TcpProxy:
        with self._lock:
            if self._listener is not None:
                return self
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self._listener = listener
        threading.Thread(target=self._serve, args=(listener,), daemon=True).start()
        return self

    def refuse(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._open = self._open, []
        if listener is not None:
            listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    close = refuse

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # refused: the listener was closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def pg_via(proxy: TcpProxy, url: str) -> str:
    """`url` (postgresql://user@host:port/db) pointed at the proxy instead."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return u.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


class FailingWrites:
    """Makes `store.write` raise as a database outage while `down()` says so."""

    def __init__(self, store, down: Callable[[], bool]) -> None:
        self.store, self.down = store, down
        self.failed = 0
        self._write = store.write
        store.write = self._maybe_fail

    def _maybe_fail(self, *args, **kw):
        if self.down():
            self.failed += 1
            raise OperationalError("INSERT ...", {}, ConnectionRefusedError("injected outage"))
        return self._write(*args, **kw)

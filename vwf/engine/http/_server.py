"""The engine's HTTP front end: SWF's JSON 1.0 protocol over HTTP/1.1.

Every call is ``POST /`` with ``X-Amz-Target: SimpleWorkflowService.<Operation>``
and a JSON body, as stock boto3 sends it. One thread serves each connection,
because a long poll keeps its connection open until a task arrives or the engine's
``long_poll_timeout`` ends.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING

from vwf._network import is_loopback_host
from vwf.engine.http._connection import RequestHandler
from vwf.engine.http._sigv4 import SigV4Verifier
from vwf.engine.http.errors import InsecureListenError

if TYPE_CHECKING:
    from vwf.engine import Engine

logger = logging.getLogger(__name__)

# Time that stop() gives calls other than long polls to finish.
_STOP_GRACE_SECONDS = 5.0
DEFAULT_READ_TIMEOUT = timedelta(seconds=60)
# Longer than the engine's long polls, so a client that polls again right
# after an empty poll finds its connection open.
DEFAULT_IDLE_TIMEOUT = timedelta(seconds=75)


class EngineServer:
    """Serves one :class:`~vwf.engine.Engine` to SWF clients over HTTP.

    The socket is bound on construction, so :attr:`url` is valid at once even
    with ``port=0``. With ``credentials`` (access key id -> secret key), every
    request must carry a valid AWS Signature Version 4. Without them the
    server only listens on loopback addresses and raises
    :class:`InsecureListenError` for any other ``host``.

    ``read_timeout`` bounds the time to receive one request (request line,
    headers and body) from its first byte on. A client that misses it gets a
    408 error and its connection is closed. ``idle_timeout`` bounds the wait
    for the next request on an open connection, after which the connection is
    closed without a response. Neither applies while a call runs, so a long
    poll waits for as long as the engine's ``long_poll_timeout``.
    """

    def __init__(
        self,
        engine: Engine,
        host: str = "127.0.0.1",
        port: int = 8765,
        credentials: Mapping[str, str] | None = None,
        read_timeout: timedelta = DEFAULT_READ_TIMEOUT,
        idle_timeout: timedelta = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        _check_listen_address(host, credentials)
        self._read_seconds = _positive_seconds("read_timeout", read_timeout)
        self._idle_seconds = _positive_seconds("idle_timeout", idle_timeout)
        self._engine = engine
        self._verifier = SigV4Verifier(credentials) if credentials else None
        self._httpd = _ThreadingServer((host, port), self)
        self._connections: set[RequestHandler] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop_lock = threading.Lock()
        self._stopping = False
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        """Base URL for clients on this machine, e.g. ``http://127.0.0.1:8765``."""
        host, port = self._httpd.server_address[:2]
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def start(self) -> None:
        """Serve requests on a background thread until :meth:`stop`."""
        if self._thread is not None:
            raise RuntimeError(f"the server at {self.url} is already running")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="vwf-engine-http",
            daemon=True,
        )
        self._thread.start()
        logger.info("engine HTTP server listening on %s", self.url)

    def serve_forever(self) -> None:
        """Serve requests until :meth:`stop` is called from a signal handler or
        another thread, then return."""
        self.start()
        while not self._stopped.wait(timeout=1.0):
            pass

    def stop(self) -> None:
        """Stop accepting connections and close the open ones.

        Parked long polls get an empty poll response, and other calls in flight
        get up to 5 s to finish.
        """
        # Never released: stop() runs once, and a second call (say, from a
        # signal handler that interrupts the first) returns at once.
        if not self._stop_lock.acquire(blocking=False):
            return
        self._stopping = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

        self._close_connections()
        logger.info("engine HTTP server at %s stopped", self.url)
        self._stopped.set()

    def _close_connections(self) -> None:
        deadline = time.monotonic() + _STOP_GRACE_SECONDS
        while True:
            with self._connections_lock:
                connections = list(self._connections)
            busy = [c for c in connections if not c.interrupt_if_idle()]
            if not busy or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        for connection in busy:
            connection.abort()

    def _register(self, connection: RequestHandler) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def _unregister(self, connection: RequestHandler) -> None:
        with self._connections_lock:
            self._connections.discard(connection)


def _positive_seconds(name: str, duration: timedelta) -> float:
    seconds = duration.total_seconds()
    if seconds <= 0:
        raise ValueError(
            f"{name} must be positive, got {duration!r}; pass e.g. "
            "timedelta(seconds=30)"
        )
    return seconds


def _check_listen_address(host: str, credentials: Mapping[str, str] | None) -> None:
    if credentials or is_loopback_host(host):
        return
    raise InsecureListenError(
        f"will not listen on {host!r} without credentials, because anyone who "
        "can reach that address could then drive the engine; listen on "
        "127.0.0.1, or configure access keys (vwf engine serve "
        "--access-key-file FILE)"
    )


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: EngineServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__(address, RequestHandler)

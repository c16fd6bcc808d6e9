"""The engine's HTTP front end: SWF's JSON 1.0 protocol over HTTP/1.1.

Every call is ``POST /`` with ``X-Amz-Target: SimpleWorkflowService.<Operation>``
and a JSON body, as stock boto3 sends it. One thread serves each connection,
because a long poll keeps its connection open until a task arrives or the engine's
``long_poll_timeout`` ends.
"""

from __future__ import annotations

import http
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from vwf._network import is_loopback_host
from vwf.engine._wire import handle_request
from vwf.engine.http._sigv4 import SignedRequest, SigV4Verifier
from vwf.engine.http.errors import AuthenticationError, InsecureListenError

if TYPE_CHECKING:
    from vwf.engine import Engine

logger = logging.getLogger(__name__)

TARGET_PREFIX = "SimpleWorkflowService."
CONTENT_TYPE = "application/x-amz-json-1.0"
MAX_BODY_BYTES = 8 * 1024 * 1024
_CORAL = "com.amazon.coral.service#"
_POLL_OPERATIONS = {
    "PollForDecisionTask": b'{"previousStartedEventId":0,"startedEventId":0}',
    "PollForActivityTask": b'{"startedEventId":0}',
}
# Time that stop() gives calls other than long polls to finish.
_STOP_GRACE_SECONDS = 5.0


class _RequestRejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class EngineServer:
    """Serves one :class:`~vwf.engine.Engine` to SWF clients over HTTP.

    The socket is bound on construction, so :attr:`url` is valid at once even
    with ``port=0``. With ``credentials`` (access key id -> secret key), every
    request must carry a valid AWS Signature Version 4. Without them the
    server only listens on loopback addresses and raises
    :class:`InsecureListenError` for any other ``host``.
    """

    def __init__(
        self,
        engine: Engine,
        host: str = "127.0.0.1",
        port: int = 8765,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        _check_listen_address(host, credentials)
        self._engine = engine
        self._verifier = SigV4Verifier(credentials) if credentials else None
        self._httpd = _ThreadingServer((host, port), self)
        self._connections: set[_RequestHandler] = set()
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

    def _register(self, connection: _RequestHandler) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def _unregister(self, connection: _RequestHandler) -> None:
        with self._connections_lock:
            self._connections.discard(connection)


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
        super().__init__(address, _RequestHandler)


# Lingering close after an error response: at most 16 reads of 64 KiB, each
# waiting up to 0.5 s.
_DRAIN_SECONDS = 0.5
_DRAIN_MAX_READS = 16


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vwf-engine"
    disable_nagle_algorithm = True
    # NOTE: no read timeout is set, so a client that never finishes sending
    # its request keeps one thread busy until it disconnects. Listening off
    # loopback needs access keys, but a reverse proxy with request timeouts
    # should stand in front of a server exposed to untrusted networks.
    server: _ThreadingServer

    def setup(self) -> None:
        super().setup()
        self._write_lock = threading.Lock()
        self._operation: str | None = None
        self._answered = False
        self._status = 0
        self.server.app._register(self)

    def finish(self) -> None:
        self.server.app._unregister(self)
        super().finish()
        if self.close_connection:
            self._drain_unread_input()

    def _drain_unread_input(self) -> None:
        # Closing a socket with unread input makes the kernel reset the
        # connection, which can destroy the error response before the client
        # reads it. So the server ends its side and reads what is left first.
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_DRAIN_SECONDS)
            for _ in range(_DRAIN_MAX_READS):
                if not self.connection.recv(65536):
                    break
        except OSError:
            pass  # The client is gone; there is nothing left to protect.

    def do_POST(self) -> None:  # noqa: N802 (name fixed by http.server)
        self._handle()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST  # noqa: N815

    def do_HEAD(self) -> None:  # noqa: N802
        self.close_connection = True
        self._handle()

    def _handle(self) -> None:
        started = time.monotonic()
        self._answered = False
        self._status = 0
        try:
            body = self._read_body()
            self._authenticate(body)
            operation = self._check_request()
        except _RequestRejected as exc:
            logger.info(
                "rejected %s %s (target %r): %s",
                self.command,
                self.path,
                self.headers.get("X-Amz-Target"),
                exc.message,
            )
            self._send_error_body(exc.status, exc.code, exc.message)
        else:
            self._dispatch(operation, body)
        logger.debug(
            "%s %s %s %.1f ms",
            self.address_string(),
            self.headers.get("X-Amz-Target"),
            self._status,
            (time.monotonic() - started) * 1000,
        )

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise _RequestRejected(
                411,
                f"{_CORAL}SerializationException",
                "chunked request bodies are not supported; send Content-Length",
            )
        length_header = self.headers.get("Content-Length", "0")
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            raise _RequestRejected(
                413 if length > MAX_BODY_BYTES else 400,
                f"{_CORAL}SerializationException",
                f"invalid Content-Length {length_header!r}; send the body size "
                f"in bytes, at most {MAX_BODY_BYTES}",
            )
        return self.rfile.read(length)

    def _authenticate(self, body: bytes) -> None:
        verifier = self.server.app._verifier
        if verifier is None:
            return
        path, _, query = self.path.partition("?")
        request = SignedRequest(
            method=self.command,
            path=path,
            query=query,
            headers=self.headers.items(),
            body=body,
        )
        try:
            verifier.verify(request)
        except AuthenticationError as exc:
            raise _RequestRejected(exc.status, f"{_CORAL}{exc.code}", str(exc)) from exc

    def _check_request(self) -> str:
        if self.command != "POST":
            raise _RequestRejected(
                405,
                f"{_CORAL}UnknownOperationException",
                f"method {self.command} is not supported; SWF calls are POST /",
            )
        if self.path != "/":
            raise _RequestRejected(
                404,
                f"{_CORAL}UnknownOperationException",
                f"path {self.path!r} not found; SWF calls are POST /",
            )
        content_type = self.headers.get("Content-Type", "")
        if content_type.partition(";")[0].strip().lower() != CONTENT_TYPE:
            raise _RequestRejected(
                415,
                f"{_CORAL}SerializationException",
                f"unsupported Content-Type {content_type!r}; send {CONTENT_TYPE}",
            )
        target = self.headers.get("X-Amz-Target", "")
        if not target.startswith(TARGET_PREFIX):
            raise _RequestRejected(
                400,
                f"{_CORAL}UnknownOperationException",
                f"invalid X-Amz-Target {target!r}; expected "
                f"{TARGET_PREFIX}<Operation>, e.g. {TARGET_PREFIX}ListDomains",
            )
        return target.removeprefix(TARGET_PREFIX)

    def _dispatch(self, operation: str, body: bytes) -> None:
        self._operation = operation
        try:
            handle_request(
                self.server.app._engine, TARGET_PREFIX + operation, body, self.send
            )
        except OSError as exc:
            self.close_connection = True
            logger.info("%s: client connection lost: %s", operation, exc)
        except Exception:
            logger.exception("%s failed inside the engine", operation)
            if not self._answered:
                self._send_error_body(
                    500,
                    f"{_CORAL}InternalFailure",
                    f"{operation} failed inside the engine; see the server log",
                )
        finally:
            self._operation = None

    def send(self, status: int, body: bytes) -> None:
        """Write the response to the current call.

        Raises :class:`OSError` when the client is gone or :meth:`stop` has
        already sent a response, so a long poll's claim rolls back.
        """
        with self._write_lock:
            if self._answered:
                raise ConnectionAbortedError(
                    "the server already sent an empty poll response while stopping"
                )
            if _peer_closed(self.connection):
                raise ConnectionResetError("the client closed the connection")
            self.connection.sendall(self._response_bytes(status, body))
            self._answered = True

    def _send_error_body(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"__type": code, "message": message}).encode()
        try:
            self.send(status, body)
        except OSError as exc:
            self.close_connection = True
            logger.info("could not send error %s to the client: %s", code, exc)

    def _response_bytes(self, status: int, body: bytes) -> bytes:
        self._status = status
        if self.server.app._stopping:
            self.close_connection = True
        phrase = http.HTTPStatus(status).phrase
        head = [
            f"HTTP/1.1 {status} {phrase}",
            f"Server: {self.server_version}",
            f"Content-Type: {CONTENT_TYPE}",
            f"Content-Length: {len(body)}",
            f"x-amzn-RequestId: {uuid.uuid4()}",
        ]
        if self.close_connection:
            head.append("Connection: close")
        payload = body if self.command != "HEAD" else b""
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload

    def interrupt_if_idle(self) -> bool:
        """Close the connection unless a call other than a long poll is in
        flight, and return whether it was closed.

        A parked long poll first gets an empty poll response.
        """
        operation = self._operation
        if operation is not None and operation not in _POLL_OPERATIONS:
            return False
        if operation is not None:
            self._answer_empty_poll(operation)
        self.abort()
        return True

    def _answer_empty_poll(self, operation: str) -> None:
        self.close_connection = True
        try:
            self.send(200, _POLL_OPERATIONS[operation])
        except OSError as exc:
            logger.debug(
                "%s: failed to send the empty poll response while stopping: %s",
                operation,
                exc,
            )

    def abort(self) -> None:
        """Shut the socket down, which wakes a thread blocked reading it."""
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain=None) -> None:
        # http.server calls this for requests it cannot parse; respond in the
        # same JSON error shape as every other rejection.
        self.close_connection = True
        self._answered = False
        name = http.HTTPStatus(code).phrase.replace(" ", "")
        self._send_error_body(code, f"{_CORAL}{name}Exception", message or name)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        logger.debug("%s %s", self.address_string(), format % args)

    def log_request(self, code="-", size="-") -> None:
        pass


def _peer_closed(connection: socket.socket) -> bool:
    # A client that gave up on a long poll has usually sent FIN by now, but
    # the first write to such a socket still succeeds. Only a peek at the
    # receive side shows that the response would be lost.
    # NOTE: a client that closes after this check still loses its task until
    # the task's start-to-close timeout, as it would on Amazon SWF.
    try:
        data = connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return data == b""

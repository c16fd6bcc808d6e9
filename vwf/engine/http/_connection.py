"""One client connection of the engine's HTTP server.

:class:`RequestHandler` reads each request with the strict HTTP/1.1 reader
in :mod:`._http11`, runs the SWF call and writes the JSON response, until
the client closes the connection, a timeout ends it or the server stops.
"""

from __future__ import annotations

import http
import json
import logging
import socket
import socketserver
import threading
import time
import uuid
from typing import TYPE_CHECKING

from vwf.engine._wire import handle_request
from vwf.engine.http._http11 import Headers, HttpError, RequestHead, RequestReader
from vwf.engine.http._sigv4 import SignedRequest
from vwf.engine.http.errors import AuthenticationError

if TYPE_CHECKING:
    from vwf.engine.http._server import _ThreadingServer

logger = logging.getLogger(__name__)

TARGET_PREFIX = "SimpleWorkflowService."
CONTENT_TYPE = "application/x-amz-json-1.0"
MAX_BODY_BYTES = 8 * 1024 * 1024
_CORAL = "com.amazon.coral.service#"
_POLL_OPERATIONS = {
    "PollForDecisionTask": b'{"previousStartedEventId":0,"startedEventId":0}',
    "PollForActivityTask": b'{"startedEventId":0}',
}


class _RequestRejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# Lingering close after an error response: at most 16 reads of 64 KiB, each
# waiting up to 0.5 s.
_DRAIN_SECONDS = 0.5
_DRAIN_MAX_READS = 16
_SERVER_NAME = "vwf-engine"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_PEEK_FLAGS = int(socket.MSG_PEEK | socket.MSG_DONTWAIT)
_NO_HEADERS = Headers([])


def _response_start(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return (
        f"HTTP/1.1 {status} {phrase}\r\nServer: {_SERVER_NAME}\r\n"
        f"Content-Type: {CONTENT_TYPE}\r\n"
    ).encode("latin-1")


# The start of each response head by status, built once instead of per call.
_RESPONSE_STARTS = {
    status.value: _response_start(status.value) for status in http.HTTPStatus
}


def _error_code(status: int) -> str:
    """Return the AWS error code for a rejection made by HTTP framing alone,
    e.g. ``...#BadRequestException`` for 400."""
    name = http.HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    return f"{_CORAL}{name}Exception"


class RequestHandler(socketserver.BaseRequestHandler):
    """Serves the requests of one connection, one after another."""

    server: _ThreadingServer
    request: socket.socket

    def setup(self) -> None:
        self.connection = self.request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = RequestReader(self.connection)
        self._peer = _format_peer(self.client_address)
        self._write_lock = threading.Lock()
        self._operation: str | None = None
        self._answered = False
        self._status = 0
        self.close_connection = False
        self._reset_request()
        self.server.app._register(self)

    def _reset_request(self) -> None:
        self.command = ""
        self.path = ""
        self.request_version = ""
        self.headers = _NO_HEADERS

    def handle(self) -> None:
        while not self.close_connection:
            self._handle_one_request()

    def finish(self) -> None:
        self.server.app._unregister(self)
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

    def _handle_one_request(self) -> None:
        self._reset_request()
        if not self._wait_for_request():
            self.close_connection = True
            return
        started = time.monotonic()
        self._answered = False
        self._status = 0
        try:
            body = self._read_request()
            if body is None:
                return
            self._authenticate(body)
            operation = self._check_request()
        except _RequestRejected as exc:
            self._reject(exc)
        else:
            self._dispatch(operation, body)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s %s %.1f ms",
                self._peer,
                self.headers.get("X-Amz-Target"),
                self._status,
                (time.monotonic() - started) * 1000,
            )

    def _wait_for_request(self) -> bool:
        idle_seconds = self.server.app._idle_seconds
        try:
            return self._reader.wait_for_request(idle_seconds)
        except TimeoutError:
            logger.debug(
                "closing the connection from %s: idle for %g s",
                self._peer,
                idle_seconds,
            )
        except OSError as exc:
            logger.debug("connection from %s failed while idle: %s", self._peer, exc)
        return False

    def _read_request(self) -> bytes | None:
        """Read the head and body of a request whose first bytes arrived.

        Returns None when the client hung up mid-request, so no response can
        be sent.
        """
        deadline = time.monotonic() + self.server.app._read_seconds
        try:
            self._start_request(self._reader.read_head(deadline))
            return self._read_body(deadline)
        except HttpError as exc:
            self.close_connection = True
            code = _error_code(exc.status)
            raise _RequestRejected(exc.status, code, str(exc)) from exc
        except TimeoutError:
            self.close_connection = True
            raise self._timed_out() from None
        except OSError as exc:
            self.close_connection = True
            logger.debug("connection from %s lost mid-request: %s", self._peer, exc)
            return None
        finally:
            # Calls run on a blocking socket. With a timeout set, CPython waits
            # for input before each recv, so the MSG_DONTWAIT peek in
            # _peer_closed would wait out the whole timeout.
            self.connection.settimeout(None)

    def _timed_out(self) -> _RequestRejected:
        seconds = self.server.app._read_seconds
        return _RequestRejected(
            408,
            _error_code(408),
            f"the request was not received in full within {seconds:g} s; "
            "send the request line, headers and body without pausing",
        )

    def _start_request(self, head: RequestHead) -> None:
        self.command = head.method
        self.path = head.target
        self.request_version = head.version
        self.headers = head.headers
        # A response to HEAD carries no body, so the connection is not reused.
        self.close_connection = head.method == "HEAD" or not head.keep_alive

    def _read_body(self, deadline: float) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise _RequestRejected(
                411,
                f"{_CORAL}SerializationException",
                "chunked request bodies are not supported; send Content-Length",
            )
        length = self._content_length()
        if length and self._expects_continue():
            self.connection.sendall(_CONTINUE)
        return self._reader.read_exact(length, deadline)

    def _content_length(self) -> int:
        values = self.headers.get_all("Content-Length") or ["0"]
        length = -1
        if len(set(values)) == 1 and values[0].isascii() and values[0].isdigit():
            length = int(values[0])
        if 0 <= length <= MAX_BODY_BYTES:
            return length
        self.close_connection = True
        sent = values[0] if len(values) == 1 else ", ".join(values)
        raise _RequestRejected(
            413 if length > MAX_BODY_BYTES else 400,
            f"{_CORAL}SerializationException",
            f"invalid Content-Length {sent!r}; send the body size once, in "
            f"bytes, at most {MAX_BODY_BYTES}",
        )

    def _expects_continue(self) -> bool:
        expect = self.headers.get("Expect")
        return (
            expect is not None
            and expect.lower() == "100-continue"
            and self.request_version == "HTTP/1.1"
        )

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

    def _reject(self, exc: _RequestRejected) -> None:
        logger.info(
            "rejected %s from %s (target %r): %s",
            f"{self.command} {self.path}" if self.command else "a request",
            self._peer,
            self.headers.get("X-Amz-Target"),
            exc.message,
        )
        self._send_error_body(exc.status, exc.code, exc.message)

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

        Raises :class:`OSError` when :meth:`stop` has already sent a response,
        or when a long poll's client is gone, so the poll's claim rolls back.
        """
        with self._write_lock:
            if self._answered:
                raise ConnectionAbortedError(
                    "the server already sent an empty poll response while stopping"
                )
            # Other calls have committed before they respond, so a response
            # lost on the way changes nothing and is not worth a system call.
            polling = self._operation in _POLL_OPERATIONS
            if polling and _peer_closed(self.connection):
                raise ConnectionResetError("the client closed the connection")
            # NOTE: writes have no timeout. A client that stops reading a
            # response larger than the socket buffers blocks this thread here
            # until it disconnects. If that response is a long poll's, stop()
            # blocks on _write_lock for as long.
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
        start = _RESPONSE_STARTS.get(status) or _response_start(status)
        request_id = str(uuid.uuid4()).encode("ascii")
        if self.close_connection:
            connection = b"Connection: close\r\n"
        elif self.request_version == "HTTP/1.0":
            connection = b"Connection: keep-alive\r\n"
        else:
            connection = b""
        payload = body if self.command != "HEAD" else b""
        return b"%sContent-Length: %d\r\nx-amzn-RequestId: %s\r\n%s\r\n%s" % (
            start,
            len(body),
            request_id,
            connection,
            payload,
        )

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


def _format_peer(address: tuple) -> str:
    host, port = address[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _peer_closed(connection: socket.socket) -> bool:
    # A client that gave up on a long poll has usually sent FIN by now, but
    # the first write to such a socket still succeeds. Only a peek at the
    # receive side shows that the response would be lost.
    # NOTE: a client that closes after this check still loses its task until
    # the task's start-to-close timeout, as it would on Amazon SWF.
    try:
        data = connection.recv(1, _PEEK_FLAGS)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return data == b""

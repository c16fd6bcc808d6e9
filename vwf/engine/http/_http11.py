"""A small, strict reader of HTTP/1.1 requests (RFC 9112) for the engine server.

It replaces ``http.server``'s parsing, which runs every header block through
the ``email`` package. It also applies one deadline to all the reads of a
request, so a client that trickles bytes cannot hold a connection past it.
Lines may end in CRLF or a bare LF, as RFC 9112 section 2.2 allows.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

# Limits on the request head (request line and header fields). A boto3 1.44
# request head is about 700 bytes in 10 header fields.
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADER_FIELDS = 100
# Empty lines skipped before a request line. RFC 7230 section 3.5 recommends
# skipping them because some old clients send a CRLF after a request body.
MAX_EMPTY_LINES = 8
_RECV_BYTES = 64 * 1024
_SUPPORTED_VERSIONS = ("HTTP/1.1", "HTTP/1.0")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_REQUEST_LINE = re.compile(
    rb"(" + _TOKEN.encode() + rb") ([\x21-\x7e]+) (HTTP/[0-9]\.[0-9])"
)
# A field value may contain HTAB, visible ASCII and obs-text, but no other
# control characters. The patterns run on the header block decoded as
# Latin-1, so each character is one byte.
_VALUE = r"[\t\x20-\x7e\x80-\xff]*"
_FIELD_BLOCK = re.compile(rf"(?:{_TOKEN}:{_VALUE}\r?\n)*")
_FIELD_LINE = re.compile(rf"({_TOKEN}):[ \t]*({_VALUE})\r?\n")
# The LF that ends the last header line (or the request line), then the
# empty line that ends the head.
_HEAD_END = re.compile(rb"\n\r?\n")
_LINE_ENDINGS = re.compile(rb"[\r\n]*")
_EXCERPT_CHARS = 80


class HttpError(Exception):
    """A request that breaks HTTP/1.1 framing, so the connection cannot be reused."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ClientClosedError(ConnectionError):
    """The client closed the connection in the middle of a request."""


class Headers:
    """Request header fields in arrival order, looked up by case-insensitive name.

    :meth:`get` returns the first field of a name. :meth:`items` keeps every
    field with its name as sent, which the SigV4 verifier needs.
    """

    __slots__ = ("_fields", "_first", "_repeated")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields
        self._first: dict[str, str] = {}
        self._repeated: set[str] = set()
        for name, value in fields:
            key = name.lower()
            if key in self._first:
                self._repeated.add(key)
            else:
                self._first[key] = value

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._first.get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        """Return the values of every field called ``name``, in arrival order."""
        key = name.lower()
        if key in self._repeated:
            return [value for field, value in self._fields if field.lower() == key]
        value = self._first.get(key)
        return [] if value is None else [value]

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"


@dataclass(slots=True)
class RequestHead:
    """The request line and header fields of one request."""

    method: str
    target: str
    """Request target as sent, e.g. ``/`` or ``/path?query``."""
    version: str
    headers: Headers

    @property
    def keep_alive(self) -> bool:
        """Whether the client lets the connection stay open after the response.

        HTTP/1.1 keeps it unless ``Connection: close``, and HTTP/1.0 closes it
        unless ``Connection: keep-alive``.
        """
        options = _connection_options(self.headers)
        if "close" in options:
            return False
        return self.version == "HTTP/1.1" or "keep-alive" in options


def _connection_options(headers: Headers) -> set[str]:
    if "Connection" not in headers:
        return set()
    return {
        option.strip().lower()
        for value in headers.get_all("Connection")
        for option in value.split(",")
    }


class RequestReader:
    """Buffered reads of requests from a connected socket.

    Every method that waits takes a deadline on the :func:`time.monotonic`
    clock and raises :class:`TimeoutError` once it passes, whatever the
    client sent so far. The socket's timeout is changed on each ``recv``, so
    callers set the mode they need (e.g. ``settimeout(None)``) before writing.
    """

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._data = b""
        self._position = 0
        # Empty lines skipped before the current request line.
        self._empty_lines = 0

    def wait_for_request(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the next request's first bytes.

        Empty lines that arrive first, such as a CRLF some clients send after
        a body, are skipped while waiting, so they do not start the request's
        read deadline. Returns False when the client closed the connection
        instead. Raises :class:`TimeoutError` when nothing arrived in time.
        """
        deadline = time.monotonic() + timeout
        self._empty_lines = 0
        while not self._skip_line_endings():
            if self._empty_lines > MAX_EMPTY_LINES:
                return True  # Too many empty lines, which read_head rejects.
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no request arrived within the idle timeout")
            self._connection.settimeout(remaining)
            chunk = self._connection.recv(_RECV_BYTES)
            if not chunk:
                return False
            self._data = chunk
            self._position = 0
        return True

    def read_head(self, deadline: float) -> RequestHead:
        """Read and check one request line and its header fields.

        Raises :class:`HttpError` for a malformed or oversized head,
        :class:`TimeoutError` when the deadline passes and
        :class:`ClientClosedError` when the client hangs up.
        """
        self._skip_empty_lines(deadline)
        return parse_request_head(self._read_block(deadline))

    def _skip_empty_lines(self, deadline: float) -> None:
        while True:
            found = self._skip_line_endings()
            if self._empty_lines > MAX_EMPTY_LINES:
                raise HttpError(
                    400,
                    f"more than {MAX_EMPTY_LINES} empty lines before the request "
                    "line; start each request with a line like 'POST / HTTP/1.1'",
                )
            if found:
                return
            self._fill(deadline)

    def _skip_line_endings(self) -> bool:
        """Skip CR and LF bytes at the read position, counting the lines.

        Returns whether other bytes follow in the buffer.
        """
        start = self._position
        self._position = _LINE_ENDINGS.match(self._data, start).end()
        self._empty_lines += self._data.count(b"\n", start, self._position)
        return self._position < len(self._data)

    def _read_block(self, deadline: float) -> bytes:
        # Returns the bytes up to the end of the head, including the line
        # ending of its last line but not the empty line after it.
        match = _HEAD_END.search(self._data, self._position)
        while match is None:
            pending = len(self._data) - self._position
            if pending > MAX_HEAD_BYTES:
                raise self._head_too_large()
            self._fill(deadline)
            match = _HEAD_END.search(self._data, max(pending - 2, 0))
        if match.start() - self._position > MAX_HEAD_BYTES:
            raise self._head_too_large()
        block = self._data[self._position : match.start() + 1]
        self._position = match.end()
        return block

    def _head_too_large(self) -> HttpError:
        start = self._position
        if self._data.find(b"\n", start, start + MAX_HEAD_BYTES) < 0:
            return HttpError(
                414,
                f"request line longer than {MAX_HEAD_BYTES} bytes; send a "
                "shorter request target, e.g. POST / HTTP/1.1",
            )
        return HttpError(
            431,
            f"request head (request line and header fields) larger than "
            f"{MAX_HEAD_BYTES} bytes; send fewer or shorter headers",
        )

    def read_exact(self, size: int, deadline: float) -> bytes:
        """Return the next ``size`` bytes, e.g. a body of known length."""
        available = len(self._data) - self._position
        if available >= size:
            start = self._position
            self._position += size
            return self._data[start : self._position]
        body = bytearray(size)
        view = memoryview(body)
        view[:available] = self._data[self._position :]
        self._data = b""
        self._position = 0
        received = available
        while received < size:
            received += self._recv_into(view[received:], deadline)
        return bytes(body)

    def _fill(self, deadline: float) -> None:
        self._set_remaining_timeout(deadline)
        chunk = self._connection.recv(_RECV_BYTES)
        if not chunk:
            raise ClientClosedError("the client closed the connection mid-request")
        self._data = self._data[self._position :] + chunk
        self._position = 0

    def _recv_into(self, view: memoryview, deadline: float) -> int:
        self._set_remaining_timeout(deadline)
        count = self._connection.recv_into(view)
        if not count:
            raise ClientClosedError("the client closed the connection mid-body")
        return count

    def _set_remaining_timeout(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the read deadline passed")
        self._connection.settimeout(remaining)


def parse_request_head(head: bytes) -> RequestHead:
    """Parse a request line and header fields, each line ending in LF or CRLF.

    Raises :class:`HttpError` (status 400, 431 or 505) when they break
    RFC 9112's syntax, or exceed :data:`MAX_HEADER_FIELDS`.
    """
    line_end = head.find(b"\n")
    if line_end < 0:
        line_end = len(head)
    method, target, version = _parse_request_line(head[:line_end].removesuffix(b"\r"))
    headers = _parse_fields(head[line_end + 1 :].decode("latin-1"))
    return RequestHead(method, target, version, headers)


def _parse_request_line(line: bytes) -> tuple[str, str, str]:
    match = _REQUEST_LINE.fullmatch(line)
    if match is None:
        raise HttpError(
            400,
            f"malformed request line {_excerpt(line.decode('latin-1'))!r}; expected "
            "'METHOD TARGET HTTP/1.1' separated by single spaces, e.g. "
            "'POST / HTTP/1.1'",
        )
    method, target, version = (part.decode("ascii") for part in match.groups())
    if version not in _SUPPORTED_VERSIONS:
        raise HttpError(
            505,
            f"HTTP version {version} is not supported; send HTTP/1.1 or HTTP/1.0",
        )
    return method, target, version


def _parse_fields(block: str) -> Headers:
    if block.count("\n") > MAX_HEADER_FIELDS:
        raise HttpError(
            431,
            f"more than {MAX_HEADER_FIELDS} header fields; send fewer headers",
        )
    if _FIELD_BLOCK.fullmatch(block) is None:
        raise HttpError(400, _field_line_problem(block))
    fields = [(name, value.rstrip(" \t")) for name, value in _FIELD_LINE.findall(block)]
    return Headers(fields)


def _field_line_problem(block: str) -> str:
    lines = block.split("\n")
    line = next(
        (line for line in lines if _FIELD_LINE.fullmatch(line + "\n") is None),
        lines[-1],
    )
    excerpt = _excerpt(line.removesuffix("\r"))
    if line[:1] in (" ", "\t"):
        return (
            f"header line {excerpt!r} starts with whitespace, which is obsolete "
            "line folding; send each header field on one line"
        )
    return (
        f"invalid header line {excerpt!r}; expected 'Name: value' with a token "
        "name, no whitespace before the colon and no control characters"
    )


def _excerpt(text: str) -> str:
    if len(text) <= _EXCERPT_CHARS:
        return text
    return text[:_EXCERPT_CHARS] + "..."

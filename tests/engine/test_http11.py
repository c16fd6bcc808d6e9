"""The engine server's HTTP/1.1 request reader, on bytes and socket pairs."""

from __future__ import annotations

import socket
import time

import pytest

from vwf.engine.http._http11 import (
    MAX_HEADER_FIELDS,
    ClientClosedError,
    HttpError,
    RequestReader,
    parse_request_head,
)


def test_request_line_parts():
    head = parse_request_head(b"POST /a?b=c HTTP/1.1\r\n")

    assert head.method == "POST"
    assert head.target == "/a?b=c"
    assert head.version == "HTTP/1.1"
    assert len(head.headers) == 0


def test_header_lookup_ignores_case():
    head = parse_request_head(b"POST / HTTP/1.1\r\nX-Amz-Target: Op\r\n")

    assert head.headers.get("x-amz-target") == "Op"
    assert head.headers.get("X-AMZ-TARGET") == "Op"
    assert "x-amz-TARGET" in head.headers
    assert head.headers.get("Missing", "default") == "default"


def test_items_keep_order_case_and_repeats():
    head = parse_request_head(
        b"POST / HTTP/1.1\r\nHost: h\r\nX-Multi: one\r\nx-multi: two\r\n"
    )

    assert head.headers.items() == [
        ("Host", "h"),
        ("X-Multi", "one"),
        ("x-multi", "two"),
    ]
    assert head.headers.get("X-Multi") == "one"
    assert head.headers.get_all("X-MULTI") == ["one", "two"]
    assert head.headers.get_all("Host") == ["h"]
    assert head.headers.get_all("Absent") == []


def test_values_stripped_of_surrounding_whitespace():
    head = parse_request_head(b"POST / HTTP/1.1\r\nA:\t  spaced  value \t\r\nB:\r\n")

    assert head.headers.get("A") == "spaced  value"
    assert head.headers.get("B") == ""


def test_bare_lf_line_endings_accepted():
    head = parse_request_head(b"POST / HTTP/1.1\nA: 1\nB: 2\n")

    assert head.headers.items() == [("A", "1"), ("B", "2")]


def test_latin1_value_kept():
    head = parse_request_head(b"POST / HTTP/1.1\r\nA: caf\xe9\r\n")

    assert head.headers.get("A") == "caf\u00e9"


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Keep-Alive, CLOSE", False),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
        ("HTTP/1.0", "Keep-Alive", True),
    ],
)
def test_keep_alive_by_version_and_connection(version, connection, keep_alive):
    fields = f"Connection: {connection}\r\n" if connection else ""
    head = parse_request_head(f"GET / {version}\r\n{fields}".encode())

    assert head.keep_alive is keep_alive


@pytest.mark.parametrize(
    ("raw", "status", "message_part"),
    [
        (b"NONSENSE\r\n", 400, "'NONSENSE'"),
        (b"POST / HTTP/1.1 extra\r\n", 400, "malformed request line"),
        (b"POST /\tx HTTP/1.1\r\n", 400, "malformed request line"),
        (b"POST / HTTP/3.0\r\n", 505, "HTTP/3.0"),
        (b"POST / HTTP/1.1\r\nNo-Colon\r\n", 400, "'No-Colon'"),
        (b"POST / HTTP/1.1\r\n: empty-name\r\n", 400, "invalid header line"),
        (b"POST / HTTP/1.1\r\nA b: c\r\n", 400, "invalid header line"),
        (b"POST / HTTP/1.1\r\nA: b\rc\r\n", 400, "control characters"),
        (b"POST / HTTP/1.1\r\nA: b\r\n\tc\r\n", 400, "obsolete line folding"),
    ],
)
def test_malformed_head_raises(raw, status, message_part):
    with pytest.raises(HttpError) as caught:
        parse_request_head(raw)

    assert caught.value.status == status
    assert message_part in str(caught.value)


def test_header_field_limit():
    fields = b"".join(b"F%d: x\r\n" % i for i in range(MAX_HEADER_FIELDS))
    assert len(parse_request_head(b"POST / HTTP/1.1\r\n" + fields).headers) == 100

    with pytest.raises(HttpError) as caught:
        parse_request_head(b"POST / HTTP/1.1\r\n" + fields + b"Extra: x\r\n")

    assert caught.value.status == 431


@pytest.fixture
def pair():
    server_side, client_side = socket.socketpair()
    yield RequestReader(server_side), client_side
    server_side.close()
    client_side.close()


def deadline(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


def test_reader_splits_pipelined_requests(pair):
    reader, client = pair
    client.sendall(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" * 2)

    assert reader.wait_for_request(1.0)
    first = reader.read_head(deadline())
    first_body = reader.read_exact(3, deadline())
    assert reader.wait_for_request(1.0)
    reader.read_head(deadline())

    assert first.headers.get("Content-Length") == "3"
    assert first_body == b"abc"
    assert reader.read_exact(3, deadline()) == b"abc"


def test_reader_joins_head_and_body_across_sends(pair):
    reader, client = pair
    client.sendall(b"POST / HTTP/1.1\r\nA: ")
    assert reader.wait_for_request(1.0)
    client.sendall(b"1\r")
    client.sendall(b"\n\r\nbo")
    client.sendall(b"dy")

    head = reader.read_head(deadline())

    assert head.headers.get("A") == "1"
    assert reader.read_exact(4, deadline()) == b"body"


def test_reader_skips_leading_empty_lines(pair):
    reader, client = pair
    client.sendall(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n")

    assert reader.wait_for_request(1.0)
    assert reader.read_head(deadline()).method == "GET"


def test_reader_limits_leading_empty_lines(pair):
    reader, client = pair
    client.sendall(b"\r\n" * 20)

    assert reader.wait_for_request(1.0)
    with pytest.raises(HttpError) as caught:
        reader.read_head(deadline())

    assert caught.value.status == 400


def test_reader_reports_eof_between_requests(pair):
    reader, client = pair
    client.close()

    assert reader.wait_for_request(1.0) is False


def test_reader_raises_on_eof_mid_body(pair):
    reader, client = pair
    client.sendall(b"POST / HTTP/1.1\r\n\r\nab")
    client.shutdown(socket.SHUT_WR)

    assert reader.wait_for_request(1.0)
    reader.read_head(deadline())
    with pytest.raises(ClientClosedError):
        reader.read_exact(10, deadline())


def test_reader_idle_timeout(pair):
    reader, _ = pair

    with pytest.raises(TimeoutError):
        reader.wait_for_request(0.05)


def test_reader_deadline_ends_stalled_head(pair):
    reader, client = pair
    client.sendall(b"POST / HTTP/1.1\r\n")
    assert reader.wait_for_request(1.0)
    started = time.monotonic()

    with pytest.raises(TimeoutError):
        reader.read_head(deadline(0.2))

    assert time.monotonic() - started < 2

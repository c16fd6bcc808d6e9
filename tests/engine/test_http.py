"""The JSON 1.0 protocol through raw HTTP, and fault mapping through boto3."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from tests.engine.swf_steps import ACTIVITIES, DOMAIN, http_client, register
from vwf.engine import Engine, EngineSettings
from vwf.engine.http import EngineServer

TARGET = "SimpleWorkflowService.ListDomains"
JSON_TYPE = "application/x-amz-json-1.0"
LIST_BODY = b'{"registrationStatus": "REGISTERED"}'


@pytest.fixture
def server(sqlite_url):
    engine = Engine(sqlite_url, settings=EngineSettings())
    engine.start()
    server = EngineServer(engine, port=0)
    server.start()
    yield server
    server.stop()
    engine.close()


def connect(server) -> http.client.HTTPConnection:
    url = urlsplit(server.url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def call(
    server,
    method: str = "POST",
    path: str = "/",
    target: str | None = TARGET,
    content_type: str | None = JSON_TYPE,
    body: bytes = LIST_BODY,
) -> tuple[int, http.client.HTTPResponse, dict]:
    headers = {}
    if target is not None:
        headers["X-Amz-Target"] = target
    if content_type is not None:
        headers["Content-Type"] = content_type
    connection = connect(server)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, response, json.loads(payload) if payload else {}


def test_list_domains_answers_json(server):
    status, response, body = call(server)

    assert status == 200
    assert response.getheader("Content-Type") == JSON_TYPE
    assert response.getheader("x-amzn-RequestId")
    assert body == {"domainInfos": []}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_wrong_method_rejected(server, method):
    status, _, body = call(server, method=method)

    assert status == 405
    assert body["__type"].endswith("#UnknownOperationException")
    assert method in body["message"]


def test_head_rejected_without_body(server):
    connection = connect(server)
    connection.request("HEAD", "/")
    response = connection.getresponse()

    assert response.status == 405
    assert response.read() == b""


def test_wrong_path_rejected(server):
    status, _, body = call(server, path="/2012-01-25/domains")

    assert status == 404
    assert body["__type"].endswith("#UnknownOperationException")
    assert "/2012-01-25/domains" in body["message"]


def test_missing_target_rejected(server):
    status, _, body = call(server, target=None)

    assert status == 400
    assert body["__type"].endswith("#UnknownOperationException")


def test_foreign_target_rejected(server):
    status, _, body = call(server, target="DynamoDB_20120810.ListTables")

    assert status == 400
    assert "DynamoDB_20120810.ListTables" in body["message"]


def test_unknown_operation_rejected(server):
    status, _, body = call(server, target="SimpleWorkflowService.LaunchRocket")

    assert status == 400
    assert body["__type"].endswith("#UnknownOperationException")


@pytest.mark.parametrize("content_type", [None, "application/json", "text/plain"])
def test_wrong_content_type_rejected(server, content_type):
    status, _, body = call(server, content_type=content_type)

    assert status == 415
    assert body["__type"].endswith("#SerializationException")
    assert JSON_TYPE in body["message"]


def test_content_type_with_charset_accepted(server):
    status, _, _ = call(server, content_type=f"{JSON_TYPE}; charset=utf-8")

    assert status == 200


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_json_rejected(server, payload):
    status, _, body = call(server, body=payload)

    assert status == 400
    assert body["__type"].endswith("#SerializationException")


def test_invalid_member_rejected_as_validation(server):
    status, _, body = call(server, body=b'{"registrationStatus": "SOMETIMES"}')

    assert status == 400
    assert body["__type"].endswith("#ValidationException")


def test_fault_type_and_status(server):
    target = "SimpleWorkflowService.DescribeDomain"

    status, _, body = call(server, target=target, body=b'{"name": "absent"}')

    assert status == 400
    assert body["__type"] == "com.amazonaws.swf.base.model#UnknownResourceFault"
    assert "absent" in body["message"]


def test_chunked_body_rejected(server):
    # One write for head and body: the server closes without reading the
    # body, so a client that sends the body later may get a broken pipe.
    url = urlsplit(server.url)
    request = (
        (
            f"POST / HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"X-Amz-Target: {TARGET}\r\nContent-Type: {JSON_TYPE}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
            f"{len(LIST_BODY):x}\r\n"
        ).encode()
        + LIST_BODY
        + b"\r\n0\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        answer = sock.makefile("rb").read()

    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 411")
    assert "Content-Length" in json.loads(payload)["message"]


def test_unparsable_request_line_rejected_as_json(server):
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        answer = sock.makefile("rb").read()

    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(payload)["__type"].endswith("#BadRequestException")


def test_keep_alive_serves_several_calls(server):
    connection = connect(server)
    statuses = []
    for _ in range(3):
        connection.request(
            "POST",
            "/",
            body=LIST_BODY,
            headers={"X-Amz-Target": TARGET, "Content-Type": JSON_TYPE},
        )
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)

    assert statuses == [200, 200, 200]
    assert connection.sock is not None


def test_rejection_keeps_connection_usable(server):
    connection = connect(server)
    headers = {"X-Amz-Target": TARGET, "Content-Type": "text/plain"}
    connection.request("POST", "/", body=LIST_BODY, headers=headers)
    first = connection.getresponse()
    first.read()
    headers["Content-Type"] = JSON_TYPE
    connection.request("POST", "/", body=LIST_BODY, headers=headers)
    second = connection.getresponse()
    second.read()

    assert first.status == 415
    assert second.status == 200


def boto3_client(server):
    return boto3.client(
        "swf",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def test_boto3_raises_unknown_resource_fault(server):
    swf = boto3_client(server)

    with pytest.raises(swf.exceptions.UnknownResourceFault):
        swf.describe_domain(name="absent")


def test_boto3_raises_domain_already_exists_fault(server):
    swf = boto3_client(server)
    swf.register_domain(name="twice", workflowExecutionRetentionPeriodInDays="1")

    with pytest.raises(swf.exceptions.DomainAlreadyExistsFault):
        swf.register_domain(name="twice", workflowExecutionRetentionPeriodInDays="1")


def test_stop_closes_idle_keep_alive_connection(sqlite_url):
    engine = Engine(sqlite_url, settings=EngineSettings())
    engine.start()
    server = EngineServer(engine, port=0)
    server.start()
    connection = connect(server)
    connection.request(
        "POST",
        "/",
        body=LIST_BODY,
        headers={"X-Amz-Target": TARGET, "Content-Type": JSON_TYPE},
    )
    connection.getresponse().read()

    server.stop()
    engine.close()

    assert connection.sock.recv(1) == b""


def test_deeply_nested_json_rejected_as_serialization(server):
    url = urlsplit(server.url)
    body = b"[" * 100_000
    request = (
        f"POST / HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"X-Amz-Target: {TARGET}\r\nContent-Type: {JSON_TYPE}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        answer = sock.makefile("rb").read()

    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(payload)["__type"].endswith("SerializationException")


def exchange(server, request: bytes) -> tuple[bytes, bytes]:
    """Send raw bytes, read until the server closes, and split the response
    into head and body. Fails with a timeout if the server keeps the connection."""
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        answer = sock.makefile("rb").read()
    head, _, payload = answer.partition(b"\r\n\r\n")
    return head, payload


def list_request(server, extra_headers: str = "", version: str = "HTTP/1.1") -> bytes:
    netloc = urlsplit(server.url).netloc
    return (
        f"POST / {version}\r\nHost: {netloc}\r\n"
        f"X-Amz-Target: {TARGET}\r\nContent-Type: {JSON_TYPE}\r\n"
        f"Content-Length: {len(LIST_BODY)}\r\n{extra_headers}\r\n"
    ).encode() + LIST_BODY


TOO_MANY_HEADERS = "".join(f"X-Field-{i}: {i}\r\n" for i in range(101))


@pytest.mark.parametrize(
    ("request_bytes", "status", "error_type"),
    [
        (b"POST  / HTTP/1.1\r\n\r\n", 400, "BadRequestException"),
        (b"POST /\r\n\r\n", 400, "BadRequestException"),
        (b"POST / HTTP/2.0\r\n\r\n", 505, "HTTPVersionNotSupportedException"),
        (
            b"POST /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
            414,
            "RequestURITooLongException",
        ),
        (
            b"POST / HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n",
            431,
            "RequestHeaderFieldsTooLargeException",
        ),
        (
            f"POST / HTTP/1.1\r\n{TOO_MANY_HEADERS}\r\n".encode(),
            431,
            "RequestHeaderFieldsTooLargeException",
        ),
        (b"POST / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "BadRequestException"),
        (b"POST / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400, "BadRequestException"),
        (b"POST / HTTP/1.1\r\nA: b\x00c\r\n\r\n", 400, "BadRequestException"),
    ],
    ids=[
        "double-space",
        "no-version",
        "http2",
        "long-request-line",
        "long-header-line",
        "too-many-headers",
        "space-before-colon",
        "obsolete-folding",
        "nul-in-value",
    ],
)
def test_malformed_head_rejected_and_closed(server, request_bytes, status, error_type):
    head, payload = exchange(server, request_bytes)

    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Connection: close" in head
    assert json.loads(payload)["__type"].endswith("#" + error_type)


def test_folded_header_error_names_folding(server):
    _, payload = exchange(server, b"POST / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n")

    assert "line folding" in json.loads(payload)["message"]


def test_conflicting_content_lengths_rejected(server):
    request = list_request(server, "Content-Length: 3\r\n")

    head, payload = exchange(server, request)

    assert head.startswith(b"HTTP/1.1 400 ")
    assert "Content-Length" in json.loads(payload)["message"]


def test_connection_close_honoured(server):
    head, payload = exchange(server, list_request(server, "Connection: close\r\n"))

    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Connection: close" in head
    assert json.loads(payload) == {"domainInfos": []}


def test_http10_closes_by_default(server):
    head, payload = exchange(server, list_request(server, version="HTTP/1.0"))

    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Connection: close" in head
    assert json.loads(payload) == {"domainInfos": []}


def test_http10_keep_alive_serves_two_calls(server):
    request = list_request(server, "Connection: keep-alive\r\n", version="HTTP/1.0")
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        reader = sock.makefile("rb")
        first = read_response(reader)
        sock.sendall(request)
        second = read_response(reader)

    assert b"Connection: keep-alive" in first[0]
    assert second[0].startswith(b"HTTP/1.1 200 ")


def read_response(reader) -> tuple[bytes, bytes]:
    """Read one response with a Content-Length body from a socket file."""
    lines = []
    while (line := reader.readline()) not in (b"\r\n", b""):
        lines.append(line)
    head = b"".join(lines)
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    return head, reader.read(length)


def test_pipelined_requests_both_answered(server):
    request = list_request(server)
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request + request)
        reader = sock.makefile("rb")
        responses = [read_response(reader) for _ in range(2)]

    assert [json.loads(body) for _, body in responses] == [{"domainInfos": []}] * 2


def test_empty_lines_before_request_skipped(server):
    request = b"\r\n" + list_request(server, "Connection: close\r\n")

    head, payload = exchange(server, request)

    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(payload) == {"domainInfos": []}


def test_expect_continue_answered_before_body(server):
    request = list_request(server, "Expect: 100-continue\r\n")
    head, _, body = request.partition(b"\r\n\r\n")
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head + b"\r\n\r\n")
        interim = sock.recv(100)
        sock.sendall(body)
        final = read_response(sock.makefile("rb"))

    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert json.loads(final[1]) == {"domainInfos": []}


def test_non_positive_timeout_rejected():
    with pytest.raises(ValueError, match="read_timeout"):
        EngineServer(None, port=0, read_timeout=timedelta(0))
    with pytest.raises(ValueError, match="idle_timeout"):
        EngineServer(None, port=0, idle_timeout=timedelta(seconds=-1))


READ_TIMEOUT = timedelta(seconds=0.5)
IDLE_TIMEOUT = timedelta(seconds=1)
LONG_POLL = timedelta(seconds=2)


@pytest.fixture
def quick_server(sqlite_url):
    """A server with sub-second read and idle timeouts, and 2 s long polls."""
    engine = Engine(sqlite_url, settings=EngineSettings(long_poll_timeout=LONG_POLL))
    engine.start()
    server = EngineServer(
        engine, port=0, read_timeout=READ_TIMEOUT, idle_timeout=IDLE_TIMEOUT
    )
    server.start()
    yield server
    server.stop()
    engine.close()


def stall_after(server, sent: bytes) -> tuple[bytes, bytes, float, str]:
    """Send part of a request, then wait for the server to close.

    Returns the response's head and body, the seconds until the close, and
    the client's own address as the server logs it.
    """
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        host, port = sock.getsockname()[:2]
        started = time.monotonic()
        sock.sendall(sent)
        answer = sock.makefile("rb").read()
        elapsed = time.monotonic() - started
    head, _, payload = answer.partition(b"\r\n\r\n")
    return head, payload, elapsed, f"{host}:{port}"


def test_stalled_head_times_out(quick_server, caplog):
    caplog.set_level(logging.INFO, logger="vwf.engine.http")
    head, payload, elapsed, peer = stall_after(
        quick_server, b"POST / HTTP/1.1\r\nHost: x\r\n"
    )

    assert head.startswith(b"HTTP/1.1 408 ")
    assert json.loads(payload)["__type"].endswith("#RequestTimeoutException")
    assert READ_TIMEOUT.total_seconds() * 0.9 <= elapsed < 5
    assert peer in caplog.text


def test_stalled_body_times_out(quick_server):
    netloc = urlsplit(quick_server.url).netloc
    sent = (
        f"POST / HTTP/1.1\r\nHost: {netloc}\r\nX-Amz-Target: {TARGET}\r\n"
        f"Content-Type: {JSON_TYPE}\r\nContent-Length: 100\r\n\r\n"
    ).encode() + b'{"registration'

    head, payload, elapsed, _ = stall_after(quick_server, sent)

    assert head.startswith(b"HTTP/1.1 408 ")
    assert "0.5 s" in json.loads(payload)["message"]
    assert elapsed < 5


def test_trickled_head_cut_at_read_deadline(quick_server):
    # One byte per 0.1 s never pauses as long as the 0.5 s read timeout, so
    # only a deadline for the whole request ends it.
    url = urlsplit(quick_server.url)
    trickle = b"POST / HTTP/1.1\r\nX-Padding: " + b"a" * 1000
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        started = time.monotonic()
        sender = threading.Thread(target=send_slowly, args=(sock, trickle))
        sender.start()
        answer = sock.makefile("rb").read()
        elapsed = time.monotonic() - started
        sender.join()

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert elapsed < 5


def send_slowly(sock: socket.socket, data: bytes) -> None:
    for index in range(len(data)):
        try:
            sock.send(data[index : index + 1])
        except OSError:
            return
        time.sleep(0.1)


def test_idle_connection_closed_quietly(quick_server):
    url = urlsplit(quick_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        started = time.monotonic()
        data = sock.recv(100)
        elapsed = time.monotonic() - started

    assert data == b""
    assert IDLE_TIMEOUT.total_seconds() * 0.9 <= elapsed < 5


def test_stray_crlf_waits_for_idle_timeout(quick_server):
    # Some clients send CRLF after a body. It must not start a new request's
    # read deadline, which would send a 408 for a request the client never
    # sent.
    request = list_request(quick_server) + b"\r\n"
    url = urlsplit(quick_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        started = time.monotonic()
        answer = sock.makefile("rb").read()
        elapsed = time.monotonic() - started

    assert answer.count(b"HTTP/1.1 ") == 1
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert IDLE_TIMEOUT.total_seconds() * 0.9 <= elapsed < 5


def test_keep_alive_reused_within_idle_timeout(quick_server):
    connection = connect(quick_server)
    headers = {"X-Amz-Target": TARGET, "Content-Type": JSON_TYPE}
    sockets = []
    for _ in range(3):
        connection.request("POST", "/", body=LIST_BODY, headers=headers)
        response = connection.getresponse()
        response.read()
        sockets.append(connection.sock)
        time.sleep(IDLE_TIMEOUT.total_seconds() / 2)

    assert response.status == 200
    assert sockets[0] is sockets[1] is sockets[2]


def test_parked_poll_outlives_timeouts(quick_server):
    swf = http_client(quick_server.url)
    register(swf)
    started = time.monotonic()

    task = swf.poll_for_activity_task(domain=DOMAIN, taskList={"name": ACTIVITIES})

    assert not task.get("taskToken")
    assert time.monotonic() - started >= LONG_POLL.total_seconds() * 0.9

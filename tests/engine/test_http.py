"""The JSON 1.0 protocol through raw HTTP, and fault mapping through boto3."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

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

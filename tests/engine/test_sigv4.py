"""SigV4 verification: unit cases against botocore's signer, then end to end
through stock boto3 and the HTTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import boto3
import botocore
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from vwf.engine import Engine, EngineSettings
from vwf.engine.http import EngineServer, InsecureListenError
from vwf.engine.http._sigv4 import SignedRequest, SigV4Verifier
from vwf.engine.http.errors import (
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
)

ACCESS_KEY = "AKIDVWFTEST"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDENTIALS = {ACCESS_KEY: SECRET}
BODY = b'{"registrationStatus": "REGISTERED"}'


def sign(
    body: bytes = BODY,
    access_key: str = ACCESS_KEY,
    secret: str = SECRET,
    service: str = "swf",
    region: str = "eu-west-3",
    token: str | None = None,
) -> AWSRequest:
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8765/",
        data=body,
        headers={
            "X-Amz-Target": "SimpleWorkflowService.ListDomains",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    signer = SigV4Auth(Credentials(access_key, secret, token), service, region)
    signer.add_auth(request)
    return request


def received(request: AWSRequest, body: bytes | None = None) -> SignedRequest:
    """Convert a signed botocore request to what the server receives, adding
    the Host header that an HTTP client sends."""
    url = urlsplit(request.url)
    headers = [("Host", url.netloc), *request.headers.items()]
    return SignedRequest(
        method=request.method,
        path=url.path,
        query=url.query,
        headers=headers,
        body=request.body if body is None else body,
    )


def verifier(clock_offset: timedelta = timedelta(0)) -> SigV4Verifier:
    """A verifier whose clock is ``clock_offset`` ahead of the real one."""
    return SigV4Verifier(CREDENTIALS, clock=lambda: datetime.now(UTC) + clock_offset)


def test_verify_valid_signature_returns_access_key():
    assert verifier().verify(received(sign())) == ACCESS_KEY


def test_verify_accepts_any_region():
    assert verifier().verify(received(sign(region="ap-south-1"))) == ACCESS_KEY


def test_verify_ignores_security_token():
    request = received(sign(token="session-token-value"))

    assert verifier().verify(request) == ACCESS_KEY


def test_verify_wrong_secret_rejected():
    with pytest.raises(InvalidSignatureError):
        verifier().verify(received(sign(secret="not-the-secret")))


def test_verify_unknown_key_rejected():
    with pytest.raises(UnrecognizedClientError) as caught:
        verifier().verify(received(sign(access_key="AKIDUNKNOWN")))

    assert "AKIDUNKNOWN" in str(caught.value)


def test_verify_missing_authorization_rejected():
    request = received(sign())
    headers = [h for h in request.headers if h[0].lower() != "authorization"]
    unsigned = SignedRequest("POST", "/", "", headers, BODY)

    with pytest.raises(MissingAuthenticationTokenError):
        verifier().verify(unsigned)


def test_verify_tampered_body_rejected():
    request = received(sign(), body=BODY.replace(b"REGISTERED", b"DEPRECATED"))

    with pytest.raises(InvalidSignatureError):
        verifier().verify(request)


def test_verify_tampered_signed_header_rejected():
    request = received(sign())
    headers = [
        (name, "SimpleWorkflowService.DeprecateDomain")
        if name == "X-Amz-Target"
        else (name, value)
        for name, value in request.headers
    ]
    tampered = SignedRequest("POST", "/", "", headers, BODY)

    with pytest.raises(InvalidSignatureError):
        verifier().verify(tampered)


def test_verify_stale_date_rejected():
    late = verifier(clock_offset=timedelta(minutes=16))

    with pytest.raises(InvalidSignatureError) as caught:
        late.verify(received(sign()))

    assert "expired" in str(caught.value)


def test_verify_future_date_rejected():
    early = verifier(clock_offset=timedelta(minutes=-16))

    with pytest.raises(InvalidSignatureError):
        early.verify(received(sign()))


def test_verify_skew_within_15_minutes_accepted():
    late = verifier(clock_offset=timedelta(minutes=14))

    assert late.verify(received(sign())) == ACCESS_KEY


def test_verify_other_service_rejected():
    with pytest.raises(InvalidSignatureError) as caught:
        verifier().verify(received(sign(service="sqs")))

    assert "'sqs'" in str(caught.value)


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA1 Credential=x, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDVWFTEST/20260301/us-east-1/swf",
        "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=00",
        (
            "AWS4-HMAC-SHA256 Credential=AKIDVWFTEST/20260301/us-east-1/swf/"
            "aws4_request, SignedHeaders=content-type, Signature=00"
        ),
    ],
    ids=["algorithm", "scope", "credential", "signed-headers"],
)
def test_verify_malformed_authorization_rejected(authorization):
    request = received(sign())
    headers = [
        (name, authorization) if name == "Authorization" else (name, value)
        for name, value in request.headers
    ]
    malformed = SignedRequest("POST", "/", "", headers, BODY)

    with pytest.raises(IncompleteSignatureError):
        verifier().verify(malformed)


def test_verify_payload_hash_header_must_match_body():
    request = received(sign())
    headers = [*request.headers, ("X-Amz-Content-SHA256", "0" * 64)]
    mismatched = SignedRequest("POST", "/", "", headers, BODY)

    with pytest.raises(InvalidSignatureError):
        verifier().verify(mismatched)


# End to end: stock boto3 signing against the running server.


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = Engine(sqlite_url, settings=EngineSettings())
    engine.start()
    yield engine
    engine.close()


@pytest.fixture
def signed_server(sqlite_engine):
    server = EngineServer(sqlite_engine, port=0, credentials=CREDENTIALS)
    server.start()
    yield server
    server.stop()


def client(server, access_key=ACCESS_KEY, secret=SECRET, **config):
    return boto3.client(
        "swf",
        endpoint_url=server.url,
        region_name="eu-central-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, **config),
    )


def error_code(call) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def http_status(call) -> int:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_server_accepts_boto3_signature(signed_server):
    swf = client(signed_server)

    swf.register_domain(name="signed", workflowExecutionRetentionPeriodInDays="1")
    domains = swf.list_domains(registrationStatus="REGISTERED")["domainInfos"]

    assert [d["name"] for d in domains] == ["signed"]


def test_server_rejects_wrong_secret(signed_server):
    swf = client(signed_server, secret="wrong-secret")
    call = lambda: swf.list_domains(registrationStatus="REGISTERED")  # noqa: E731

    assert error_code(call) == "InvalidSignatureException"
    assert http_status(call) == 400


def test_server_rejects_unknown_access_key(signed_server):
    swf = client(signed_server, access_key="AKIDSTRANGER")
    call = lambda: swf.list_domains(registrationStatus="REGISTERED")  # noqa: E731

    assert error_code(call) == "UnrecognizedClientException"
    assert http_status(call) == 400


def test_server_rejects_unsigned_request(signed_server):
    swf = client(signed_server, signature_version=botocore.UNSIGNED)
    call = lambda: swf.list_domains(registrationStatus="REGISTERED")  # noqa: E731

    assert error_code(call) == "MissingAuthenticationTokenException"
    assert http_status(call) == 403


def test_server_rejects_tampered_body(signed_server):
    swf = client(signed_server)

    def tamper(request, **kwargs):
        request.body = request.body.replace(b"REGISTERED", b"DEPRECATED")

    swf.meta.events.register_last("before-send.swf.ListDomains", tamper)
    call = lambda: swf.list_domains(registrationStatus="REGISTERED")  # noqa: E731

    assert error_code(call) == "InvalidSignatureException"


def test_server_rejects_stale_date(sqlite_engine):
    server = EngineServer(sqlite_engine, port=0, credentials=CREDENTIALS)
    server._verifier = SigV4Verifier(
        CREDENTIALS, clock=lambda: datetime.now(UTC) + timedelta(minutes=20)
    )
    server.start()
    try:
        swf = client(server)
        call = lambda: swf.list_domains(registrationStatus="REGISTERED")  # noqa: E731

        assert error_code(call) == "InvalidSignatureException"
    finally:
        server.stop()


def test_server_listens_on_loopback_by_default(sqlite_engine):
    server = EngineServer(sqlite_engine, port=0)
    try:
        assert server.url.startswith("http://127.0.0.1:")
    finally:
        server.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_server_refuses_public_host_without_credentials(sqlite_engine, host):
    with pytest.raises(InsecureListenError) as caught:
        EngineServer(sqlite_engine, host=host, port=0)

    assert repr(host) in str(caught.value)
    assert "--access-key-file" in str(caught.value)


def test_server_accepts_public_host_with_credentials(sqlite_engine):
    server = EngineServer(
        sqlite_engine, host="0.0.0.0", port=0, credentials=CREDENTIALS
    )
    server.start()
    try:
        swf = client(server)

        assert swf.list_domains(registrationStatus="REGISTERED")["domainInfos"] == []
    finally:
        server.stop()

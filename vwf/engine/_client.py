"""A stock boto3 SWF client that calls an :class:`Engine` in this process."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from vwf.engine._wire import CONTENT_TYPE, handle_request

if TYPE_CHECKING:
    from vwf.engine._engine import Engine

logger = logging.getLogger(__name__)

# Never contacted, because the before-send hook returns every response.
_ENDPOINT = "http://engine.in-process.invalid"


class _Body:
    """The ``raw`` object botocore reads a response body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data


def connect(engine: Engine, region_name: str = "us-east-1") -> Any:
    """Return a boto3 ``swf`` client whose requests go straight to ``engine``.

    botocore still validates parameters, parses responses (timestamps become
    datetimes) and raises its own exceptions. Only the socket is skipped, so
    no read timeout applies to long polls.
    """
    with _session_lock:
        client = _session().client(
            "swf",
            region_name=region_name,
            endpoint_url=_ENDPOINT,
            aws_access_key_id="in-process",
            aws_secret_access_key="in-process",
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    def send(request: AWSPreparedRequest, **_kwargs: Any) -> AWSResponse:
        return _answer(engine, request)

    client.meta.events.register("before-send.swf", send)
    return client


_session_lock = threading.Lock()


@functools.cache
def _session() -> boto3.session.Session:
    # One session for every client: it caches the loaded SWF model, which
    # makes each further client cheap. Creating clients is serialised because
    # a botocore session is not documented as thread-safe.
    return boto3.session.Session()


def _answer(engine: Engine, request: AWSPreparedRequest) -> AWSResponse:
    answer: dict[str, Any] = {}

    def send(status: int, body: bytes) -> None:
        answer["status"], answer["body"] = status, body

    target = request.headers.get("X-Amz-Target", b"")
    if isinstance(target, bytes):
        target = target.decode()
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    handle_request(engine, target, body, send)
    headers = {"Content-Type": CONTENT_TYPE}
    return AWSResponse(request.url, answer["status"], headers, _Body(answer["body"]))

"""SWF's JSON 1.0 protocol, shared by :func:`~vwf.engine.connect` and HTTP.

A request is ``X-Amz-Target: SimpleWorkflowService.<Operation>`` plus a JSON
object body. A success is HTTP 200 with the JSON response; a fault is HTTP 400
with ``{"__type": "<namespace>#<FaultName>", "message": ...}``, the body
botocore turns into ``client.exceptions.<FaultName>``. An unexpected engine
error is HTTP 500 ``InternalFailure``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vwf.engine.errors import (
    SerializationException,
    SwfFault,
    UnknownOperationException,
)

if TYPE_CHECKING:
    from vwf.engine._engine import Engine

logger = logging.getLogger(__name__)

TARGET_PREFIX = "SimpleWorkflowService."
CONTENT_TYPE = "application/x-amz-json-1.0"

Send = Callable[[int, bytes], None]


class _DeliveryFailed(Exception):
    """``send`` raised while delivering a response; the caller must see it."""


def handle_request(engine: Engine, target: str, body: bytes, send: Send) -> None:
    """Run one SWF request and write the response with ``send(status, body)``.

    For the two polls ``send`` runs inside the transaction that claims the
    task, so an exception from ``send`` rolls the claim back. That exception
    propagates to the caller, and nothing else is sent.
    """

    def deliver(response: dict[str, Any]) -> None:
        try:
            send(200, encode(response))
        except Exception as exc:
            raise _DeliveryFailed() from exc

    try:
        operation = parse_target(target)
        engine.handle(operation, parse_body(body), deliver=deliver)
    except _DeliveryFailed as exc:
        raise exc.__cause__ from None
    except SwfFault as fault:
        send(400, fault_body(fault))
    except Exception:
        logger.exception("internal error while handling %s", target)
        send(500, _error_body("InternalFailure", "internal engine error"))


def parse_target(target: str) -> str:
    """Return the operation named by an X-Amz-Target header value."""
    if not target.startswith(TARGET_PREFIX):
        raise UnknownOperationException(
            f"X-Amz-Target {target!r} must be {TARGET_PREFIX}<Operation>"
        )
    return target.removeprefix(TARGET_PREFIX)


def parse_body(body: bytes) -> dict[str, Any]:
    """Decode a request body, which must be a JSON object (empty means {})."""
    if not body.strip():
        return {}
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SerializationException(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(request, dict):
        raise SerializationException("request body must be a JSON object")
    return request


def encode(response: dict[str, Any]) -> bytes:
    return json.dumps(response, separators=(",", ":")).encode()


def fault_body(fault: SwfFault) -> bytes:
    return json.dumps({"__type": fault.wire_type, "message": fault.message}).encode()


def _error_body(name: str, message: str) -> bytes:
    return json.dumps({"__type": name, "message": message}).encode()

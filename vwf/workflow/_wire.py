"""Conversions between Python values and SWF's wire strings.

SWF sends durations as strings of whole seconds or ``"NONE"`` and limits the
length of reasons and details. Only this module converts to and from them.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

# Maximum lengths SWF accepts, in characters.
MAX_REASON = 256
MAX_DETAILS = 32_768
MAX_HEARTBEAT_DETAILS = 2_048
MAX_PAYLOAD = 32_768  # input, result and control strings

_ELLIPSIS = "..."


def duration_to_swf(value: timedelta | None) -> str:
    """Return ``value`` as SWF's string: whole seconds rounded up, or ``"NONE"``."""
    if value is None:
        return "NONE"
    return str(math.ceil(value.total_seconds()))


def duration_from_swf(value: str | None) -> timedelta | None:
    """Parse SWF's duration string; ``None`` and ``"NONE"`` mean no limit."""
    if value is None or value == "NONE":
        return None
    return timedelta(seconds=int(value))


def trim(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - len(_ELLIPSIS)] + _ELLIPSIS


def dumps(value: Any) -> str:
    """Encode ``value`` as compact JSON."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loads_object(text: str | None) -> dict[str, Any]:
    """Decode a JSON object; an empty string or ``None`` is an empty object.

    Raises ``ValueError`` when ``text`` is not JSON or not an object.
    """
    if not text:
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


# Kinds of activity failure, sent in the details of RespondActivityTaskFailed.
RETRYABLE = "retryable"
NON_RETRYABLE = "non_retryable"
BUSY = "busy"
INTERRUPTED = "interrupted"
"""The worker shut down before the task finished; retried without using a retry."""


def failure_details(kind: str, message: str, **extra: Any) -> str:
    """Encode the details of a failed task as JSON, trimmed to SWF's limit."""
    details = dumps({"failure": kind, "message": message, **extra})
    if len(details) <= MAX_DETAILS:
        return details
    return dumps({"failure": kind, "message": trim(message, MAX_DETAILS // 2)})


def parse_failure_details(details: str | None) -> tuple[str, dict[str, Any]]:
    """Return the failure kind and the decoded details of a failed task.

    Details that are not ours (e.g. from another worker implementation) mean
    a retryable failure.
    """
    try:
        decoded = loads_object(details)
    except ValueError:
        return RETRYABLE, {}
    kind = decoded.get("failure")
    if kind not in (RETRYABLE, NON_RETRYABLE, BUSY, INTERRUPTED):
        return RETRYABLE, decoded
    return kind, decoded

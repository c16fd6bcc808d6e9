"""A readable form of an SWF event history."""

from __future__ import annotations

import json
from typing import Any

_KEY_ATTRIBUTES = (
    "activityId",
    "activityType",
    "timerId",
    "signalName",
    "timeoutType",
    "reason",
    "cause",
    "details",
    "result",
    "decisionTaskCompletedEventId",
    "scheduledEventId",
    "identity",
)
_MAX_VALUE = 120


def format_event(event: dict[str, Any]) -> str:
    """Return one line: id, time, type and the attributes a reader needs."""
    timestamp = event["eventTimestamp"].strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    parts = [f"{event['eventId']:>5}", timestamp, event["eventType"]]
    attributes = _attributes(event)
    for key in _KEY_ATTRIBUTES:
        if key in attributes:
            parts.append(f"{key}={_short(attributes[key])}")
    return "  ".join(parts)


def event_to_json(event: dict[str, Any]) -> dict[str, Any]:
    """Return the event with its timestamp as ISO 8601 text."""
    return {**event, "eventTimestamp": event["eventTimestamp"].isoformat()}


def _attributes(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventAttributes"):
            return value
    return {}


def _short(value: Any) -> str:
    if isinstance(value, dict) and "name" in value:
        text = f"{value['name']}/{value.get('version', '')}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    if len(text) > _MAX_VALUE:
        return text[: _MAX_VALUE - 3] + "..."
    return text

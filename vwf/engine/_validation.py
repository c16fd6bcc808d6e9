"""Request validation against SWF's published constraints.

The constraints come from botocore's SWF service model (required members,
string lengths, list sizes, enum values), the same model boto3 clients use,
plus the rules SWF documents in prose: the format of names and identifiers,
of durations and of task priorities.

Lengths are counted in Unicode code points (Python's ``len``), because SWF
states its limits in characters: a 32,768-character input made of multi-byte
characters is accepted even though its UTF-8 encoding is longer.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from botocore.model import ServiceModel, Shape

from vwf.engine._durations import NONE, is_duration
from vwf.engine.errors import ValidationException

# Shapes whose values must follow SWF's name format.
_NAME_SHAPES = {"DomainName", "Name", "Version", "ActivityId", "WorkflowId", "TimerId"}
_DURATION_SHAPES = {"DurationInSeconds", "DurationInSecondsOptional"}
_FORBIDDEN_IN_NAMES = re.compile(r"[:/|\u0000-\u001f\u007f-\u009f]")
_MAX_RETENTION_DAYS = 90
_PRIORITY_RANGE = (-(2**31), 2**31 - 1)


@functools.cache
def service_model() -> ServiceModel:
    """Load botocore's SWF model once, on first use."""
    import botocore.session

    return botocore.session.get_session().get_service_model("swf")


def load_operation_models() -> None:
    """Load the model of every SWF operation now instead of at first use."""
    model = service_model()
    for name in model.operation_names:
        model.operation_model(name)


def validate_request(operation: str, request: dict[str, Any]) -> None:
    """Raise :class:`ValidationException` naming the first invalid member."""
    shape = service_model().operation_model(operation).input_shape
    if shape is not None:
        _check(shape, request, "")


def _check(shape: Shape, value: Any, path: str) -> None:
    checker = _CHECKERS.get(shape.type_name)
    if checker is not None:
        checker(shape, value, path)


def _check_structure(shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, dict):
        _fail(path or "request", "must be a JSON object")
    for name in shape.required_members:
        if value.get(name) is None:
            _fail(_join(path, name), "is required")
    for name, member in shape.members.items():
        if value.get(name) is not None:
            _check(member, value[name], _join(path, name))


def _check_list(shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, list):
        _fail(path, "must be a JSON array")
    maximum = shape.metadata.get("max")
    if maximum is not None and len(value) > maximum:
        _fail(path, f"has {len(value)} items, more than the maximum of {maximum}")
    for index, item in enumerate(value):
        _check(shape.member, item, f"{path}[{index}]")


def _check_string(shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, str):
        _fail(path, "must be a string")
    _check_length(shape, value, path)
    if shape.enum and value not in shape.enum:
        _fail(path, f"is {value!r}, not one of {', '.join(shape.enum)}")
    rule = _STRING_RULES.get(shape.name)
    if rule is not None:
        rule(value, path)


def _check_length(shape: Shape, value: str, path: str) -> None:
    maximum = shape.metadata.get("max")
    if maximum is not None and len(value) > maximum:
        _fail(
            path,
            f"is {len(value)} characters long, more than the maximum of {maximum}",
        )
    minimum = shape.metadata.get("min")
    if minimum is not None and len(value) < minimum:
        _fail(path, f"is {len(value)} characters long, less than {minimum}")


def _check_integer(shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        _fail(path, "must be an integer")
    maximum = shape.metadata.get("max")
    if maximum is not None and value > maximum:
        _fail(path, f"is {value}, more than the maximum of {maximum}")
    minimum = shape.metadata.get("min")
    if minimum is not None and value < minimum:
        _fail(path, f"is {value}, less than the minimum of {minimum}")


def _check_boolean(_shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, bool):
        _fail(path, "must be true or false")


def _check_timestamp(_shape: Shape, value: Any, path: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        _fail(path, "must be a timestamp in epoch seconds")


def check_name(value: str, path: str) -> None:
    """Apply SWF's format rule for names and identifiers."""
    if value != value.strip():
        _fail(path, f"{value!r} starts or ends with whitespace; remove it")
    found = _FORBIDDEN_IN_NAMES.search(value)
    if found:
        _fail(
            path,
            f"{value!r} contains {found.group()!r}; names must not contain ':', "
            "'/', '|' or control characters",
        )
    if "arn" in value:
        _fail(path, f"{value!r} contains the literal string 'arn', which SWF rejects")


def _check_duration(value: str, path: str) -> None:
    if not is_duration(value):
        _fail(path, f"is {value!r}; use a whole number of seconds or 'NONE'")


def _check_retention(value: str, path: str) -> None:
    if value == NONE:
        return
    if not (value.isascii() and value.isdigit()) or int(value) > _MAX_RETENTION_DAYS:
        _fail(
            path,
            f"is {value!r}; use a whole number of days from 0 to "
            f"{_MAX_RETENTION_DAYS}, or 'NONE'",
        )


def _check_priority(value: str, path: str) -> None:
    try:
        priority = int(value)
    except ValueError:
        priority = None
    low, high = _PRIORITY_RANGE
    if priority is None or not low <= priority <= high:
        _fail(path, f"is {value!r}; use an integer from {low} to {high}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _fail(path: str, problem: str) -> None:
    raise ValidationException(f"{path} {problem}")


_CHECKERS = {
    "structure": _check_structure,
    "list": _check_list,
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
}

_STRING_RULES = {
    **{name: check_name for name in _NAME_SHAPES},
    **{name: _check_duration for name in _DURATION_SHAPES},
    "DurationInDays": _check_retention,
    "TaskPriority": _check_priority,
}

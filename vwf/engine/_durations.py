"""SWF duration strings ("NONE" or whole seconds) and timedelta conversion.

Requests, responses and stored rows keep SWF's strings, because the engine
returns them unchanged. Where the engine computes a deadline it parses them to
a :class:`datetime.timedelta`, or ``None`` for "NONE" (no timeout).
"""

from __future__ import annotations

from datetime import timedelta

NONE = "NONE"


def parse_duration(value: str) -> timedelta | None:
    """Parse an already validated SWF duration string."""
    if value == NONE:
        return None
    return timedelta(seconds=int(value))


def is_duration(value: str) -> bool:
    """Check whether ``value`` is "NONE" or a whole number of seconds."""
    return value == NONE or (value.isascii() and value.isdigit())

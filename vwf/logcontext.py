"""Context ids (workflow, activity, media, user) attached to every log record.

Code that works on one workflow or media item wraps the work in
:func:`log_context`; :class:`ContextFilter`, installed once by the CLI, copies
the ids onto each record so text and JSON formatters can print them.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator

CONTEXT_KEYS = ("workflow_id", "run_id", "activity_id", "media_id", "user_id")

# The default is an empty mapping that is never mutated: log_context sets a new dict.
_EMPTY: dict[str, str] = {}
_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar(
    "vwf_log_context",
    default=_EMPTY,  # noqa: B039
)


@contextlib.contextmanager
def log_context(**ids: str | None) -> Iterator[None]:
    """Attach ``ids`` to every record logged inside the block (and its threads
    started with ``contextvars.copy_context()``)."""
    unknown = set(ids) - set(CONTEXT_KEYS)
    if unknown:
        raise TypeError(
            f"unknown log context keys {sorted(unknown)}: use {CONTEXT_KEYS}"
        )
    merged = {**_context.get(), **{k: str(v) for k, v in ids.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, str]:
    """Return a copy of the ids attached by the enclosing :func:`log_context`."""
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Copy the current context ids onto each record as attributes."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for key in CONTEXT_KEYS:
            if not hasattr(record, key):
                setattr(record, key, context.get(key))
        return True

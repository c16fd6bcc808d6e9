"""Opaque page tokens for histories, decision tasks and every list.

A token is URL-safe base64 of a small JSON object: the position after the
last item returned and a digest of the query it belongs to. A token that does
not decode, or that belongs to a different query, is rejected with a
:class:`ValidationException` instead of returning the wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, tuple_
from sqlalchemy.engine import Connection

from vwf.engine.errors import ValidationException

# Request members that do not change which items a query returns.
_PAGING_MEMBERS = {"nextPageToken", "maximumPageSize", "identity"}


def query_digest(operation: str, request: dict[str, Any]) -> str:
    """Return a short digest of ``request`` without its paging members."""
    query = {k: v for k, v in request.items() if k not in _PAGING_MEMBERS}
    text = json.dumps([operation, query], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_token(digest: str, position: list[Any]) -> str:
    """Return the token for the page that starts after ``position``."""
    payload = json.dumps({"q": digest, "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def decode_token(token: str, digest: str, kinds: tuple[type, ...]) -> list[Any]:
    """Return the position stored in ``token`` for the query ``digest``.

    ``kinds`` are the expected types of the position's items, in order.
    """
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeError) as exc:
        raise _invalid() from exc
    if not isinstance(payload, dict) or payload.get("q") != digest:
        raise _invalid()
    position = payload.get("p")
    if not isinstance(position, list) or len(position) != len(kinds):
        raise _invalid()
    for item, kind in zip(position, kinds, strict=True):
        if not isinstance(item, kind) or isinstance(item, bool):
            raise _invalid()
    return position


def page_size(request: dict[str, Any], maximum: int) -> int:
    """Return the requested page size, or the maximum when it is 0 or absent."""
    size = request.get("maximumPageSize") or maximum
    return min(size, maximum)


def _invalid() -> ValidationException:
    return ValidationException(
        "nextPageToken is invalid or belongs to another query; pass the token "
        "from the previous page of the same request unchanged"
    )


def keyset_page(
    conn: Connection,
    query: Select,
    keys: list[ColumnElement],
    request: dict[str, Any],
    operation: str,
    *,
    maximum: int,
    descending: bool,
) -> tuple[list[Row], str | None]:
    """Return one page of ``query`` ordered by ``keys`` and the next token.

    ``keys`` must identify a row uniquely. The page starts after the position
    stored in the request's nextPageToken.
    """
    digest = query_digest(operation, request)
    if request.get("reverseOrder"):
        descending = not descending
    token = request.get("nextPageToken")
    if token:
        kinds = tuple(_python_type(key) for key in keys)
        position = tuple_(*decode_token(token, digest, kinds))
        after = tuple_(*keys) < position if descending else tuple_(*keys) > position
        query = query.where(after)
    order = [key.desc() if descending else key.asc() for key in keys]
    size = page_size(request, maximum)
    rows = list(conn.execute(query.order_by(*order).limit(size + 1)))
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    last = rows[-1]._mapping
    return rows, encode_token(digest, [last[key.name] for key in keys])


def _python_type(column: ColumnElement) -> type:
    python_type = column.type.python_type
    return (int, float) if python_type is float else python_type

"""Reading event histories and turning events into SWF's HistoryEvent shape."""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection, Row

from vwf.engine import _schema as t
from vwf.engine._run import attributes_key
from vwf.engine._sql import Prepared


def event_to_wire(row: Row) -> dict[str, Any]:
    """Return an events row as a HistoryEvent."""
    return {
        "eventId": row.event_id,
        "eventType": row.event_type,
        "eventTimestamp": row.timestamp,
        attributes_key(row.event_type): json.loads(row.attributes),
    }


def read_events(
    conn: Connection,
    execution_pk: int,
    *,
    after: int | None,
    up_to: int | None,
    first: int | None = None,
    reverse: bool,
    limit: int,
) -> list[dict[str, Any]]:
    """Return up to ``limit`` events in id order, or reversed.

    ``after`` is the id of the last event of the previous page; ``up_to`` is
    the highest id to include and ``first`` the lowest.
    """
    shape = (up_to is not None, first is not None, after is not None, reverse)
    rows = _events_query(shape).rows(
        conn,
        execution_pk=execution_pk,
        up_to=up_to,
        first=first,
        after=after,
        limit=limit,
    )
    return [event_to_wire(row) for row in rows]


@functools.cache
def _events_query(shape: tuple[bool, bool, bool, bool]) -> Prepared:
    """Return the events query for one combination of bounds and order."""
    has_up_to, has_first, has_after, reverse = shape
    columns = t.events.c
    query = select(t.events).where(columns.execution_pk == bindparam("execution_pk"))
    if has_up_to:
        query = query.where(columns.event_id <= bindparam("up_to"))
    if has_first:
        query = query.where(columns.event_id >= bindparam("first"))
    if has_after:
        after = bindparam("after")
        query = query.where(
            columns.event_id < after if reverse else columns.event_id > after
        )
    order = columns.event_id.desc() if reverse else columns.event_id.asc()
    return Prepared(query.order_by(order).limit(bindparam("limit")))

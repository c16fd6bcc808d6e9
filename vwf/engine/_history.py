"""Reading event histories and turning events into SWF's HistoryEvent shape."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from vwf.engine import _schema as t
from vwf.engine._run import attributes_key


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
    columns = t.events.c
    query = select(t.events).where(columns.execution_pk == execution_pk)
    if up_to is not None:
        query = query.where(columns.event_id <= up_to)
    if first is not None:
        query = query.where(columns.event_id >= first)
    if after is not None:
        step = columns.event_id < after if reverse else columns.event_id > after
        query = query.where(step)
    order = columns.event_id.desc() if reverse else columns.event_id.asc()
    rows = conn.execute(query.order_by(order).limit(limit))
    return [event_to_wire(row) for row in rows]

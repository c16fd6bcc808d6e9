"""Listing and counting open and closed executions of a domain.

As in SWF, a query takes one time filter and at most one of the other
filters. Open executions are filtered by startTimeFilter, closed executions
by exactly one of startTimeFilter and closeTimeFilter. Results are newest
first by the filtered time unless reverseOrder is set.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.engine import Connection

from vwf.engine import _schema as t
from vwf.engine._domains import get_domain
from vwf.engine._executions import execution_info
from vwf.engine._pagination import keyset_page
from vwf.engine._services import Services
from vwf.engine.errors import ValidationException

_OPEN_FILTERS = ("executionFilter", "typeFilter", "tagFilter")
_CLOSED_FILTERS = ("executionFilter", "closeStatusFilter", "typeFilter", "tagFilter")
_TIME_FILTERS = ("startTimeFilter", "closeTimeFilter")


def _query(request: dict[str, Any], *, is_open: bool) -> tuple[Select, Any]:
    """Return the filtered query and the time column it sorts by."""
    _check_filters(request, _OPEN_FILTERS if is_open else _CLOSED_FILTERS)
    columns = t.executions.c
    query = select(t.executions).where(
        columns.domain == request["domain"], columns.is_open.is_(is_open)
    )
    time_column = columns.started_at
    time_filter = request.get("startTimeFilter")
    if time_filter is None:
        time_column, time_filter = columns.closed_at, request["closeTimeFilter"]
    query = query.where(time_column >= time_filter["oldestDate"])
    if time_filter.get("latestDate") is not None:
        query = query.where(time_column <= time_filter["latestDate"])
    return _apply_filter(query, request), time_column


def _check_filters(request: dict[str, Any], exclusive: tuple[str, ...]) -> None:
    given_times = [name for name in _TIME_FILTERS if request.get(name)]
    if len(given_times) != 1:
        raise ValidationException(
            "exactly one of startTimeFilter and closeTimeFilter is required, got "
            f"{given_times or 'none'}"
        )
    present = [name for name in exclusive if request.get(name)]
    if len(present) > 1:
        raise ValidationException(
            f"{', '.join(present)} are mutually exclusive; give at most one of "
            f"{', '.join(exclusive)}"
        )


def _apply_filter(query: Select, request: dict[str, Any]) -> Select:
    columns = t.executions.c
    if request.get("executionFilter"):
        return query.where(
            columns.workflow_id == request["executionFilter"]["workflowId"]
        )
    if request.get("typeFilter"):
        type_filter = request["typeFilter"]
        query = query.where(columns.type_name == type_filter["name"])
        if type_filter.get("version"):
            query = query.where(columns.type_version == type_filter["version"])
        return query
    if request.get("tagFilter"):
        tags = t.execution_tags.c
        return query.where(
            exists().where(
                tags.execution_pk == columns.pk, tags.tag == request["tagFilter"]["tag"]
            )
        )
    if request.get("closeStatusFilter"):
        return query.where(
            columns.close_status == request["closeStatusFilter"]["status"]
        )
    return query


def _list(services: Services, request: dict, operation: str, is_open: bool) -> dict:
    query, time_column = _query(request, is_open=is_open)

    def page(conn: Connection) -> tuple[list, str | None]:
        get_domain(conn, request["domain"])
        return keyset_page(
            conn,
            query,
            [time_column, t.executions.c.pk],
            request,
            operation,
            maximum=services.settings.max_page_size,
            descending=True,
        )

    rows, token = services.store.read(page)
    response: dict[str, Any] = {"executionInfos": [execution_info(row) for row in rows]}
    if token:
        response["nextPageToken"] = token
    return response


def _count(services: Services, request: dict, is_open: bool) -> dict:
    query, _ = _query(request, is_open=is_open)

    def count(conn: Connection) -> int:
        get_domain(conn, request["domain"])
        return conn.execute(
            select(func.count()).select_from(query.subquery())
        ).scalar_one()

    return {"count": services.store.read(count), "truncated": False}


def list_open_workflow_executions(services: Services, request: dict) -> dict:
    return _list(services, request, "ListOpenWorkflowExecutions", True)


def list_closed_workflow_executions(services: Services, request: dict) -> dict:
    return _list(services, request, "ListClosedWorkflowExecutions", False)


def count_open_workflow_executions(services: Services, request: dict) -> dict:
    return _count(services, request, True)


def count_closed_workflow_executions(services: Services, request: dict) -> dict:
    return _count(services, request, False)


OPERATIONS = {
    "ListOpenWorkflowExecutions": list_open_workflow_executions,
    "ListClosedWorkflowExecutions": list_closed_workflow_executions,
    "CountOpenWorkflowExecutions": count_open_workflow_executions,
    "CountClosedWorkflowExecutions": count_closed_workflow_executions,
}

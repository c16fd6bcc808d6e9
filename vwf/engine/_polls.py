"""Long polls for decision and activity tasks, and pending task counts.

A poll claims the oldest scheduled task of the highest priority on its task
list in one write transaction. That transaction marks the task started,
appends the ``*TaskStarted`` event and gives the task a new token. When the
caller passed ``deliver``, it also hands the response over before the commit.
A task therefore goes to exactly one poller, also across processes sharing
the database, and a task whose delivery fails stays scheduled with no started
event.

With no task, a poll waits up to ``long_poll_timeout``: a task scheduled in
this process wakes it at once, and it re-checks the database every
``poll_recheck_interval`` for tasks scheduled by other processes. An empty
poll returns ``{"startedEventId": 0, "previousStartedEventId": 0}`` for
decisions and ``{"startedEventId": 0}`` for activities, without a taskToken.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection

from vwf.engine import _schema as t
from vwf.engine._domains import get_domain
from vwf.engine._durations import parse_duration
from vwf.engine._history import read_events
from vwf.engine._pagination import decode_token, encode_token, page_size, query_digest
from vwf.engine._run import Run, new_token
from vwf.engine._services import Services
from vwf.engine._sql import LOCK_SKIP_LOCKED, Prepared
from vwf.engine._store import Tx
from vwf.engine._waiters import TaskListKey
from vwf.engine.errors import UnknownResourceFault

logger = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], None] | None

EMPTY_DECISION_TASK = {"startedEventId": 0, "previousStartedEventId": 0}
EMPTY_ACTIVITY_TASK = {"startedEventId": 0}

_decision_tasks = t.decision_tasks.c
_activity_tasks = t.activity_tasks.c


def _queue_condition(columns: Any) -> tuple[Any, ...]:
    return (
        columns.domain == bindparam("domain"),
        columns.task_list == bindparam("task_list"),
        columns.status == "scheduled",
    )


# Whether a task waits, checked with a read so idle polls take no write lock.
_DECISION_QUEUED = Prepared(
    select(_decision_tasks.status).where(*_queue_condition(_decision_tasks)).limit(1)
)
_ACTIVITY_QUEUED = Prepared(
    select(_activity_tasks.status).where(*_queue_condition(_activity_tasks)).limit(1)
)
# The first scheduled task of a task list; PostgreSQL skips rows other
# pollers have locked.
_DECISION_HEAD = Prepared(
    select(t.decision_tasks)
    .where(*_queue_condition(_decision_tasks))
    .order_by(_decision_tasks.priority.desc(), _decision_tasks.scheduled_at)
    .limit(1),
    lock=LOCK_SKIP_LOCKED,
)
_ACTIVITY_HEAD = Prepared(
    select(t.activity_tasks)
    .where(*_queue_condition(_activity_tasks))
    .order_by(_activity_tasks.priority.desc(), _activity_tasks.pk)
    .limit(1),
    lock=LOCK_SKIP_LOCKED,
)
_START_DECISION_TASK = Prepared(
    update(t.decision_tasks)
    .where(
        _decision_tasks.execution_pk == bindparam("key_execution_pk"),
        _decision_tasks.status == "scheduled",
    )
    .values(status="started"),
    columns=("token",),
)
_SCHEDULED_ACTIVITY = Prepared(
    select(t.activity_tasks).where(
        _activity_tasks.pk == bindparam("pk"), _activity_tasks.status == "scheduled"
    )
)
_START_ACTIVITY_TASK = Prepared(
    update(t.activity_tasks)
    .where(_activity_tasks.pk == bindparam("key_pk"))
    .values(status="started"),
    columns=("token", "started_event_id"),
)


def poll_for_decision_task(
    services: Services, request: dict[str, Any], deliver: Deliver
) -> dict[str, Any]:
    _check_domain(services, request["domain"])
    if request.get("nextPageToken"):
        response = services.store.read(
            lambda conn: _next_decision_page(services, conn, request)
        )
        if deliver is not None:
            deliver(response)
        return response
    key = ("decision", request["domain"], request["taskList"]["name"])

    def claim() -> dict[str, Any] | None:
        if not _is_queued(services, _DECISION_QUEUED, request):
            return None
        return services.store.write(
            lambda tx: _claim_decision_task(services, tx, request, deliver)
        )

    return _long_poll(services, key, claim, dict(EMPTY_DECISION_TASK), deliver)


def poll_for_activity_task(
    services: Services, request: dict[str, Any], deliver: Deliver
) -> dict[str, Any]:
    _check_domain(services, request["domain"])
    key = ("activity", request["domain"], request["taskList"]["name"])

    def claim() -> dict[str, Any] | None:
        if not _is_queued(services, _ACTIVITY_QUEUED, request):
            return None
        return services.store.write(
            lambda tx: _claim_activity_task(services, tx, request, deliver)
        )

    return _long_poll(services, key, claim, dict(EMPTY_ACTIVITY_TASK), deliver)


def _check_domain(services: Services, domain: str) -> None:
    """Raise :class:`UnknownResourceFault` unless ``domain`` is registered."""
    if domain in services.known_domains:
        return
    services.store.read(lambda conn: get_domain(conn, domain))
    services.known_domains.add(domain)


def _long_poll(
    services: Services,
    key: TaskListKey,
    claim: Callable[[], dict[str, Any] | None],
    empty: dict[str, Any],
    deliver: Deliver,
) -> dict[str, Any]:
    waiters = services.waiters
    settings = services.settings
    give_up_at = time.monotonic() + settings.long_poll_timeout.total_seconds()
    recheck = settings.poll_recheck_interval.total_seconds()
    while True:
        seen = waiters.version(key)
        try:
            response = claim()
        except Exception:
            # The claim rolled back, so its task is still queued. The wake-up
            # that brought this poll goes to another waiting poll instead.
            waiters.notify(key)
            raise
        if response is not None:
            return response
        remaining = give_up_at - time.monotonic()
        if remaining <= 0 or waiters.closed:
            break
        waiters.wait(key, seen, min(remaining, recheck))
    if deliver is not None:
        deliver(empty)
    return empty


def _is_queued(services: Services, queued: Prepared, request: dict[str, Any]) -> bool:
    """Check with a read whether a task waits, so idle polls take no write lock."""
    return services.store.read(
        lambda conn: _queue_first(conn, queued, request) is not None
    )


def _queue_first(
    conn: Connection | Tx, statement: Prepared, request: dict[str, Any]
) -> Any:
    return statement.first(
        conn, domain=request["domain"], task_list=request["taskList"]["name"]
    )


def _claim_decision_task(
    services: Services, tx: Tx, request: dict[str, Any], deliver: Deliver
) -> dict[str, Any] | None:
    head = _queue_first(tx, _DECISION_HEAD, request)
    if head is None:
        return None

    run = Run.load(tx, services, head.execution_pk)
    token = new_token()
    claimed = _START_DECISION_TASK.run(
        tx, key_execution_pk=head.execution_pk, token=token
    )
    if not claimed:
        return None

    started_event_id = _start_decision_task(run, request.get("identity"))
    task = DecisionTaskView(
        token=token,
        execution_pk=run.pk,
        execution=run.execution,
        workflow_type=run.workflow_type,
        started_event_id=started_event_id,
        previous_started_event_id=run["previous_started_event_id"],
    )
    response = _decision_page(services, tx.conn, request, task, after=None)
    _deliver_before_commit(run, response, deliver)
    return response


def _start_decision_task(run: Run, identity: str | None) -> int:
    scheduled_event_id = run["decision_scheduled_event_id"]
    started_event_id = run.append(
        "DecisionTaskStarted", identity=identity, scheduledEventId=scheduled_event_id
    )
    run.set(decision_state="started", decision_started_event_id=started_event_id)
    run.remove_deadlines(scheduled_event_id, "decision_schedule_to_start")
    timeout = parse_duration(run["task_start_to_close_timeout"])
    if timeout is not None:
        run.add_deadline(
            "decision_start_to_close", started_event_id, timeout.total_seconds()
        )
    return started_event_id


def _deliver_before_commit(
    run: Run, response: dict[str, Any], deliver: Deliver
) -> None:
    run.flush()
    if deliver is not None:
        deliver(response)


@dataclass(frozen=True)
class DecisionTaskView:
    """The task token and ids that every page of one decision task repeats."""

    token: str
    execution_pk: int
    execution: dict[str, str]
    workflow_type: dict[str, str]
    started_event_id: int
    previous_started_event_id: int

    @classmethod
    def from_row(cls, token: str, row: Any) -> DecisionTaskView:
        return cls(
            token=token,
            execution_pk=row.pk,
            execution={"workflowId": row.workflow_id, "runId": row.run_id},
            workflow_type={"name": row.type_name, "version": row.type_version},
            started_event_id=row.decision_started_event_id,
            previous_started_event_id=row.previous_started_event_id,
        )


def _decision_page(
    services: Services,
    conn: Connection,
    request: dict[str, Any],
    task: DecisionTaskView,
    *,
    after: int | None,
) -> dict[str, Any]:
    size = page_size(request, services.settings.max_page_size)
    previous = task.previous_started_event_id
    first = None
    if request.get("startAtPreviousStartedEvent") and previous:
        first = previous
    events = read_events(
        conn,
        task.execution_pk,
        after=after,
        up_to=task.started_event_id,
        first=first,
        reverse=bool(request.get("reverseOrder")),
        limit=size + 1,
    )
    response: dict[str, Any] = {
        "taskToken": task.token,
        "startedEventId": task.started_event_id,
        "previousStartedEventId": previous,
        "workflowExecution": task.execution,
        "workflowType": task.workflow_type,
        "events": events[:size],
    }
    if len(events) > size:
        digest = query_digest("PollForDecisionTask", request)
        position = [task.token, events[size - 1]["eventId"]]
        response["nextPageToken"] = encode_token(digest, position)
    return response


def _next_decision_page(
    services: Services, conn: Connection, request: dict[str, Any]
) -> dict[str, Any]:
    digest = query_digest("PollForDecisionTask", request)
    token, after = decode_token(request["nextPageToken"], digest, (str, int))
    row = conn.execute(
        select(t.executions)
        .join(t.decision_tasks, t.decision_tasks.c.execution_pk == t.executions.c.pk)
        .where(t.decision_tasks.c.token == token)
    ).one_or_none()
    if row is None:
        raise UnknownResourceFault(
            "the decision task of this nextPageToken is no longer open; poll for "
            "a new decision task"
        )
    task = DecisionTaskView.from_row(token, row)
    return _decision_page(services, conn, request, task, after=after)


def _claim_activity_task(
    services: Services, tx: Tx, request: dict[str, Any], deliver: Deliver
) -> dict[str, Any] | None:
    head = _queue_first(tx, _ACTIVITY_HEAD, request)
    if head is None:
        return None

    run = Run.load(tx, services, head.execution_pk)
    # Read again under the execution's lock: it may have closed meanwhile.
    task = _SCHEDULED_ACTIVITY.first(tx, pk=head.pk)
    if task is None:
        return None

    token = new_token()
    started_event_id = run.append(
        "ActivityTaskStarted",
        identity=request.get("identity"),
        scheduledEventId=task.scheduled_event_id,
    )
    _START_ACTIVITY_TASK.run(
        tx, key_pk=task.pk, token=token, started_event_id=started_event_id
    )
    run.set(latest_activity_task_at=services.now())
    _add_started_deadlines(run, task)
    run.count_activity(task.type_name, "started")

    response = {
        "taskToken": token,
        "activityId": task.activity_id,
        "startedEventId": started_event_id,
        "workflowExecution": run.execution,
        "activityType": {"name": task.type_name, "version": task.type_version},
    }
    if task.input is not None:
        response["input"] = task.input
    _deliver_before_commit(run, response, deliver)
    return response


def _add_started_deadlines(run: Run, task: Any) -> None:
    ref = task.scheduled_event_id
    run.remove_deadlines(ref, "activity_schedule_to_start")
    for kind, value in (
        ("activity_start_to_close", task.start_to_close_timeout),
        ("activity_heartbeat", task.heartbeat_timeout),
    ):
        timeout = parse_duration(value)
        if timeout is not None:
            run.add_deadline(kind, ref, timeout.total_seconds())


def _count_pending(table: Any, services: Services, request: dict) -> dict:
    columns = table.c

    def read(conn: Connection) -> int:
        get_domain(conn, request["domain"])
        return conn.execute(
            select(func.count())
            .select_from(table)
            .where(
                columns.domain == request["domain"],
                columns.task_list == request["taskList"]["name"],
                columns.status == "scheduled",
            )
        ).scalar_one()

    return {"count": services.store.read(read), "truncated": False}


def count_pending_decision_tasks(services: Services, request: dict) -> dict:
    return _count_pending(t.decision_tasks, services, request)


def count_pending_activity_tasks(services: Services, request: dict) -> dict:
    return _count_pending(t.activity_tasks, services, request)


POLL_OPERATIONS = {
    "PollForDecisionTask": poll_for_decision_task,
    "PollForActivityTask": poll_for_activity_task,
}
COUNT_OPERATIONS = {
    "CountPendingDecisionTasks": count_pending_decision_tasks,
    "CountPendingActivityTasks": count_pending_activity_tasks,
}

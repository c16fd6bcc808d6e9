"""Activity task results and heartbeats, addressed by task token.

A token names one started attempt of one activity. Once the activity closes
(completed, failed, canceled or timed out) or its execution closes, the token
is unknown: every call with it gets :class:`UnknownResourceFault` and changes
nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Row

from vwf.engine import _schema as t
from vwf.engine._durations import parse_duration
from vwf.engine._metrics import ACTIVITY_OUTCOMES
from vwf.engine._run import Run
from vwf.engine._services import Services
from vwf.engine._sql import Prepared
from vwf.engine._store import Tx
from vwf.engine.errors import UnknownResourceFault
from vwf.logcontext import log_context

logger = logging.getLogger(__name__)


_activity_tasks = t.activity_tasks.c
_STARTED_BY_TOKEN = Prepared(
    select(t.activity_tasks).where(
        _activity_tasks.token == bindparam("token"),
        _activity_tasks.status == "started",
    )
)
_DELETE_ACTIVITY = Prepared(
    delete(t.activity_tasks).where(_activity_tasks.pk == bindparam("pk"))
)


def started_activity(tx: Tx, services: Services, token: str) -> tuple[Run, Row]:
    """Return the locked run and the started activity task of ``token``."""
    task = _STARTED_BY_TOKEN.first(tx, token=token)
    if task is not None:
        run = Run.load(tx, services, task.execution_pk)
        # Read again under the execution's lock: it may have closed meanwhile.
        task = _STARTED_BY_TOKEN.first(tx, token=token)
    if task is None:
        raise UnknownResourceFault(
            "Unknown activity task token: the task is closed, timed out or was "
            "never started; stop working on it"
        )
    return run, task


def close_activity(run: Run, task: Row, event_type: str, **attributes: Any) -> None:
    """Append the activity's close event and forget the activity."""
    run.append(
        event_type,
        scheduledEventId=task.scheduled_event_id,
        startedEventId=task.started_event_id,
        **attributes,
    )
    _DELETE_ACTIVITY.run(run.tx, pk=task.pk)
    run.remove_deadlines(task.scheduled_event_id)
    run.count_activity(task.type_name, ACTIVITY_OUTCOMES[event_type])


def _respond(
    services: Services, token: str, event_type: str, **attributes: Any
) -> dict[str, Any]:
    def work(tx: Tx) -> None:
        run, task = started_activity(tx, services, token)
        with log_context(workflow_id=run["workflow_id"], activity_id=task.activity_id):
            close_activity(run, task, event_type, **attributes)
            logger.info("activity %s: %s", task.activity_id, event_type)

    services.store.write(work)
    return {}


def respond_activity_task_completed(services: Services, request: dict) -> dict:
    return _respond(
        services,
        request["taskToken"],
        "ActivityTaskCompleted",
        result=request.get("result"),
    )


def respond_activity_task_failed(services: Services, request: dict) -> dict:
    return _respond(
        services,
        request["taskToken"],
        "ActivityTaskFailed",
        reason=request.get("reason"),
        details=request.get("details"),
    )


def respond_activity_task_canceled(services: Services, request: dict) -> dict:
    def work(tx: Tx) -> None:
        run, task = started_activity(tx, services, request["taskToken"])
        close_activity(
            run,
            task,
            "ActivityTaskCanceled",
            details=request.get("details"),
            latestCancelRequestedEventId=task.latest_cancel_requested_event_id,
        )

    services.store.write(work)
    return {}


def record_activity_task_heartbeat(services: Services, request: dict) -> dict:
    def work(tx: Tx) -> bool:
        run, task = started_activity(tx, services, request["taskToken"])
        tx.execute(
            update(t.activity_tasks)
            .where(t.activity_tasks.c.pk == task.pk)
            .values(heartbeat_details=request.get("details"))
        )
        timeout = parse_duration(task.heartbeat_timeout)
        if timeout is not None:
            run.remove_deadlines(task.scheduled_event_id, "activity_heartbeat")
            run.add_deadline(
                "activity_heartbeat", task.scheduled_event_id, timeout.total_seconds()
            )
        return bool(task.cancel_requested)

    return {"cancelRequested": services.store.write(work)}


OPERATIONS = {
    "RespondActivityTaskCompleted": respond_activity_task_completed,
    "RespondActivityTaskFailed": respond_activity_task_failed,
    "RespondActivityTaskCanceled": respond_activity_task_canceled,
    "RecordActivityTaskHeartbeat": record_activity_task_heartbeat,
}

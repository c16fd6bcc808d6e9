"""Workflow executions: start, signal, cancel request, terminate, describe, history.

:func:`create_execution` is shared with the decisions that start executions
(StartChildWorkflowExecution and ContinueAsNewWorkflowExecution).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from vwf.engine import _schema as t
from vwf.engine._domains import get_domain, get_registered_domain
from vwf.engine._durations import NONE, parse_duration
from vwf.engine._history import read_events
from vwf.engine._pagination import decode_token, encode_token, page_size, query_digest
from vwf.engine._run import Run, new_run_id
from vwf.engine._services import Services
from vwf.engine._sql import Prepared
from vwf.engine._store import Tx
from vwf.engine._types import WORKFLOW, find_type
from vwf.engine.errors import (
    DefaultUndefinedFault,
    TypeDeprecatedFault,
    UnknownResourceFault,
    ValidationException,
    WorkflowExecutionAlreadyStartedFault,
)
from vwf.logcontext import log_context

logger = logging.getLogger(__name__)

# SWF caps an execution's start-to-close timeout at one year and rejects NONE.
MAX_EXECUTION_SECONDS = 365 * 24 * 3600


class MissingDefault(Exception):
    """A start setting is in neither the request nor the type's defaults."""

    def __init__(self, setting: str) -> None:
        super().__init__(setting)
        # SWF's cause name: DEFAULT_<setting>_UNDEFINED.
        self.cause = f"DEFAULT_{setting}_UNDEFINED"
        self.setting = setting


@dataclass(frozen=True)
class StartConfig:
    """The settings of a new run after type defaults are applied."""

    task_list: str
    task_priority: str | None
    execution_start_to_close_timeout: str
    task_start_to_close_timeout: str
    child_policy: str
    lambda_role: str | None


def resolve_start_config(
    defaults: dict[str, Any], request: dict[str, Any]
) -> StartConfig:
    """Apply the workflow type's ``defaults`` to a start request or decision.

    Raises :class:`MissingDefault` when a required setting is in neither.
    """

    def pick(member: str, default: str, setting: str | None) -> Any:
        value = request.get(member) or defaults.get(default)
        if value is None and setting is not None:
            raise MissingDefault(setting)
        return value

    task_list = pick("taskList", "defaultTaskList", "TASK_LIST")
    execution_timeout = pick(
        "executionStartToCloseTimeout",
        "defaultExecutionStartToCloseTimeout",
        "EXECUTION_START_TO_CLOSE_TIMEOUT",
    )
    _check_execution_timeout(execution_timeout)
    return StartConfig(
        task_list=task_list["name"],
        task_priority=pick("taskPriority", "defaultTaskPriority", None),
        execution_start_to_close_timeout=execution_timeout,
        task_start_to_close_timeout=pick(
            "taskStartToCloseTimeout",
            "defaultTaskStartToCloseTimeout",
            "TASK_START_TO_CLOSE_TIMEOUT",
        ),
        child_policy=pick("childPolicy", "defaultChildPolicy", "CHILD_POLICY"),
        lambda_role=pick("lambdaRole", "defaultLambdaRole", None),
    )


def _check_execution_timeout(value: str) -> None:
    if value == NONE or int(value) > MAX_EXECUTION_SECONDS:
        raise ValidationException(
            f"executionStartToCloseTimeout is {value!r}; use a whole number of "
            f"seconds up to {MAX_EXECUTION_SECONDS} (one year), SWF rejects NONE"
        )


_NO_PARENT = dict.fromkeys(
    ("parent_pk", "parent_workflow_id", "parent_run_id", "parent_initiated_event_id")
)
_INSERT_EXECUTION = Prepared(
    insert(t.executions).returning(t.executions.c.pk),
    columns=(
        *_NO_PARENT,
        "domain",
        "workflow_id",
        "run_id",
        "type_name",
        "type_version",
        "task_list",
        "task_priority",
        "child_policy",
        "execution_start_to_close_timeout",
        "task_start_to_close_timeout",
        "lambda_role",
        "tags",
        "is_open",
        "started_at",
        "cancel_requested",
        "next_event_id",
        "decision_state",
        "decision_scheduled_event_id",
        "decision_started_event_id",
        "previous_started_event_id",
        "decision_pending",
    ),
)
_INSERT_TAG = Prepared(insert(t.execution_tags), columns=("execution_pk", "tag"))


@dataclass(frozen=True)
class ParentLink:
    """The parent of a child execution and its StartChildWorkflowExecutionInitiated."""

    run: Run
    initiated_event_id: int


def create_execution(
    tx: Tx,
    services: Services,
    *,
    domain: str,
    workflow_id: str,
    workflow_type: dict[str, str],
    config: StartConfig,
    input: str | None,
    tags: list[str],
    parent: ParentLink | None = None,
    continued_from: Run | None = None,
    run_id: str | None = None,
) -> Run:
    """Insert a new open run, append WorkflowExecutionStarted and its timeout."""
    now = services.now()
    if continued_from is not None and continued_from["parent_pk"] is not None:
        parent_columns = {
            name: continued_from[name]
            for name in (
                "parent_pk",
                "parent_workflow_id",
                "parent_run_id",
                "parent_initiated_event_id",
            )
        }
    elif parent is not None:
        parent_columns = {
            "parent_pk": parent.run.pk,
            "parent_workflow_id": parent.run["workflow_id"],
            "parent_run_id": parent.run["run_id"],
            "parent_initiated_event_id": parent.initiated_event_id,
        }
    else:
        parent_columns = {}
    pk = _INSERT_EXECUTION.scalar(
        tx,
        **(_NO_PARENT | parent_columns),
        domain=domain,
        workflow_id=workflow_id,
        run_id=run_id or new_run_id(),
        type_name=workflow_type["name"],
        type_version=workflow_type["version"],
        task_list=config.task_list,
        task_priority=config.task_priority,
        child_policy=config.child_policy,
        execution_start_to_close_timeout=config.execution_start_to_close_timeout,
        task_start_to_close_timeout=config.task_start_to_close_timeout,
        lambda_role=config.lambda_role,
        tags=json.dumps(tags),
        is_open=True,
        started_at=now,
        cancel_requested=False,
        next_event_id=1,
        decision_state="none",
        decision_scheduled_event_id=0,
        decision_started_event_id=0,
        previous_started_event_id=0,
        decision_pending=False,
    )
    for tag in dict.fromkeys(tags):
        _INSERT_TAG.run(tx, execution_pk=pk, tag=tag)
    run = Run.load(tx, services, pk)
    _append_started(run, config, input, tags, continued_from)
    return run


def _append_started(
    run: Run,
    config: StartConfig,
    input: str | None,
    tags: list[str],
    continued_from: Run | None,
) -> None:
    parent = None
    if run["parent_pk"] is not None:
        parent = {
            "workflowId": run["parent_workflow_id"],
            "runId": run["parent_run_id"],
        }
    event_id = run.append(
        "WorkflowExecutionStarted",
        input=input,
        executionStartToCloseTimeout=config.execution_start_to_close_timeout,
        taskStartToCloseTimeout=config.task_start_to_close_timeout,
        childPolicy=config.child_policy,
        taskList={"name": config.task_list},
        taskPriority=config.task_priority,
        workflowType=run.workflow_type,
        tagList=tags or None,
        continuedExecutionRunId=continued_from["run_id"] if continued_from else None,
        parentWorkflowExecution=parent,
        parentInitiatedEventId=run["parent_initiated_event_id"],
        lambdaRole=config.lambda_role,
    )
    timeout = parse_duration(config.execution_start_to_close_timeout)
    run.add_deadline("execution_start_to_close", event_id, timeout.total_seconds())
    logger.info("execution %s/%s started", run["workflow_id"], run["run_id"])


def start_workflow_execution(services: Services, request: dict) -> dict:
    domain, workflow_id = request["domain"], request["workflowId"]
    workflow_type = request["workflowType"]

    def work(tx: Tx) -> str:
        get_registered_domain(tx, domain)
        defaults = _registered_workflow_type(tx, domain, workflow_type)
        try:
            config = resolve_start_config(defaults, request)
        except MissingDefault as exc:
            raise DefaultUndefinedFault(
                f"{exc.setting.lower()} is missing: set it in the request or as "
                f"a default of workflow type {workflow_type['name']} "
                f"{workflow_type['version']}"
            ) from exc
        if Run.find(tx, services, domain, workflow_id) is not None:
            raise _already_started(domain, workflow_id)
        run = create_execution(
            tx,
            services,
            domain=domain,
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            config=config,
            input=request.get("input"),
            tags=request.get("tagList") or [],
        )
        return run["run_id"]

    with log_context(workflow_id=workflow_id):
        try:
            run_id = services.store.write(work)
        except IntegrityError as exc:
            raise _already_started(domain, workflow_id) from exc
    return {"runId": run_id}


def _registered_workflow_type(tx: Tx, domain: str, workflow_type: dict) -> dict:
    found = find_type(
        tx, WORKFLOW, domain, workflow_type["name"], workflow_type["version"]
    )
    described = (
        f"WorkflowType=[name={workflow_type['name']}, "
        f"version={workflow_type['version']}]"
    )
    if found is None:
        raise UnknownResourceFault(
            f"Unknown type: {described} in domain {domain}; register it first"
        )
    if found.status != "REGISTERED":
        raise TypeDeprecatedFault(
            f"{described} is deprecated; undeprecate it or start a newer version"
        )
    return found.configuration


def _already_started(
    domain: str, workflow_id: str
) -> WorkflowExecutionAlreadyStartedFault:
    return WorkflowExecutionAlreadyStartedFault(
        f"workflowId {workflow_id} already has an open execution in domain "
        f"{domain}; wait for it to close or use another workflowId"
    )


def open_run(tx: Tx, services: Services, request: dict) -> Run:
    """Return the open run named by domain, workflowId and optional runId."""
    get_domain(tx, request["domain"])
    run = Run.find(
        tx, services, request["domain"], request["workflowId"], request.get("runId")
    )
    if run is None or not run.is_open:
        raise UnknownResourceFault(
            f"Unknown execution: WorkflowExecution=[workflowId="
            f"{request['workflowId']}, runId={request.get('runId')}] is not open "
            f"in domain {request['domain']}"
        )
    return run


def signal_workflow_execution(services: Services, request: dict) -> dict:
    def work(tx: Tx) -> None:
        run = open_run(tx, services, request)
        run.append(
            "WorkflowExecutionSignaled",
            signalName=request["signalName"],
            input=request.get("input"),
        )

    services.store.write(work)
    return {}


def request_cancel_workflow_execution(services: Services, request: dict) -> dict:
    services.store.write(lambda tx: open_run(tx, services, request).request_cancel())
    return {}


def terminate_workflow_execution(services: Services, request: dict) -> dict:
    def work(tx: Tx) -> None:
        run = open_run(tx, services, request)
        child_policy = request.get("childPolicy") or run["child_policy"]
        run.close(
            "TERMINATED",
            "WorkflowExecutionTerminated",
            child_policy=child_policy,
            reason=request.get("reason"),
            details=request.get("details"),
            childPolicy=child_policy,
            cause="OPERATOR_INITIATED",
        )

    services.store.write(work)
    return {}


def find_row(conn: Connection, domain: str, execution: dict) -> Row:
    """Return the executions row of a WorkflowExecution, open or closed."""
    get_domain(conn, domain)
    columns = t.executions.c
    row = conn.execute(
        select(t.executions).where(
            columns.run_id == execution["runId"],
            columns.workflow_id == execution["workflowId"],
            columns.domain == domain,
        )
    ).one_or_none()
    if row is None:
        raise UnknownResourceFault(
            f"Unknown execution: WorkflowExecution=[workflowId="
            f"{execution['workflowId']}, runId={execution['runId']}] in domain "
            f"{domain}"
        )
    return row


def execution_info(row: Row) -> dict[str, Any]:
    """Return a WorkflowExecutionInfo for an executions row."""
    info: dict[str, Any] = {
        "execution": {"workflowId": row.workflow_id, "runId": row.run_id},
        "workflowType": {"name": row.type_name, "version": row.type_version},
        "startTimestamp": row.started_at,
        "executionStatus": "OPEN" if row.is_open else "CLOSED",
        "cancelRequested": bool(row.cancel_requested),
    }
    if row.closed_at is not None:
        info["closeTimestamp"] = row.closed_at
        info["closeStatus"] = row.close_status
    if row.parent_run_id is not None:
        info["parent"] = {
            "workflowId": row.parent_workflow_id,
            "runId": row.parent_run_id,
        }
    tags = json.loads(row.tags)
    if tags:
        info["tagList"] = tags
    return info


def describe_workflow_execution(services: Services, request: dict) -> dict:
    def read(conn: Connection) -> dict:
        row = find_row(conn, request["domain"], request["execution"])
        response = {
            "executionInfo": execution_info(row),
            "executionConfiguration": _configuration(row),
            "openCounts": _open_counts(conn, row),
        }
        if row.latest_activity_task_at is not None:
            response["latestActivityTaskTimestamp"] = row.latest_activity_task_at
        if row.latest_execution_context is not None:
            response["latestExecutionContext"] = row.latest_execution_context
        return response

    return services.store.read(read)


def _configuration(row: Row) -> dict[str, Any]:
    configuration = {
        "taskStartToCloseTimeout": row.task_start_to_close_timeout,
        "executionStartToCloseTimeout": row.execution_start_to_close_timeout,
        "taskList": {"name": row.task_list},
        "childPolicy": row.child_policy,
    }
    if row.task_priority is not None:
        configuration["taskPriority"] = row.task_priority
    if row.lambda_role is not None:
        configuration["lambdaRole"] = row.lambda_role
    return configuration


def _open_counts(conn: Connection, row: Row) -> dict[str, int]:
    def count(table: Any, column: Any) -> int:
        return conn.execute(
            select(func.count()).select_from(table).where(column == row.pk)
        ).scalar_one()

    return {
        "openActivityTasks": count(t.activity_tasks, t.activity_tasks.c.execution_pk),
        "openDecisionTasks": 0 if row.decision_state == "none" else 1,
        "openTimers": count(t.timers, t.timers.c.execution_pk),
        "openChildWorkflowExecutions": count(t.children, t.children.c.parent_pk),
        "openLambdaFunctions": 0,
    }


def get_workflow_execution_history(services: Services, request: dict) -> dict:
    digest = query_digest("GetWorkflowExecutionHistory", request)
    after = None
    if request.get("nextPageToken"):
        [after] = decode_token(request["nextPageToken"], digest, (int,))
    size = page_size(request, services.settings.max_page_size)

    def read(conn: Connection) -> list[dict]:
        row = find_row(conn, request["domain"], request["execution"])
        return read_events(
            conn,
            row.pk,
            after=after,
            up_to=None,
            reverse=bool(request.get("reverseOrder")),
            limit=size + 1,
        )

    events = services.store.read(read)
    response: dict[str, Any] = {"events": events[:size]}
    if len(events) > size:
        response["nextPageToken"] = encode_token(digest, [events[size - 1]["eventId"]])
    return response


OPERATIONS = {
    "StartWorkflowExecution": start_workflow_execution,
    "SignalWorkflowExecution": signal_workflow_execution,
    "RequestCancelWorkflowExecution": request_cancel_workflow_execution,
    "TerminateWorkflowExecution": terminate_workflow_execution,
    "DescribeWorkflowExecution": describe_workflow_execution,
    "GetWorkflowExecutionHistory": get_workflow_execution_history,
}

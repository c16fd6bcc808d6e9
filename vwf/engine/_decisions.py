"""RespondDecisionTaskCompleted and one handler per decision type.

A decision that cannot be carried out does not fail the call: it becomes its
``*Failed`` event with SWF's cause, and the decider receives it in the next
decision task. A close decision (complete, fail, cancel, continue as new)
fails with ``UNHANDLED_DECISION`` when events that need a decision arrived
while the decision task was started, so the decider receives them first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

from vwf.engine import _schema as t
from vwf.engine._activities import close_activity
from vwf.engine._durations import NONE, parse_duration
from vwf.engine._executions import (
    MissingDefault,
    ParentLink,
    create_execution,
    resolve_start_config,
)
from vwf.engine._run import Run, new_run_id
from vwf.engine._services import Services
from vwf.engine._sql import Prepared
from vwf.engine._store import Tx
from vwf.engine._types import ACTIVITY, WORKFLOW, RegisteredType, find_type
from vwf.engine.errors import UnknownResourceFault, ValidationException
from vwf.logcontext import log_context

logger = logging.getLogger(__name__)

# Decision types whose attributes SWF requires.
_ATTRIBUTES_REQUIRED = {
    "ScheduleActivityTask",
    "RequestCancelActivityTask",
    "RecordMarker",
    "StartTimer",
    "CancelTimer",
    "SignalExternalWorkflowExecution",
    "RequestCancelExternalWorkflowExecution",
    "StartChildWorkflowExecution",
    "ScheduleLambdaFunction",
}


@dataclass
class DecisionContext:
    """The run being decided and the DecisionTaskCompleted event id."""

    run: Run
    completed_event_id: int
    # Events needing a decision arrived while the task was started.
    unhandled: bool

    @property
    def tx(self) -> Tx:
        return self.run.tx

    @property
    def services(self) -> Services:
        return self.run.services

    @property
    def domain(self) -> str:
        return self.run["domain"]


_decision_tasks = t.decision_tasks.c
_activity_tasks = t.activity_tasks.c
_STARTED_BY_TOKEN = Prepared(
    select(_decision_tasks.execution_pk).where(
        _decision_tasks.token == bindparam("token"),
        _decision_tasks.status == "started",
    )
)
_OPEN_ACTIVITY_IDS = Prepared(
    select(_activity_tasks.activity_id).where(
        _activity_tasks.execution_pk == bindparam("execution_pk")
    )
)
_INSERT_ACTIVITY = Prepared(
    insert(t.activity_tasks),
    columns=(
        "execution_pk",
        "activity_id",
        "scheduled_event_id",
        "started_event_id",
        "domain",
        "task_list",
        "priority",
        "status",
        "type_name",
        "type_version",
        "input",
        "heartbeat_timeout",
        "start_to_close_timeout",
        "cancel_requested",
    ),
)


def attributes_member(decision_type: str) -> str:
    """Return the Decision member holding ``decision_type``'s attributes."""
    return decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"


def respond_decision_task_completed(services: Services, request: dict) -> dict:
    decisions = request.get("decisions") or []
    _check_decisions(decisions)

    def work(tx: Tx) -> None:
        run = _started_decision_run(tx, services, request["taskToken"])
        with log_context(workflow_id=run["workflow_id"], run_id=run["run_id"]):
            context = _complete_decision_task(run, request)
            for decision in decisions:
                if not run.is_open:
                    logger.warning(
                        "ignored %s after the execution closed",
                        decision["decisionType"],
                    )
                    continue
                _apply(context, decision)

    services.store.write(work)
    return {}


def _check_decisions(decisions: list[dict[str, Any]]) -> None:
    for index, decision in enumerate(decisions):
        decision_type = decision["decisionType"]
        member = attributes_member(decision_type)
        attributes = decision.get(member)
        if decision_type in _ATTRIBUTES_REQUIRED and attributes is None:
            raise ValidationException(
                f"decisions[{index}].{member} is required for decisionType "
                f"{decision_type}"
            )
        if decision_type == "StartTimer" and attributes["startToFireTimeout"] == NONE:
            raise ValidationException(
                f"decisions[{index}].{member}.startToFireTimeout is NONE; "
                "use a whole number of seconds"
            )


def _started_decision_run(tx: Tx, services: Services, token: str) -> Run:
    pk = _STARTED_BY_TOKEN.scalar(tx, token=token)
    if pk is not None:
        Run.load(tx, services, pk)
        # Read again under the execution's lock: it may have timed out meanwhile.
        pk = _STARTED_BY_TOKEN.scalar(tx, token=token)
    if pk is None:
        raise UnknownResourceFault(
            "Unknown decision task token: the task is completed, timed out or "
            "its execution is closed; poll for a new decision task"
        )
    return Run.load(tx, services, pk)


def _complete_decision_task(run: Run, request: dict) -> DecisionContext:
    started_event_id = run["decision_started_event_id"]
    completed_event_id = run.append(
        "DecisionTaskCompleted",
        executionContext=request.get("executionContext"),
        scheduledEventId=run["decision_scheduled_event_id"],
        startedEventId=started_event_id,
        taskList=request.get("taskList"),
        taskListScheduleToStartTimeout=request.get("taskListScheduleToStartTimeout"),
    )
    unhandled = bool(run["decision_pending"])
    run.clear_decision_task()
    run.set(previous_started_event_id=started_event_id)
    if request.get("executionContext") is not None:
        run.set(latest_execution_context=request["executionContext"])
    if request.get("taskList"):
        run.set(task_list=request["taskList"]["name"])
    # NOTE: SWF applies taskListScheduleToStartTimeout to the task list
    # override; here it stays in force for every later decision task.
    if request.get("taskListScheduleToStartTimeout"):
        run.set(
            decision_schedule_to_start_timeout=request["taskListScheduleToStartTimeout"]
        )
    if unhandled:
        run.request_decision()
    return DecisionContext(run, completed_event_id, unhandled)


def _apply(context: DecisionContext, decision: dict[str, Any]) -> None:
    decision_type = decision["decisionType"]
    attributes = decision.get(attributes_member(decision_type)) or {}
    _HANDLERS[decision_type](context, attributes)


def _schedule_activity_task(context: DecisionContext, attributes: dict) -> None:
    run = context.run
    activity_type = attributes["activityType"]
    activity_id = attributes["activityId"]

    def fail(cause: str) -> None:
        run.append(
            "ScheduleActivityTaskFailed",
            activityType=activity_type,
            activityId=activity_id,
            cause=cause,
            decisionTaskCompletedEventId=context.completed_event_id,
        )

    found = find_type(
        context.tx,
        ACTIVITY,
        context.domain,
        activity_type["name"],
        activity_type["version"],
    )
    cause = _activity_refusal(context, found, activity_id)
    if cause is not None:
        fail(cause)
        return
    try:
        settings = _activity_settings(found.configuration, attributes)
    except MissingDefault as exc:
        fail(exc.cause)
        return
    _insert_activity(context, attributes, settings)


def _activity_refusal(
    context: DecisionContext, found: RegisteredType | None, activity_id: str
) -> str | None:
    if found is None:
        return "ACTIVITY_TYPE_DOES_NOT_EXIST"
    if found.status != "REGISTERED":
        return "ACTIVITY_TYPE_DEPRECATED"
    rows = _OPEN_ACTIVITY_IDS.rows(context.tx, execution_pk=context.run.pk)
    open_ids = {row.activity_id for row in rows}
    if activity_id in open_ids:
        return "ACTIVITY_ID_ALREADY_IN_USE"
    if len(open_ids) >= context.services.settings.max_open_activities:
        return "OPEN_ACTIVITIES_LIMIT_EXCEEDED"
    return None


def _activity_settings(defaults: dict, attributes: dict) -> dict[str, Any]:
    def pick(member: str, default: str, setting: str | None) -> Any:
        value = attributes.get(member) or defaults.get(default)
        if value is None and setting is not None:
            raise MissingDefault(setting)
        return value

    return {
        "taskList": pick("taskList", "defaultTaskList", "TASK_LIST"),
        "scheduleToCloseTimeout": pick(
            "scheduleToCloseTimeout",
            "defaultTaskScheduleToCloseTimeout",
            "SCHEDULE_TO_CLOSE_TIMEOUT",
        ),
        "scheduleToStartTimeout": pick(
            "scheduleToStartTimeout",
            "defaultTaskScheduleToStartTimeout",
            "SCHEDULE_TO_START_TIMEOUT",
        ),
        "startToCloseTimeout": pick(
            "startToCloseTimeout",
            "defaultTaskStartToCloseTimeout",
            "START_TO_CLOSE_TIMEOUT",
        ),
        # NOTE: SWF documents no fault for a missing heartbeat timeout, so an
        # activity without one in its decision or type gets no heartbeat
        # timeout; DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED is never returned.
        "heartbeatTimeout": pick(
            "heartbeatTimeout", "defaultTaskHeartbeatTimeout", None
        )
        or NONE,
        "taskPriority": pick("taskPriority", "defaultTaskPriority", None),
    }


def _insert_activity(
    context: DecisionContext, attributes: dict, settings: dict
) -> None:
    run = context.run
    scheduled_event_id = run.append(
        "ActivityTaskScheduled",
        activityType=attributes["activityType"],
        activityId=attributes["activityId"],
        input=attributes.get("input"),
        control=attributes.get("control"),
        decisionTaskCompletedEventId=context.completed_event_id,
        **settings,
    )
    task_list = settings["taskList"]["name"]
    run.count_activity(attributes["activityType"]["name"], "scheduled")
    _INSERT_ACTIVITY.run(
        context.tx,
        execution_pk=run.pk,
        activity_id=attributes["activityId"],
        scheduled_event_id=scheduled_event_id,
        started_event_id=0,
        domain=context.domain,
        task_list=task_list,
        priority=int(settings["taskPriority"] or 0),
        status="scheduled",
        type_name=attributes["activityType"]["name"],
        type_version=attributes["activityType"]["version"],
        input=attributes.get("input"),
        heartbeat_timeout=settings["heartbeatTimeout"],
        start_to_close_timeout=settings["startToCloseTimeout"],
        cancel_requested=False,
    )
    for kind, value in (
        ("activity_schedule_to_start", settings["scheduleToStartTimeout"]),
        ("activity_schedule_to_close", settings["scheduleToCloseTimeout"]),
    ):
        timeout = parse_duration(value)
        if timeout is not None:
            run.add_deadline(kind, scheduled_event_id, timeout.total_seconds())
    run.notify_activity_pollers(task_list)


def _request_cancel_activity_task(context: DecisionContext, attributes: dict) -> None:
    run = context.run
    activity_id = attributes["activityId"]
    columns = t.activity_tasks.c
    task = context.tx.execute(
        select(t.activity_tasks).where(
            columns.execution_pk == run.pk, columns.activity_id == activity_id
        )
    ).one_or_none()
    if task is None:
        run.append(
            "RequestCancelActivityTaskFailed",
            activityId=activity_id,
            cause="ACTIVITY_ID_UNKNOWN",
            decisionTaskCompletedEventId=context.completed_event_id,
        )
        return
    requested_event_id = run.append(
        "ActivityTaskCancelRequested",
        decisionTaskCompletedEventId=context.completed_event_id,
        activityId=activity_id,
    )
    if task.status == "scheduled":
        # Not yet handed to a worker, so SWF cancels it at once.
        close_activity(
            run,
            task,
            "ActivityTaskCanceled",
            latestCancelRequestedEventId=requested_event_id,
        )
        return
    context.tx.execute(
        update(t.activity_tasks)
        .where(columns.pk == task.pk)
        .values(
            cancel_requested=True, latest_cancel_requested_event_id=requested_event_id
        )
    )


def _close_decision(
    failed_event: str, close_status: str, close_event: str, members: tuple[str, ...]
) -> Callable[[DecisionContext, dict], None]:
    def handle(context: DecisionContext, attributes: dict) -> None:
        if context.unhandled:
            context.run.append(
                failed_event,
                cause="UNHANDLED_DECISION",
                decisionTaskCompletedEventId=context.completed_event_id,
            )
            return
        context.run.close(
            close_status,
            close_event,
            decisionTaskCompletedEventId=context.completed_event_id,
            **{member: attributes.get(member) for member in members},
        )

    return handle


def _continue_as_new(context: DecisionContext, attributes: dict) -> None:
    run = context.run

    def fail(cause: str) -> None:
        run.append(
            "ContinueAsNewWorkflowExecutionFailed",
            cause=cause,
            decisionTaskCompletedEventId=context.completed_event_id,
        )

    if context.unhandled:
        fail("UNHANDLED_DECISION")
        return
    workflow_type = {
        "name": run["type_name"],
        "version": attributes.get("workflowTypeVersion") or run["type_version"],
    }
    cause, config = _child_config(context, workflow_type, attributes)
    if cause is not None:
        fail(cause)
        return
    new_run_id_ = new_run_id()
    run.close(
        "CONTINUED_AS_NEW",
        "WorkflowExecutionContinuedAsNew",
        input=attributes.get("input"),
        decisionTaskCompletedEventId=context.completed_event_id,
        newExecutionRunId=new_run_id_,
        executionStartToCloseTimeout=config.execution_start_to_close_timeout,
        taskList={"name": config.task_list},
        taskPriority=config.task_priority,
        taskStartToCloseTimeout=config.task_start_to_close_timeout,
        childPolicy=config.child_policy,
        tagList=attributes.get("tagList"),
        workflowType=workflow_type,
        lambdaRole=config.lambda_role,
    )
    run.flush()
    new_run = create_execution(
        context.tx,
        context.services,
        domain=context.domain,
        workflow_id=run["workflow_id"],
        workflow_type=workflow_type,
        config=config,
        input=attributes.get("input"),
        tags=attributes.get("tagList") or [],
        continued_from=run,
        run_id=new_run_id_,
    )
    _move_child_link(context.tx, run, new_run)


def _move_child_link(tx: Tx, old: Run, new: Run) -> None:
    """Point the parent's record of this child at the run that continues it."""
    tx.execute(
        update(t.children)
        .where(t.children.c.child_pk == old.pk)
        .values(child_pk=new.pk)
    )


def _child_config(
    context: DecisionContext, workflow_type: dict, attributes: dict
) -> tuple:
    """Return (failure cause, None) or (None, StartConfig) for a new run."""
    found = find_type(
        context.tx,
        WORKFLOW,
        context.domain,
        workflow_type["name"],
        workflow_type["version"],
    )
    if found is None:
        return "WORKFLOW_TYPE_DOES_NOT_EXIST", None
    if found.status != "REGISTERED":
        return "WORKFLOW_TYPE_DEPRECATED", None
    try:
        return None, resolve_start_config(found.configuration, attributes)
    except MissingDefault as exc:
        return exc.cause, None


def _record_marker(context: DecisionContext, attributes: dict) -> None:
    context.run.append(
        "MarkerRecorded",
        markerName=attributes["markerName"],
        details=attributes.get("details"),
        decisionTaskCompletedEventId=context.completed_event_id,
    )


def _start_timer(context: DecisionContext, attributes: dict) -> None:
    run = context.run
    timer_id = attributes["timerId"]
    cause = _timer_refusal(context, timer_id)
    if cause is not None:
        run.append(
            "StartTimerFailed",
            timerId=timer_id,
            cause=cause,
            decisionTaskCompletedEventId=context.completed_event_id,
        )
        return
    started_event_id = run.append(
        "TimerStarted",
        timerId=timer_id,
        control=attributes.get("control"),
        startToFireTimeout=attributes["startToFireTimeout"],
        decisionTaskCompletedEventId=context.completed_event_id,
    )
    context.tx.execute(
        insert(t.timers),
        {
            "execution_pk": run.pk,
            "timer_id": timer_id,
            "started_event_id": started_event_id,
        },
    )
    delay = parse_duration(attributes["startToFireTimeout"])
    run.add_deadline("timer", started_event_id, delay.total_seconds())


def _timer_refusal(context: DecisionContext, timer_id: str) -> str | None:
    columns = t.timers.c
    open_timers = set(
        context.tx.execute(
            select(columns.timer_id).where(columns.execution_pk == context.run.pk)
        ).scalars()
    )
    if timer_id in open_timers:
        return "TIMER_ID_ALREADY_IN_USE"
    if len(open_timers) >= context.services.settings.max_open_timers:
        return "OPEN_TIMERS_LIMIT_EXCEEDED"
    return None


def _cancel_timer(context: DecisionContext, attributes: dict) -> None:
    run = context.run
    timer_id = attributes["timerId"]
    columns = t.timers.c
    key = (columns.execution_pk == run.pk, columns.timer_id == timer_id)
    timer = context.tx.execute(select(t.timers).where(*key)).one_or_none()
    if timer is None:
        run.append(
            "CancelTimerFailed",
            timerId=timer_id,
            cause="TIMER_ID_UNKNOWN",
            decisionTaskCompletedEventId=context.completed_event_id,
        )
        return
    context.tx.execute(delete(t.timers).where(*key))
    run.remove_deadlines(timer.started_event_id, "timer")
    run.append(
        "TimerCanceled",
        timerId=timer_id,
        startedEventId=timer.started_event_id,
        decisionTaskCompletedEventId=context.completed_event_id,
    )


def _signal_external(context: DecisionContext, attributes: dict) -> None:
    run = context.run
    target_ids = {
        "workflowId": attributes["workflowId"],
        "runId": attributes.get("runId"),
    }
    common = {"control": attributes.get("control"), **target_ids}
    initiated_event_id = run.append(
        "SignalExternalWorkflowExecutionInitiated",
        signalName=attributes["signalName"],
        input=attributes.get("input"),
        decisionTaskCompletedEventId=context.completed_event_id,
        **common,
    )
    target = _open_target(context, target_ids)
    if target is None:
        run.append(
            "SignalExternalWorkflowExecutionFailed",
            cause="UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
            initiatedEventId=initiated_event_id,
            decisionTaskCompletedEventId=context.completed_event_id,
            **common,
        )
        return
    target.append(
        "WorkflowExecutionSignaled",
        signalName=attributes["signalName"],
        input=attributes.get("input"),
        externalWorkflowExecution=run.execution,
        externalInitiatedEventId=initiated_event_id,
    )
    if run.is_open:
        run.append(
            "ExternalWorkflowExecutionSignaled",
            workflowExecution=target.execution,
            initiatedEventId=initiated_event_id,
        )


def _request_cancel_external(context: DecisionContext, attributes: dict) -> None:
    run = context.run
    target_ids = {
        "workflowId": attributes["workflowId"],
        "runId": attributes.get("runId"),
    }
    common = {"control": attributes.get("control"), **target_ids}
    initiated_event_id = run.append(
        "RequestCancelExternalWorkflowExecutionInitiated",
        decisionTaskCompletedEventId=context.completed_event_id,
        **common,
    )
    target = _open_target(context, target_ids)
    if target is None:
        run.append(
            "RequestCancelExternalWorkflowExecutionFailed",
            cause="UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
            initiatedEventId=initiated_event_id,
            decisionTaskCompletedEventId=context.completed_event_id,
            **common,
        )
        return
    target.request_cancel(
        externalWorkflowExecution=run.execution,
        externalInitiatedEventId=initiated_event_id,
    )
    run.append(
        "ExternalWorkflowExecutionCancelRequested",
        workflowExecution=target.execution,
        initiatedEventId=initiated_event_id,
    )


def _open_target(context: DecisionContext, target_ids: dict) -> Run | None:
    target = Run.find(
        context.tx,
        context.services,
        context.domain,
        target_ids["workflowId"],
        target_ids["runId"],
    )
    if target is None or not target.is_open:
        return None
    return target


def _start_child(context: DecisionContext, attributes: dict) -> None:
    run = context.run
    workflow_type = attributes["workflowType"]
    workflow_id = attributes["workflowId"]

    def fail(cause: str, initiated_event_id: int) -> None:
        run.append(
            "StartChildWorkflowExecutionFailed",
            workflowType=workflow_type,
            cause=cause,
            workflowId=workflow_id,
            initiatedEventId=initiated_event_id,
            decisionTaskCompletedEventId=context.completed_event_id,
            control=attributes.get("control"),
        )

    cause, config = _child_config(context, workflow_type, attributes)
    if cause is not None:
        # NOTE: a child refused before it is initiated gets initiatedEventId 0;
        # it is not documented whether SWF records an Initiated event first.
        fail(cause, 0)
        return
    initiated_event_id = _append_child_initiated(context, attributes, config)
    cause = _child_refusal(context, workflow_id)
    if cause is not None:
        fail(cause, initiated_event_id)
        return
    child = create_execution(
        context.tx,
        context.services,
        domain=context.domain,
        workflow_id=workflow_id,
        workflow_type=workflow_type,
        config=config,
        input=attributes.get("input"),
        tags=attributes.get("tagList") or [],
        parent=ParentLink(run, initiated_event_id),
    )
    started_event_id = run.append(
        "ChildWorkflowExecutionStarted",
        workflowExecution=child.execution,
        workflowType=workflow_type,
        initiatedEventId=initiated_event_id,
    )
    context.tx.execute(
        insert(t.children),
        {
            "parent_pk": run.pk,
            "initiated_event_id": initiated_event_id,
            "child_pk": child.pk,
            "started_event_id": started_event_id,
        },
    )


def _append_child_initiated(context: DecisionContext, attributes: dict, config) -> int:
    return context.run.append(
        "StartChildWorkflowExecutionInitiated",
        workflowId=attributes["workflowId"],
        workflowType=attributes["workflowType"],
        control=attributes.get("control"),
        input=attributes.get("input"),
        executionStartToCloseTimeout=config.execution_start_to_close_timeout,
        taskList={"name": config.task_list},
        taskPriority=config.task_priority,
        decisionTaskCompletedEventId=context.completed_event_id,
        childPolicy=config.child_policy,
        taskStartToCloseTimeout=config.task_start_to_close_timeout,
        tagList=attributes.get("tagList"),
        lambdaRole=config.lambda_role,
    )


def _child_refusal(context: DecisionContext, workflow_id: str) -> str | None:
    if Run.find(context.tx, context.services, context.domain, workflow_id):
        return "WORKFLOW_ALREADY_RUNNING"
    open_children = context.tx.execute(
        select(func.count())
        .select_from(t.children)
        .where(t.children.c.parent_pk == context.run.pk)
    ).scalar_one()
    if open_children >= context.services.settings.max_open_children:
        return "OPEN_CHILDREN_LIMIT_EXCEEDED"
    return None


def _schedule_lambda_function(context: DecisionContext, attributes: dict) -> None:
    context.run.append(
        "ScheduleLambdaFunctionFailed",
        id=attributes["id"],
        name=attributes["name"],
        cause="LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION",
        decisionTaskCompletedEventId=context.completed_event_id,
    )


_HANDLERS: dict[str, Callable[[DecisionContext, dict], None]] = {
    "ScheduleActivityTask": _schedule_activity_task,
    "RequestCancelActivityTask": _request_cancel_activity_task,
    "CompleteWorkflowExecution": _close_decision(
        "CompleteWorkflowExecutionFailed",
        "COMPLETED",
        "WorkflowExecutionCompleted",
        ("result",),
    ),
    "FailWorkflowExecution": _close_decision(
        "FailWorkflowExecutionFailed",
        "FAILED",
        "WorkflowExecutionFailed",
        ("reason", "details"),
    ),
    "CancelWorkflowExecution": _close_decision(
        "CancelWorkflowExecutionFailed",
        "CANCELED",
        "WorkflowExecutionCanceled",
        ("details",),
    ),
    "ContinueAsNewWorkflowExecution": _continue_as_new,
    "RecordMarker": _record_marker,
    "StartTimer": _start_timer,
    "CancelTimer": _cancel_timer,
    "SignalExternalWorkflowExecution": _signal_external,
    "RequestCancelExternalWorkflowExecution": _request_cancel_external,
    "StartChildWorkflowExecution": _start_child,
    "ScheduleLambdaFunction": _schedule_lambda_function,
}

OPERATIONS = {"RespondDecisionTaskCompleted": respond_decision_task_completed}

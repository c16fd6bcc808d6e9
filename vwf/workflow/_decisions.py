"""Turn an execution's state into the decisions of one decision task.

Planning is a pure function of the history, so any decider can take over a
decision task that another one dropped, and replays never differ.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from vwf.workflow import _wire
from vwf.workflow._definition import Stage
from vwf.workflow._history import RESUMED_KEY, ExecutionState, decode_result
from vwf.workflow._payloads import Payloads
from vwf.workflow._policy import Action, Step, busy_timer_id, next_step, stage_result
from vwf.workflow.errors import PayloadError

logger = logging.getLogger(__name__)

COMPLETED = "completed"
FAILED = "failed"
CANCELED = "canceled"

TASK_KEY = "$task"
"""Key of the task metadata the decider adds to each activity input."""

_MAX_ID = 256


@dataclass(frozen=True)
class Plan:
    """The decisions to send and, when they close the execution, how."""

    decisions: list[dict[str, Any]]
    outcome: str | None = None
    """``completed``, ``failed`` or ``canceled`` when the decisions close it."""
    detail: Any = None
    """The result summary, failure reason or cancel details for the close hook."""


def plan_decisions(
    state: ExecutionState, payloads: Payloads, fail_on_stage_failure: bool = True
) -> Plan:
    """Return the decisions that move the execution in ``state`` forward."""
    if state.fail_decision_rejected:
        logger.error(
            "SWF rejected the decision to fail this execution (%s); it stays open "
            "until its start-to-close timeout",
            state.decision_errors,
        )
        return Plan([])
    if state.decision_errors:
        return fail_plan(state.decision_errors[0])
    try:
        workflow_input = _wire.loads_object(state.input_text)
    except ValueError as exc:
        return fail_plan(
            f"workflow input is not a JSON object ({exc}); start it with one"
        )
    if state.cancel_requested:
        return _cancel(state)
    return _advance(state, workflow_input, payloads, fail_on_stage_failure)


def _advance(
    state: ExecutionState,
    workflow_input: dict[str, Any],
    payloads: Payloads,
    fail_on_stage_failure: bool,
) -> Plan:
    stages = state.definition.stages
    steps = {stage.name: next_step(stage, state) for stage in stages}
    failed = [step for step in steps.values() if step.action is Action.FAILED]
    if failed and fail_on_stage_failure:
        return fail_plan(failed[0].reason, failed[0].details)
    if all(step.action is Action.DONE for step in steps.values()):
        return _complete(state, payloads)
    for step in failed:
        logger.info("%s; waiting for a retry signal", step.reason)

    decisions = []
    for stage in stages:
        step = steps[stage.name]
        if step.action is Action.START_TIMER:
            decisions.append(_start_timer(state, stage, step))
        ready = all(steps[name].action is Action.DONE for name in stage.prerequisites)
        if step.action is Action.SCHEDULE and ready:
            try:
                decisions.append(
                    _schedule(state, stage, step, workflow_input, payloads)
                )
            except PayloadError as exc:
                return fail_plan(str(exc))
    return Plan(decisions)


def _schedule(
    state: ExecutionState,
    stage: Stage,
    step: Step,
    workflow_input: dict[str, Any],
    payloads: Payloads,
) -> dict[str, Any]:
    number = len(state.attempts_of(stage.name)) + 1
    activity_id = make_activity_id(stage.name, state.workflow_id, number)
    timeouts = stage.timeouts_for(step.timeouts_so_far)
    task = {
        "stage": stage.name,
        "attempt": number,
        "heartbeat_timeout": _seconds(timeouts["heartbeat_timeout"]),
    }
    stage_input = dict(workflow_input)
    stage_input.pop(RESUMED_KEY, None)
    for name in stage.prerequisites:
        prerequisite = state.definition.stage(name)
        stage_input[name] = decode_result(stage_result(prerequisite, state))
    stage_input[TASK_KEY] = task
    input_text = payloads.encode(
        stage_input,
        workflow_id=state.workflow_id,
        run_id=state.run_id,
        name=f"{activity_id}-input",
        extra={TASK_KEY: task},
    )
    _log_schedule(state, stage, activity_id, number)
    attributes = {
        "activityType": {"name": stage.activity_type_name, "version": stage.version},
        "activityId": activity_id,
        "control": _wire.dumps({"stage": stage.name, "attempt": number}),
        "input": input_text,
        "taskList": {"name": stage.task_list},
        "scheduleToStartTimeout": _wire.duration_to_swf(
            timeouts["schedule_to_start_timeout"]
        ),
        "startToCloseTimeout": _wire.duration_to_swf(
            timeouts["start_to_close_timeout"]
        ),
        "scheduleToCloseTimeout": _wire.duration_to_swf(
            timeouts["schedule_to_close_timeout"]
        ),
        "heartbeatTimeout": _wire.duration_to_swf(timeouts["heartbeat_timeout"]),
    }
    return {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": attributes,
    }


def _log_schedule(
    state: ExecutionState, stage: Stage, activity_id: str, number: int
) -> None:
    previous = state.attempts_of(stage.name)[-1:]
    if not previous:
        logger.info("scheduling %s", activity_id)
        return
    logger.info(
        "retrying stage %s as %s after attempt %d %s: %s",
        stage.name,
        activity_id,
        previous[0].number,
        previous[0].outcome,
        previous[0].reason,
    )


def _seconds(value) -> int | None:
    return None if value is None else int(_wire.duration_to_swf(value))


def make_activity_id(stage: str, workflow_id: str, attempt: int) -> str:
    """Return ``<stage>-<workflow id>-<attempt>``, hashing the workflow id when
    the result would exceed SWF's 256 characters."""
    activity_id = f"{stage}-{workflow_id}-{attempt}"
    if len(activity_id) <= _MAX_ID:
        return activity_id
    digest = hashlib.sha256(workflow_id.encode()).hexdigest()[:32]
    return f"{stage}-{digest}-{attempt}"


def _start_timer(state: ExecutionState, stage: Stage, step: Step) -> dict[str, Any]:
    attempt = state.attempts_of(stage.name)[-1].number
    logger.info(
        "stage %s is busy; retrying attempt %d in %s", stage.name, attempt, step.delay
    )
    return {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {
            "timerId": busy_timer_id(stage.name, attempt),
            "startToFireTimeout": _wire.duration_to_swf(step.delay),
            "control": _wire.dumps({"stage": stage.name, "attempt": attempt}),
        },
    }


def _summary(state: ExecutionState) -> dict[str, Any]:
    stages = {}
    for stage in state.definition.stages:
        attempts = state.attempts_of(stage.name)
        last = attempts[-1] if attempts else None
        if last is None and stage.name in state.resumed:
            stages[stage.name] = _resumed_summary(state.resumed[stage.name])
            continue
        stages[stage.name] = {
            "status": last.outcome if last and last.outcome else "pending",
            "attempts": len(attempts),
            "scheduled_at": _isoformat(attempts[0].scheduled_at if attempts else None),
            "closed_at": _isoformat(last.closed_at if last else None),
            "result": decode_result(last.result) if last else None,
        }
    return {"stages": stages}


def _resumed_summary(result: str) -> dict[str, Any]:
    return {
        "status": "resumed",
        "attempts": 0,
        "scheduled_at": None,
        "closed_at": None,
        "result": decode_result(result),
    }


def _isoformat(value) -> str | None:
    return None if value is None else value.isoformat()


def _complete(state: ExecutionState, payloads: Payloads) -> Plan:
    summary = _summary(state)
    try:
        result = payloads.encode(
            summary, workflow_id=state.workflow_id, run_id=state.run_id, name="result"
        )
    except PayloadError as exc:
        return fail_plan(str(exc))
    decision = {
        "decisionType": "CompleteWorkflowExecution",
        "completeWorkflowExecutionDecisionAttributes": {"result": result},
    }
    return Plan([decision], COMPLETED, summary)


def fail_plan(reason: str, details: str = "") -> Plan:
    """Return the plan that fails the execution with ``reason``."""
    decision = {
        "decisionType": "FailWorkflowExecution",
        "failWorkflowExecutionDecisionAttributes": {
            "reason": _wire.trim(reason, _wire.MAX_REASON),
            "details": _wire.trim(details or reason, _wire.MAX_DETAILS),
        },
    }
    return Plan([decision], FAILED, reason)


def _cancel(state: ExecutionState) -> Plan:
    """Cancel open timers and activities, then the execution once none is open."""
    decisions = [
        {
            "decisionType": "CancelTimer",
            "cancelTimerDecisionAttributes": {"timerId": timer.timer_id},
        }
        for timer in state.open_timers()
    ]
    open_attempts = state.open_attempts()
    decisions += [
        {
            "decisionType": "RequestCancelActivityTask",
            "requestCancelActivityTaskDecisionAttributes": {
                "activityId": attempt.activity_id
            },
        }
        for attempt in open_attempts
        if not attempt.cancel_requested
    ]
    if open_attempts:
        return Plan(decisions)
    details = "canceled on request"
    decisions.append(
        {
            "decisionType": "CancelWorkflowExecution",
            "cancelWorkflowExecutionDecisionAttributes": {"details": details},
        }
    )
    return Plan(decisions, CANCELED, details)

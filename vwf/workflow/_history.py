"""Rebuild an execution's state from its event history.

The decider keeps no state of its own: every decision task replays the
complete history through one small handler per event type. Attempts are
keyed by the event id of their ``ActivityTaskScheduled`` event, so retries
are counted per attempt however often an activity reports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vwf.workflow import _wire
from vwf.workflow._definition import WorkflowDefinition

logger = logging.getLogger(__name__)

# Attempt outcomes besides the failure kinds of ``_wire``.
COMPLETED = "completed"
TIMED_OUT = "timed_out"
CANCELED = "canceled"

RESUMED_KEY = "$resumed"
"""Workflow input key of the stage results an earlier run of the same
workflow id completed; a run started with it skips those stages."""

# Causes of a *Failed decision event that are harmless races, not errors.
_HARMLESS_CAUSES = {"ACTIVITY_ID_UNKNOWN", "TIMER_ID_UNKNOWN"}


@dataclass
class Attempt:
    """One scheduled activity task of a stage."""

    scheduled_event_id: int
    stage: str
    number: int
    activity_id: str
    scheduled_at: datetime
    started_at: datetime | None = None
    closed_at: datetime | None = None
    closed_event_id: int | None = None
    outcome: str | None = None
    """``None`` while open, else a failure kind of ``_wire`` or a constant above."""
    result: str | None = None
    reason: str | None = None
    details: str | None = None
    retry_after: timedelta | None = None
    cancel_requested: bool = False

    @property
    def is_open(self) -> bool:
        return self.outcome is None


@dataclass
class Timer:
    """A busy-retry timer of one stage attempt."""

    timer_id: str
    stage: str
    attempt: int
    status: str = "open"
    """``open``, ``fired`` or ``canceled``."""


@dataclass
class RetrySignal:
    """A ``retry`` signal asking to run a failed stage again."""

    event_id: int
    timestamp: datetime
    stage: str


@dataclass
class ExecutionState:
    """Everything the decider needs about one execution, as of its history."""

    definition: WorkflowDefinition
    workflow_id: str
    run_id: str
    input_text: str | None = None
    started_at: datetime | None = None
    now: datetime | None = None
    """Start time of the current decision task; the decider's clock."""
    attempts: dict[int, Attempt] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)
    retry_signals: list[RetrySignal] = field(default_factory=list)
    cancel_requested: bool = False
    resumed: dict[str, str] = field(default_factory=dict)
    """Stage -> result JSON text taken over from an earlier run (see
    :data:`RESUMED_KEY`); these stages count as completed."""
    decision_errors: list[str] = field(default_factory=list)
    """Reasons from ``*Failed`` decision events; each fails the workflow."""
    fail_decision_rejected: bool = False
    """SWF rejected a FailWorkflowExecution for a reason other than new events."""

    def attempts_of(self, stage: str) -> list[Attempt]:
        """Return the stage's attempts in the order they were scheduled."""
        return sorted(
            (a for a in self.attempts.values() if a.stage == stage),
            key=lambda a: a.scheduled_event_id,
        )

    def open_attempts(self) -> list[Attempt]:
        return [a for a in self.attempts.values() if a.is_open]

    def open_timers(self) -> list[Timer]:
        return [t for t in self.timers.values() if t.status == "open"]

    def attempt_by_activity_id(self, activity_id: str) -> Attempt | None:
        for attempt in self.attempts.values():
            if attempt.activity_id == activity_id:
                return attempt
        return None


def rebuild(
    definition: WorkflowDefinition,
    workflow_execution: dict[str, str],
    events: Iterable[dict[str, Any]],
) -> ExecutionState:
    """Replay ``events`` (oldest first) into an :class:`ExecutionState`."""
    state = ExecutionState(
        definition=definition,
        workflow_id=workflow_execution["workflowId"],
        run_id=workflow_execution["runId"],
    )
    for event in events:
        handler = _HANDLERS.get(event["eventType"])
        if handler is None and event["eventType"].endswith("Failed"):
            handler = _on_decision_failed
        if handler is not None:
            handler(state, event)
    return state


_Handler = Callable[[ExecutionState, dict[str, Any]], None]
_HANDLERS: dict[str, _Handler] = {}


def _handles(*event_types: str) -> Callable[[_Handler], _Handler]:
    def decorate(handler: _Handler) -> _Handler:
        for event_type in event_types:
            _HANDLERS[event_type] = handler
        return handler

    return decorate


def _attributes(event: dict[str, Any]) -> dict[str, Any]:
    """Return the event's ``...EventAttributes`` member."""
    event_type = event["eventType"]
    key = event_type[0].lower() + event_type[1:] + "EventAttributes"
    return event.get(key, {})


@_handles("WorkflowExecutionStarted")
def _on_started(state: ExecutionState, event: dict[str, Any]) -> None:
    state.input_text = _attributes(event).get("input")
    state.started_at = event["eventTimestamp"]
    try:
        resumed = _wire.loads_object(state.input_text).get(RESUMED_KEY) or {}
    except ValueError:
        return  # The decider fails the execution for its invalid input.
    if isinstance(resumed, dict):
        state.resumed = {
            stage: json.dumps(result)
            for stage, result in resumed.items()
            if stage in {s.name for s in state.definition.stages}
        }


@_handles("DecisionTaskStarted")
def _on_decision_started(state: ExecutionState, event: dict[str, Any]) -> None:
    state.now = event["eventTimestamp"]


@_handles("ActivityTaskScheduled")
def _on_scheduled(state: ExecutionState, event: dict[str, Any]) -> None:
    attributes = _attributes(event)
    stage, number = _stage_and_attempt(state, attributes)
    if stage is None:
        logger.warning(
            "activity %s of type %s belongs to no stage of %s; ignoring it",
            attributes["activityId"],
            attributes["activityType"]["name"],
            state.definition.name,
        )
        return
    state.attempts[event["eventId"]] = Attempt(
        scheduled_event_id=event["eventId"],
        stage=stage,
        number=number,
        activity_id=attributes["activityId"],
        scheduled_at=event["eventTimestamp"],
    )


def _stage_and_attempt(
    state: ExecutionState, attributes: dict[str, Any]
) -> tuple[str | None, int]:
    """Read the stage and attempt number from the decider's ``control`` string,
    falling back to the activity type and the activity id's last number."""
    try:
        control = _wire.loads_object(attributes.get("control"))
        return control["stage"], int(control["attempt"])
    except (ValueError, KeyError, TypeError):
        pass
    stage = state.definition.stage_for_activity_type(attributes["activityType"]["name"])
    suffix = attributes["activityId"].rsplit("-", 1)[-1]
    number = int(suffix) if suffix.isdigit() else 1
    return (stage.name if stage else None), number


def _closing_attempt(state: ExecutionState, event: dict[str, Any]) -> Attempt | None:
    """Return the open attempt that ``event`` closes, or ``None`` when it is
    unknown or already closed."""
    attempt = state.attempts.get(_attributes(event).get("scheduledEventId"))
    if attempt is None or not attempt.is_open:
        return None
    attempt.closed_at = event["eventTimestamp"]
    attempt.closed_event_id = event["eventId"]
    return attempt


@_handles("ActivityTaskStarted")
def _on_activity_started(state: ExecutionState, event: dict[str, Any]) -> None:
    attempt = state.attempts.get(_attributes(event).get("scheduledEventId"))
    if attempt is not None:
        attempt.started_at = event["eventTimestamp"]


@_handles("ActivityTaskCompleted")
def _on_activity_completed(state: ExecutionState, event: dict[str, Any]) -> None:
    attempt = _closing_attempt(state, event)
    if attempt is not None:
        attempt.outcome = COMPLETED
        attempt.result = _attributes(event).get("result")


@_handles("ActivityTaskFailed")
def _on_activity_failed(state: ExecutionState, event: dict[str, Any]) -> None:
    attempt = _closing_attempt(state, event)
    if attempt is None:
        return
    attributes = _attributes(event)
    kind, details = _wire.parse_failure_details(attributes.get("details"))
    attempt.outcome = kind
    attempt.reason = attributes.get("reason")
    attempt.details = attributes.get("details")
    retry_after = details.get("retry_after")
    if kind == _wire.BUSY and isinstance(retry_after, int | float):
        attempt.retry_after = timedelta(seconds=retry_after)


@_handles("ActivityTaskTimedOut")
def _on_activity_timed_out(state: ExecutionState, event: dict[str, Any]) -> None:
    attempt = _closing_attempt(state, event)
    if attempt is not None:
        attempt.outcome = TIMED_OUT
        attempt.reason = f"timed out ({_attributes(event).get('timeoutType')})"
        attempt.details = _attributes(event).get("details")


@_handles("ActivityTaskCanceled")
def _on_activity_canceled(state: ExecutionState, event: dict[str, Any]) -> None:
    attempt = _closing_attempt(state, event)
    if attempt is not None:
        attempt.outcome = CANCELED
        attempt.details = _attributes(event).get("details")


@_handles("ActivityTaskCancelRequested")
def _on_cancel_requested(state: ExecutionState, event: dict[str, Any]) -> None:
    attempt = state.attempt_by_activity_id(_attributes(event)["activityId"])
    if attempt is not None:
        attempt.cancel_requested = True


@_handles("TimerStarted")
def _on_timer_started(state: ExecutionState, event: dict[str, Any]) -> None:
    attributes = _attributes(event)
    try:
        control = _wire.loads_object(attributes.get("control"))
        stage, attempt = control["stage"], int(control["attempt"])
    except (ValueError, KeyError, TypeError):
        logger.warning(
            "timer %s is not a busy-retry timer; ignoring it", attributes.get("timerId")
        )
        return
    timer_id = attributes["timerId"]
    state.timers[timer_id] = Timer(timer_id=timer_id, stage=stage, attempt=attempt)


@_handles("TimerFired", "TimerCanceled")
def _on_timer_closed(state: ExecutionState, event: dict[str, Any]) -> None:
    timer = state.timers.get(_attributes(event)["timerId"])
    if timer is not None:
        timer.status = "fired" if event["eventType"] == "TimerFired" else "canceled"


@_handles("WorkflowExecutionCancelRequested")
def _on_workflow_cancel_requested(state: ExecutionState, event: dict[str, Any]) -> None:
    state.cancel_requested = True


@_handles("WorkflowExecutionSignaled")
def _on_signaled(state: ExecutionState, event: dict[str, Any]) -> None:
    attributes = _attributes(event)
    if attributes.get("signalName") != "retry":
        logger.info("ignoring signal %r", attributes.get("signalName"))
        return
    try:
        stage = _wire.loads_object(attributes.get("input"))["stage"]
        state.definition.stage(stage)
    except (ValueError, KeyError, TypeError):
        logger.warning(
            'ignoring retry signal with input %r; send {"stage": "<name>"} naming '
            "a stage of %s",
            attributes.get("input"),
            state.definition.name,
        )
        return
    state.retry_signals.append(
        RetrySignal(
            event_id=event["eventId"], timestamp=event["eventTimestamp"], stage=stage
        )
    )


@_handles(
    "CompleteWorkflowExecutionFailed",
    "FailWorkflowExecutionFailed",
    "CancelWorkflowExecutionFailed",
)
def _on_close_failed(state: ExecutionState, event: dict[str, Any]) -> None:
    cause = _attributes(event).get("cause")
    if cause == "UNHANDLED_DECISION":
        # New events arrived while deciding, so the next decision task includes them.
        return
    if event["eventType"] == "FailWorkflowExecutionFailed":
        state.fail_decision_rejected = True
    state.decision_errors.append(f"{event['eventType']}: {cause}")


def _on_decision_failed(state: ExecutionState, event: dict[str, Any]) -> None:
    """Record any other ``*Failed`` decision event, e.g. ScheduleActivityTaskFailed."""
    attributes = _attributes(event)
    cause = attributes.get("cause")
    if cause in _HARMLESS_CAUSES:
        # The activity or timer closed before our cancel request reached it.
        return
    subject = attributes.get("activityId") or attributes.get("timerId") or ""
    activity_type = attributes.get("activityType", {}).get("name")
    stage = state.definition.stage_for_activity_type(activity_type or "")
    if stage is not None:
        subject = f"stage {stage.name} ({subject})"
    state.decision_errors.append(f"{event['eventType']} for {subject}: {cause}".strip())


def decode_result(text: str | None) -> Any:
    """Decode an activity result; text that is not JSON stays a string."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text

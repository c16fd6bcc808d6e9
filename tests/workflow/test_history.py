"""Rebuilding state from histories and planning decisions, on written events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.workflow.conftest import SECOND, definition, stage
from vwf.workflow._decisions import plan_decisions
from vwf.workflow._history import rebuild
from vwf.workflow._payloads import Payloads

EXECUTION = {"workflowId": "media-1", "runId": "run-1"}
START = datetime(2026, 1, 1, tzinfo=UTC)


class History:
    """Builds an event list the way SWF records it."""

    def __init__(self, input: dict | None = None) -> None:
        self.events: list[dict] = []
        self.add("WorkflowExecutionStarted", input=json.dumps(input or {}))

    def add(self, event_type: str, at: float = 0.0, **event_attributes) -> int:
        event_id = len(self.events) + 1
        key = event_type[0].lower() + event_type[1:] + "EventAttributes"
        self.events.append(
            {
                "eventId": event_id,
                "eventType": event_type,
                "eventTimestamp": START + timedelta(seconds=at),
                key: event_attributes,
            }
        )
        return event_id

    def schedule(self, stage: str, attempt: int) -> int:
        return self.add(
            "ActivityTaskScheduled",
            activityId=f"{stage}-media-1-{attempt}",
            activityType={"name": stage, "version": "1"},
            control=json.dumps({"stage": stage, "attempt": attempt}),
        )

    def decide(self, at: float = 0.0) -> None:
        self.add("DecisionTaskScheduled", at)
        self.add("DecisionTaskStarted", at)


def plan(history: History, workflow, **options):
    state = rebuild(workflow, EXECUTION, history.events)
    return plan_decisions(state, Payloads(None), **options)


def decision_types(result) -> list[str]:
    return [decision["decisionType"] for decision in result.decisions]


def test_first_decision_schedules_roots():
    workflow = definition("d", stage("A"), stage("B"), stage("C", "A", "B"))
    history = History()
    history.decide()

    result = plan(history, workflow)

    activity_ids = [
        d["scheduleActivityTaskDecisionAttributes"]["activityId"]
        for d in result.decisions
    ]
    assert activity_ids == ["A-media-1-1", "B-media-1-1"]


def test_duplicate_close_event_counted_once():
    workflow = definition("d", stage("A", failure_retries=1))
    history = History()
    scheduled = history.schedule("A", 1)
    for _ in range(2):
        history.add("ActivityTaskFailed", scheduledEventId=scheduled, reason="boom")
    history.decide()

    result = plan(history, workflow)

    assert decision_types(result) == ["ScheduleActivityTask"]


def test_interrupted_task_does_not_use_retries():
    workflow = definition("d", stage("A", failure_retries=0))
    history = History()
    scheduled = history.schedule("A", 1)
    details = json.dumps({"failure": "interrupted", "message": "worker shut down"})
    history.add("ActivityTaskFailed", scheduledEventId=scheduled, details=details)
    history.decide()

    result = plan(history, workflow)

    assert decision_types(result) == ["ScheduleActivityTask"]


def test_unhandled_decision_decides_again():
    workflow = definition("d", stage("A"))
    history = History()
    scheduled = history.schedule("A", 1)
    history.add("ActivityTaskCompleted", scheduledEventId=scheduled, result="{}")
    history.add("CompleteWorkflowExecutionFailed", cause="UNHANDLED_DECISION")
    history.decide()

    result = plan(history, workflow)

    assert decision_types(result) == ["CompleteWorkflowExecution"]


def test_schedule_failure_fails_workflow_with_cause():
    workflow = definition("d", stage("A"))
    history = History()
    history.add(
        "ScheduleActivityTaskFailed",
        activityId="A-media-1-1",
        activityType={"name": "A", "version": "1"},
        cause="ACTIVITY_TYPE_DEPRECATED",
    )
    history.decide()

    result = plan(history, workflow)

    reason = result.decisions[0]["failWorkflowExecutionDecisionAttributes"]["reason"]
    assert result.outcome == "failed"
    assert "stage A" in reason
    assert "ACTIVITY_TYPE_DEPRECATED" in reason


def test_start_timer_failure_fails_workflow():
    workflow = definition("d", stage("A"))
    history = History()
    history.add("StartTimerFailed", timerId="A-busy-1", cause="TIMER_ID_ALREADY_IN_USE")
    history.decide()

    result = plan(history, workflow)

    reason = result.decisions[0]["failWorkflowExecutionDecisionAttributes"]["reason"]
    assert "TIMER_ID_ALREADY_IN_USE" in reason


def test_cancel_race_with_closed_activity_is_harmless():
    workflow = definition("d", stage("A"))
    history = History()
    scheduled = history.schedule("A", 1)
    history.add("WorkflowExecutionCancelRequested")
    history.add("ActivityTaskCompleted", scheduledEventId=scheduled, result="{}")
    history.add(
        "RequestCancelActivityTaskFailed",
        activityId="A-media-1-1",
        cause="ACTIVITY_ID_UNKNOWN",
    )
    history.decide()

    result = plan(history, workflow)

    assert decision_types(result) == ["CancelWorkflowExecution"]


def test_rejected_fail_decision_sends_nothing():
    workflow = definition("d", stage("A"))
    history = History()
    history.add("FailWorkflowExecutionFailed", cause="OPERATION_NOT_PERMITTED")
    history.decide()

    assert plan(history, workflow).decisions == []


def test_busy_timer_id_per_stage_and_attempt():
    workflow = definition("d", stage("A", busy_retry_delay=30 * SECOND))
    history = History()
    scheduled = history.schedule("A", 1)
    details = json.dumps({"failure": "busy", "message": "user busy"})
    history.add("ActivityTaskFailed", scheduledEventId=scheduled, details=details)
    history.decide()

    result = plan(history, workflow)

    timer = result.decisions[0]["startTimerDecisionAttributes"]
    assert timer["timerId"] == "A-busy-1"
    assert timer["startToFireTimeout"] == "30"


def test_busy_delay_capped_by_deadline():
    workflow = definition(
        "d", stage("A", busy_retry_delay=60 * SECOND, busy_deadline=100 * SECOND)
    )
    history = History()
    scheduled = history.schedule("A", 1)
    details = json.dumps({"failure": "busy", "message": "user busy"})
    history.add("ActivityTaskFailed", scheduledEventId=scheduled, details=details)
    history.decide(at=90)

    result = plan(history, workflow)

    timer = result.decisions[0]["startTimerDecisionAttributes"]
    assert timer["startToFireTimeout"] == "10"


def test_retry_signal_for_running_stage_ignored():
    workflow = definition("d", stage("A", failure_retries=0))
    history = History()
    scheduled = history.schedule("A", 1)
    history.add("WorkflowExecutionSignaled", signalName="retry", input='{"stage": "A"}')
    history.add("ActivityTaskCompleted", scheduledEventId=scheduled, result="{}")
    history.decide()

    result = plan(history, workflow)

    assert decision_types(result) == ["CompleteWorkflowExecution"]


def test_retry_signal_before_failure_ignored():
    workflow = definition("d", stage("A", failure_retries=0))
    history = History()
    scheduled = history.schedule("A", 1)
    history.add("WorkflowExecutionSignaled", signalName="retry", input='{"stage": "A"}')
    history.add("ActivityTaskFailed", scheduledEventId=scheduled, reason="boom")
    history.decide()

    result = plan(history, workflow, fail_on_stage_failure=False)

    assert result.decisions == []


def test_retry_signal_after_failure_schedules():
    workflow = definition("d", stage("A", failure_retries=0))
    history = History()
    scheduled = history.schedule("A", 1)
    history.add("ActivityTaskFailed", scheduledEventId=scheduled, reason="boom")
    history.add("WorkflowExecutionSignaled", signalName="retry", input='{"stage": "A"}')
    history.decide()

    result = plan(history, workflow, fail_on_stage_failure=False)

    attributes = result.decisions[0]["scheduleActivityTaskDecisionAttributes"]
    assert attributes["activityId"] == "A-media-1-2"


def test_failed_stage_waits_for_retry_signal():
    workflow = definition("d", stage("A", failure_retries=0))
    history = History()
    scheduled = history.schedule("A", 1)
    history.add("ActivityTaskFailed", scheduledEventId=scheduled, reason="boom")
    history.decide()

    result = plan(history, workflow, fail_on_stage_failure=False)

    assert result.decisions == []


def test_stage_input_adds_prerequisite_results():
    workflow = definition("d", stage("A"), stage("B", "A"))
    history = History({"media_id": "m1"})
    scheduled = history.schedule("A", 1)
    history.add("ActivityTaskCompleted", scheduledEventId=scheduled, result='{"x": 1}')
    history.decide()

    result = plan(history, workflow)

    attributes = result.decisions[0]["scheduleActivityTaskDecisionAttributes"]
    stage_input = json.loads(attributes["input"])
    assert stage_input["media_id"] == "m1"
    assert stage_input["A"] == {"x": 1}
    assert stage_input["$task"] == {
        "attempt": 1,
        "heartbeat_timeout": None,
        "stage": "B",
    }


def test_stage_failure_details_kept():
    workflow = definition("d", stage("A", failure_retries=0))
    history = History()
    scheduled = history.schedule("A", 1)
    details = json.dumps({"failure": "retryable", "message": "boom", "traceback": "T"})
    history.add(
        "ActivityTaskFailed", scheduledEventId=scheduled, reason="boom", details=details
    )
    history.decide()

    result = plan(history, workflow)

    attributes = result.decisions[0]["failWorkflowExecutionDecisionAttributes"]
    assert attributes["reason"] == "stage A failed after 1 attempt: boom"
    assert attributes["details"] == details

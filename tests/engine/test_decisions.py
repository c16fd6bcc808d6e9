"""Decisions: each decision type's events and each ``*Failed`` cause."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.engine.scenario import (
    ACTIVITY,
    ACTIVITY_LIST,
    DOMAIN,
    WORKFLOW,
    attributes,
    decide,
    decision,
    describe,
    error_code,
    event_types,
    history,
    last_event,
    poll_decision,
    register,
    schedule_activity,
    start,
)


@pytest.fixture
def registered(swf):
    register(swf)
    return swf


def test_schedule_activity_applies_type_defaults(registered):
    execution = start(registered)

    decide(registered, poll_decision(registered), schedule_activity("a-1", input="v"))

    scheduled = last_event(registered, execution, "ActivityTaskScheduled")
    assert scheduled["activityId"] == "a-1"
    assert scheduled["activityType"] == ACTIVITY
    assert scheduled["input"] == "v"
    assert scheduled["taskList"] == ACTIVITY_LIST
    assert scheduled["scheduleToStartTimeout"] == "300"
    assert scheduled["scheduleToCloseTimeout"] == "600"
    assert scheduled["startToCloseTimeout"] == "300"
    assert scheduled["heartbeatTimeout"] == "NONE"
    assert scheduled["decisionTaskCompletedEventId"] == 4


def test_schedule_activity_values_override_defaults(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        schedule_activity(
            "a-1",
            taskList={"name": "gpu"},
            heartbeatTimeout="20",
            startToCloseTimeout="40",
            taskPriority="7",
        ),
    )

    scheduled = last_event(registered, execution, "ActivityTaskScheduled")
    assert scheduled["taskList"] == {"name": "gpu"}
    assert scheduled["heartbeatTimeout"] == "20"
    assert scheduled["startToCloseTimeout"] == "40"
    assert scheduled["taskPriority"] == "7"


def _schedule_failure_cause(swf, execution, *decisions):
    decide(swf, poll_decision(swf), *decisions)
    return last_event(swf, execution, "ScheduleActivityTaskFailed")["cause"]


def test_schedule_unknown_type_fails_type_does_not_exist(registered):
    execution = start(registered)

    cause = _schedule_failure_cause(
        registered,
        execution,
        schedule_activity(activityType={"name": "missing", "version": "1"}),
    )

    assert cause == "ACTIVITY_TYPE_DOES_NOT_EXIST"


def test_schedule_deprecated_type_fails_type_deprecated(registered):
    registered.deprecate_activity_type(domain=DOMAIN, activityType=ACTIVITY)
    execution = start(registered)

    cause = _schedule_failure_cause(registered, execution, schedule_activity())

    assert cause == "ACTIVITY_TYPE_DEPRECATED"


def test_schedule_open_activity_id_fails_id_in_use(registered):
    execution = start(registered)

    cause = _schedule_failure_cause(
        registered, execution, schedule_activity("a-1"), schedule_activity("a-1")
    )

    assert cause == "ACTIVITY_ID_ALREADY_IN_USE"
    assert event_types(registered, execution).count("ActivityTaskScheduled") == 1


@pytest.mark.parametrize(
    ("given", "cause"),
    [
        (
            {"scheduleToStartTimeout": "1", "startToCloseTimeout": "1"},
            "DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED",
        ),
        (
            {"scheduleToCloseTimeout": "1", "startToCloseTimeout": "1"},
            "DEFAULT_SCHEDULE_TO_START_TIMEOUT_UNDEFINED",
        ),
        (
            {"scheduleToCloseTimeout": "1", "scheduleToStartTimeout": "1"},
            "DEFAULT_START_TO_CLOSE_TIMEOUT_UNDEFINED",
        ),
    ],
)
def test_schedule_without_timeout_fails_undefined(local_swf, given, cause):
    register(local_swf)
    local_swf.register_activity_type(domain=DOMAIN, name="bare", version="1")
    execution = start(local_swf)
    bare = {"name": "bare", "version": "1"}

    found = _schedule_failure_cause(
        local_swf,
        execution,
        schedule_activity(activityType=bare, taskList=ACTIVITY_LIST, **given),
    )

    assert found == cause


def test_schedule_without_task_list_fails_undefined(local_swf):
    register(local_swf)
    local_swf.register_activity_type(domain=DOMAIN, name="bare", version="1")
    execution = start(local_swf)
    timeouts = {
        "scheduleToCloseTimeout": "1",
        "scheduleToStartTimeout": "1",
        "startToCloseTimeout": "1",
    }

    found = _schedule_failure_cause(
        local_swf,
        execution,
        schedule_activity(activityType={"name": "bare", "version": "1"}, **timeouts),
    )

    assert found == "DEFAULT_TASK_LIST_UNDEFINED"


def test_failed_decision_schedules_new_decision_task(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        schedule_activity(activityType={"name": "missing", "version": "1"}),
    )

    assert event_types(registered, execution)[-2:] == [
        "ScheduleActivityTaskFailed",
        "DecisionTaskScheduled",
    ]


def test_request_cancel_unknown_activity_fails_id_unknown(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("RequestCancelActivityTask", activityId="missing"),
    )

    failed = last_event(registered, execution, "RequestCancelActivityTaskFailed")
    assert failed["cause"] == "ACTIVITY_ID_UNKNOWN"
    assert failed["activityId"] == "missing"


def test_record_marker_appends_marker(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("RecordMarker", markerName="checkpoint", details="frame-90"),
    )

    marker = last_event(registered, execution, "MarkerRecorded")
    assert marker["markerName"] == "checkpoint"
    assert marker["details"] == "frame-90"


@pytest.mark.parametrize(
    ("decision_type", "members", "close_status", "event_type"),
    [
        (
            "FailWorkflowExecution",
            {"reason": "no faces", "details": "d"},
            "FAILED",
            "WorkflowExecutionFailed",
        ),
        (
            "CancelWorkflowExecution",
            {"details": "user"},
            "CANCELED",
            "WorkflowExecutionCanceled",
        ),
    ],
)
def test_close_decision_closes_execution(
    registered, decision_type, members, close_status, event_type
):
    execution = start(registered)

    decide(registered, poll_decision(registered), decision(decision_type, **members))

    closed = last_event(registered, execution, event_type)
    info = describe(registered, execution)["executionInfo"]
    assert info["closeStatus"] == close_status
    for name, value in members.items():
        assert closed[name] == value


def test_decisions_after_close_are_ignored(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("CompleteWorkflowExecution"),
        decision("RecordMarker", markerName="late"),
    )

    assert event_types(registered, execution)[-1] == "WorkflowExecutionCompleted"


def test_continue_as_new_starts_linked_run(registered):
    execution = start(registered, tagList=["old"])

    decide(
        registered,
        poll_decision(registered),
        decision(
            "ContinueAsNewWorkflowExecution", input="page-2", tagList=["continued"]
        ),
    )

    continued = last_event(registered, execution, "WorkflowExecutionContinuedAsNew")
    new_run = {"workflowId": "wf-1", "runId": continued["newExecutionRunId"]}
    started = attributes(history(registered, new_run)[0])
    assert describe(registered, execution)["executionInfo"]["closeStatus"] == (
        "CONTINUED_AS_NEW"
    )
    assert started["continuedExecutionRunId"] == execution["runId"]
    assert started["input"] == "page-2"
    assert started["tagList"] == ["continued"]
    assert event_types(registered, new_run)[-1] == "DecisionTaskScheduled"


def test_continue_as_new_unknown_version_fails(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("ContinueAsNewWorkflowExecution", workflowTypeVersion="9"),
    )

    failed = last_event(registered, execution, "ContinueAsNewWorkflowExecutionFailed")
    assert failed["cause"] == "WORKFLOW_TYPE_DOES_NOT_EXIST"
    assert describe(registered, execution)["executionInfo"]["executionStatus"] == "OPEN"


def test_continue_as_new_without_default_fails_undefined(registered):
    registered.register_workflow_type(
        domain=DOMAIN,
        name=WORKFLOW["name"],
        version="bare",
        defaultTaskList={"name": "deciders"},
        defaultTaskStartToCloseTimeout="30",
        defaultChildPolicy="TERMINATE",
    )
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("ContinueAsNewWorkflowExecution", workflowTypeVersion="bare"),
    )

    failed = last_event(registered, execution, "ContinueAsNewWorkflowExecutionFailed")
    assert failed["cause"] == "DEFAULT_EXECUTION_START_TO_CLOSE_TIMEOUT_UNDEFINED"


def test_signal_external_appends_events_on_both_sides(registered):
    sender = start(registered, "sender")
    receiver = start(registered, "receiver")
    task = poll_decision(registered)
    assert task["workflowExecution"] == sender

    decide(
        registered,
        task,
        decision(
            "SignalExternalWorkflowExecution",
            workflowId="receiver",
            signalName="ready",
            input="42",
            control="c",
        ),
    )

    initiated = last_event(
        registered, sender, "SignalExternalWorkflowExecutionInitiated"
    )
    signaled = last_event(registered, receiver, "WorkflowExecutionSignaled")
    confirmed = last_event(registered, sender, "ExternalWorkflowExecutionSignaled")
    assert signaled["signalName"] == "ready"
    assert signaled["input"] == "42"
    assert signaled["externalWorkflowExecution"] == sender
    assert confirmed["workflowExecution"] == receiver
    assert confirmed["initiatedEventId"] == signaled["externalInitiatedEventId"]
    assert initiated["control"] == "c"


def test_signal_external_unknown_fails_unknown_execution(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision(
            "SignalExternalWorkflowExecution", workflowId="nobody", signalName="s"
        ),
    )

    failed = last_event(registered, execution, "SignalExternalWorkflowExecutionFailed")
    assert failed["cause"] == "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"


def test_request_cancel_external_marks_target(registered):
    sender = start(registered, "sender")
    target = start(registered, "target")

    decide(
        registered,
        poll_decision(registered),
        decision("RequestCancelExternalWorkflowExecution", workflowId="target"),
    )

    requested = last_event(registered, target, "WorkflowExecutionCancelRequested")
    confirmed = last_event(
        registered, sender, "ExternalWorkflowExecutionCancelRequested"
    )
    assert requested["externalWorkflowExecution"] == sender
    assert confirmed["workflowExecution"] == target
    assert describe(registered, target)["executionInfo"]["cancelRequested"] is True


def test_request_cancel_external_unknown_fails(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("RequestCancelExternalWorkflowExecution", workflowId="nobody"),
    )

    failed = last_event(
        registered, execution, "RequestCancelExternalWorkflowExecutionFailed"
    )
    assert failed["cause"] == "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"


def test_schedule_lambda_fails_service_unavailable(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("ScheduleLambdaFunction", id="l-1", name="thumbnail"),
    )

    failed = last_event(registered, execution, "ScheduleLambdaFunctionFailed")
    assert failed["cause"] == "LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION"
    assert failed["id"] == "l-1"


def test_decision_without_attributes_raises_validation(registered):
    execution = start(registered)
    task = poll_decision(registered)
    before = event_types(registered, execution)

    with pytest.raises(ClientError) as excinfo:
        registered.respond_decision_task_completed(
            taskToken=task["taskToken"],
            decisions=[{"decisionType": "ScheduleActivityTask"}],
        )

    assert error_code(excinfo) == "ValidationException"
    assert event_types(registered, execution) == before


def test_respond_sets_task_list_for_next_decisions(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("StartTimer", timerId="t", startToFireTimeout="0"),
        taskList={"name": "other-deciders"},
    )

    task = poll_decision(registered, taskList={"name": "other-deciders"})
    assert task["workflowExecution"] == execution
    assert describe(registered, execution)["executionConfiguration"]["taskList"] == {
        "name": "other-deciders"
    }


def test_workflow_type_in_decision_task(registered):
    start(registered)

    task = poll_decision(registered)

    assert task["workflowType"] == WORKFLOW
    assert task["previousStartedEventId"] == 0
    assert task["startedEventId"] == 3

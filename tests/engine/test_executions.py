"""Workflow executions: start, signal, cancel request, terminate, describe."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.engine.scenario import (
    DECISION_LIST,
    DOMAIN,
    WORKFLOW,
    attributes,
    complete,
    decide,
    describe,
    error_code,
    event_types,
    history,
    poll_decision,
    register,
    start,
)


@pytest.fixture
def registered(swf):
    register(swf)
    return swf


def test_start_appends_started_and_decision_scheduled(registered):
    execution = start(registered, input="video-7", tagList=["family", "2024"])

    events = history(registered, execution)

    assert [e["eventType"] for e in events] == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
    ]
    started = attributes(events[0])
    assert started["input"] == "video-7"
    assert started["tagList"] == ["family", "2024"]
    assert started["taskList"] == DECISION_LIST
    assert started["executionStartToCloseTimeout"] == "3600"
    assert started["taskStartToCloseTimeout"] == "30"
    assert started["childPolicy"] == "TERMINATE"
    assert started["workflowType"] == WORKFLOW


def test_start_request_values_override_type_defaults(registered):
    execution = start(
        registered,
        taskList={"name": "urgent"},
        executionStartToCloseTimeout="60",
        taskStartToCloseTimeout="NONE",
        childPolicy="ABANDON",
        taskPriority="3",
    )

    configuration = describe(registered, execution)["executionConfiguration"]

    assert configuration == {
        "taskList": {"name": "urgent"},
        "executionStartToCloseTimeout": "60",
        "taskStartToCloseTimeout": "NONE",
        "childPolicy": "ABANDON",
        "taskPriority": "3",
    }


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"taskList": None}, "task_list"),
        ({"executionStartToCloseTimeout": None}, "execution_start_to_close_timeout"),
        ({"taskStartToCloseTimeout": None}, "task_start_to_close_timeout"),
        ({"childPolicy": None}, "child_policy"),
    ],
)
def test_start_without_default_raises_default_undefined(local_swf, missing, named):
    local_swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
    local_swf.register_workflow_type(domain=DOMAIN, **WORKFLOW)
    request = {
        "taskList": DECISION_LIST,
        "executionStartToCloseTimeout": "60",
        "taskStartToCloseTimeout": "10",
        "childPolicy": "TERMINATE",
    }
    request.update(missing)
    request = {key: value for key, value in request.items() if value is not None}

    with pytest.raises(local_swf.exceptions.DefaultUndefinedFault) as excinfo:
        local_swf.start_workflow_execution(
            domain=DOMAIN, workflowId="wf-1", workflowType=WORKFLOW, **request
        )

    assert named in str(excinfo.value)


def test_start_none_execution_timeout_raises_validation(local_swf):
    register(local_swf)

    with pytest.raises(ClientError) as excinfo:
        start(local_swf, executionStartToCloseTimeout="NONE")

    assert error_code(excinfo) == "ValidationException"


def test_start_unknown_type_raises_unknown_resource(registered):
    with pytest.raises(registered.exceptions.UnknownResourceFault):
        start(registered, workflowType={"name": "missing", "version": "1"})


def test_start_open_workflow_id_raises_already_started(registered):
    start(registered, "wf-1")

    with pytest.raises(registered.exceptions.WorkflowExecutionAlreadyStartedFault):
        start(registered, "wf-1")


def test_start_reuses_workflow_id_after_close(registered):
    first = start(registered, "wf-1")
    registered.terminate_workflow_execution(domain=DOMAIN, workflowId="wf-1")

    second = start(registered, "wf-1")

    assert second["runId"] != first["runId"]
    assert describe(registered, second)["executionInfo"]["executionStatus"] == "OPEN"


def test_signal_appends_event_with_input(registered):
    execution = start(registered)

    registered.signal_workflow_execution(
        domain=DOMAIN, workflowId="wf-1", signalName="face-found", input="person-3"
    )

    events = history(registered, execution)
    signaled = attributes(events[-1])
    assert events[-1]["eventType"] == "WorkflowExecutionSignaled"
    assert signaled["signalName"] == "face-found"
    assert signaled["input"] == "person-3"


def test_signal_unknown_execution_raises_unknown_resource(registered):
    with pytest.raises(registered.exceptions.UnknownResourceFault):
        registered.signal_workflow_execution(
            domain=DOMAIN, workflowId="missing", signalName="s"
        )


def test_request_cancel_sets_cancel_requested(registered):
    execution = start(registered)

    registered.request_cancel_workflow_execution(domain=DOMAIN, workflowId="wf-1")

    assert event_types(registered, execution)[-1] == "WorkflowExecutionCancelRequested"
    assert describe(registered, execution)["executionInfo"]["cancelRequested"] is True


def test_terminate_closes_with_reason(registered):
    execution = start(registered)

    registered.terminate_workflow_execution(
        domain=DOMAIN, workflowId="wf-1", reason="operator", details="stuck"
    )

    info = describe(registered, execution)["executionInfo"]
    terminated = attributes(history(registered, execution)[-1])
    assert info["executionStatus"] == "CLOSED"
    assert info["closeStatus"] == "TERMINATED"
    assert terminated["reason"] == "operator"
    assert terminated["details"] == "stuck"
    assert terminated["cause"] == "OPERATOR_INITIATED"


@pytest.mark.parametrize(
    "call",
    [
        lambda swf, ids: swf.signal_workflow_execution(signalName="s", **ids),
        lambda swf, ids: swf.request_cancel_workflow_execution(**ids),
        lambda swf, ids: swf.terminate_workflow_execution(**ids),
    ],
    ids=["signal", "request-cancel", "terminate"],
)
def test_closed_execution_rejects_changes(registered, call):
    execution = start(registered)
    registered.terminate_workflow_execution(domain=DOMAIN, workflowId="wf-1")
    before = event_types(registered, execution)

    with pytest.raises(registered.exceptions.UnknownResourceFault):
        call(registered, {"domain": DOMAIN, **execution})

    assert event_types(registered, execution) == before


def test_describe_counts_open_work(registered):
    execution = start(registered)

    detail = describe(registered, execution)

    assert detail["openCounts"] == {
        "openActivityTasks": 0,
        "openDecisionTasks": 1,
        "openTimers": 0,
        "openChildWorkflowExecutions": 0,
        "openLambdaFunctions": 0,
    }
    assert detail["executionInfo"]["executionStatus"] == "OPEN"


def test_describe_returns_latest_execution_context(registered):
    execution = start(registered)
    task = poll_decision(registered)

    decide(registered, task, executionContext="step-2")

    assert describe(registered, execution)["latestExecutionContext"] == "step-2"


def test_describe_unknown_run_raises_unknown_resource(registered):
    with pytest.raises(registered.exceptions.UnknownResourceFault):
        describe(registered, {"workflowId": "wf-1", "runId": "missing"})


def test_complete_closes_with_result(registered):
    execution = start(registered)
    task = poll_decision(registered)

    decide(registered, task, complete("faces-indexed"))

    info = describe(registered, execution)["executionInfo"]
    completed = attributes(history(registered, execution)[-1])
    assert info["closeStatus"] == "COMPLETED"
    assert "closeTimestamp" in info
    assert completed["result"] == "faces-indexed"

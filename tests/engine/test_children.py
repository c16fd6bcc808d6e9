"""Child executions: start, close reporting and the parent's child policy."""

from __future__ import annotations

import pytest

from tests.engine.scenario import (
    DOMAIN,
    WORKFLOW,
    attributes,
    complete,
    decide,
    decision,
    describe,
    event_types,
    history,
    last_event,
    poll_decision,
    register,
    start,
    wait_for_event,
)


@pytest.fixture
def registered(swf):
    register(swf)
    return swf


def _start_child(swf, child_id: str = "child-1", **attributes):
    attributes.setdefault("workflowType", WORKFLOW)
    return decision("StartChildWorkflowExecution", workflowId=child_id, **attributes)


def _parent_with_child(swf, **attributes):
    parent = start(swf, "parent")
    decide(swf, poll_decision(swf), _start_child(swf, input="frames", **attributes))
    started = last_event(swf, parent, "ChildWorkflowExecutionStarted")
    return parent, started["workflowExecution"]


def test_start_child_links_both_histories(registered):
    parent, child = _parent_with_child(registered, control="ctl")

    initiated = last_event(registered, parent, "StartChildWorkflowExecutionInitiated")
    child_started = attributes(history(registered, child)[0])
    assert initiated["control"] == "ctl"
    assert initiated["childPolicy"] == "TERMINATE"
    assert child_started["parentWorkflowExecution"] == parent
    assert child_started["parentInitiatedEventId"] == 5
    assert child_started["input"] == "frames"
    assert describe(registered, child)["executionInfo"]["parent"] == parent
    assert (
        describe(registered, parent)["openCounts"]["openChildWorkflowExecutions"] == 1
    )


def test_child_completion_reported_to_parent(registered):
    parent, child = _parent_with_child(registered)
    parent_task = poll_decision(registered)
    decide(registered, parent_task)
    child_task = poll_decision(registered)
    assert child_task["workflowExecution"] == child

    decide(registered, child_task, complete("42 faces"))

    completed = last_event(registered, parent, "ChildWorkflowExecutionCompleted")
    assert completed["result"] == "42 faces"
    assert completed["workflowExecution"] == child
    assert completed["initiatedEventId"] == 5
    assert event_types(registered, parent)[-1] == "DecisionTaskScheduled"


def test_child_failure_reported_to_parent(registered):
    parent, child = _parent_with_child(registered)
    decide(registered, poll_decision(registered))

    decide(
        registered,
        poll_decision(registered),
        decision("FailWorkflowExecution", reason="corrupt", details="d"),
    )

    failed = last_event(registered, parent, "ChildWorkflowExecutionFailed")
    assert failed["reason"] == "corrupt"
    assert failed["details"] == "d"


def test_child_termination_reported_to_parent(registered):
    parent, child = _parent_with_child(registered)

    registered.terminate_workflow_execution(domain=DOMAIN, **child)

    terminated = last_event(registered, parent, "ChildWorkflowExecutionTerminated")
    assert terminated["workflowExecution"] == child


def test_terminate_policy_terminates_child(registered):
    parent, child = _parent_with_child(registered, childPolicy="TERMINATE")

    registered.terminate_workflow_execution(domain=DOMAIN, **parent)

    terminated = last_event(registered, child, "WorkflowExecutionTerminated")
    assert terminated["cause"] == "CHILD_POLICY_APPLIED"
    assert describe(registered, child)["executionInfo"]["closeStatus"] == "TERMINATED"


def test_request_cancel_policy_asks_child(registered):
    parent, child = _parent_with_child(registered)

    registered.terminate_workflow_execution(
        domain=DOMAIN, childPolicy="REQUEST_CANCEL", **parent
    )

    requested = last_event(registered, child, "WorkflowExecutionCancelRequested")
    assert requested["cause"] == "CHILD_POLICY_APPLIED"
    assert describe(registered, child)["executionInfo"]["executionStatus"] == "OPEN"


def test_abandon_policy_leaves_child_open(registered):
    parent, child = _parent_with_child(registered)

    registered.terminate_workflow_execution(
        domain=DOMAIN, childPolicy="ABANDON", **parent
    )

    assert describe(registered, child)["executionInfo"]["executionStatus"] == "OPEN"
    assert "WorkflowExecutionCancelRequested" not in event_types(registered, child)


def test_policy_applies_when_parent_completes(registered):
    parent, child = _parent_with_child(registered)

    decide(registered, poll_decision(registered), complete())

    assert describe(registered, child)["executionInfo"]["closeStatus"] == "TERMINATED"


def test_running_workflow_id_fails_already_running(registered):
    start(registered, "busy")
    parent = start(registered, "parent")
    task = poll_decision(registered)
    if task["workflowExecution"] != parent:
        decide(registered, task)
        task = poll_decision(registered)

    decide(registered, task, _start_child(registered, "busy"))

    failed = last_event(registered, parent, "StartChildWorkflowExecutionFailed")
    assert failed["cause"] == "WORKFLOW_ALREADY_RUNNING"
    assert failed["initiatedEventId"] > 0


def test_unknown_child_type_fails_does_not_exist(registered):
    parent = start(registered, "parent")

    decide(
        registered,
        poll_decision(registered),
        _start_child(registered, workflowType={"name": "missing", "version": "1"}),
    )

    failed = last_event(registered, parent, "StartChildWorkflowExecutionFailed")
    assert failed["cause"] == "WORKFLOW_TYPE_DOES_NOT_EXIST"


def test_child_without_default_fails_undefined(registered):
    registered.register_workflow_type(domain=DOMAIN, name="bare", version="1")
    parent = start(registered, "parent")

    decide(
        registered,
        poll_decision(registered),
        _start_child(
            registered,
            workflowType={"name": "bare", "version": "1"},
            taskList={"name": "deciders"},
            taskStartToCloseTimeout="10",
            childPolicy="TERMINATE",
        ),
    )

    failed = last_event(registered, parent, "StartChildWorkflowExecutionFailed")
    assert failed["cause"] == "DEFAULT_EXECUTION_START_TO_CLOSE_TIMEOUT_UNDEFINED"


def test_child_timeout_reported_to_parent(registered):
    parent, child = _parent_with_child(
        registered, executionStartToCloseTimeout="1", childPolicy="ABANDON"
    )

    timed_out = wait_for_event(registered, parent, "ChildWorkflowExecutionTimedOut")

    assert timed_out["workflowExecution"] == child
    assert timed_out["timeoutType"] == "START_TO_CLOSE"


def test_continued_child_reports_to_parent(registered):
    parent, child = _parent_with_child(registered)
    decide(registered, poll_decision(registered))
    decide(
        registered,
        poll_decision(registered),
        decision("ContinueAsNewWorkflowExecution", input="next"),
    )
    continued = last_event(registered, child, "WorkflowExecutionContinuedAsNew")
    new_run = {"workflowId": "child-1", "runId": continued["newExecutionRunId"]}

    decide(registered, poll_decision(registered), complete("done"))

    completed = last_event(registered, parent, "ChildWorkflowExecutionCompleted")
    assert completed["workflowExecution"] == new_run
    assert describe(registered, new_run)["executionInfo"]["parent"] == parent

"""Building blocks for the engine conformance tests.

Each helper takes a boto3 SWF client, so a test runs unchanged over every
transport and database of the ``swf`` fixture.
"""

from __future__ import annotations

import time
from typing import Any

DOMAIN = "conformance"
WORKFLOW = {"name": "ingest", "version": "1"}
ACTIVITY = {"name": "transcode", "version": "1"}
DECISION_LIST = {"name": "deciders"}
ACTIVITY_LIST = {"name": "workers"}


def register(swf, *, domain: str = DOMAIN, **workflow_defaults: Any) -> None:
    """Register the domain, a workflow type and an activity type with defaults."""
    swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")
    defaults = {
        "defaultTaskList": DECISION_LIST,
        "defaultTaskStartToCloseTimeout": "30",
        "defaultExecutionStartToCloseTimeout": "3600",
        "defaultChildPolicy": "TERMINATE",
        **workflow_defaults,
    }
    swf.register_workflow_type(domain=domain, **WORKFLOW, **defaults)
    swf.register_activity_type(
        domain=domain,
        **ACTIVITY,
        defaultTaskList=ACTIVITY_LIST,
        defaultTaskScheduleToStartTimeout="300",
        defaultTaskScheduleToCloseTimeout="600",
        defaultTaskStartToCloseTimeout="300",
        defaultTaskHeartbeatTimeout="NONE",
    )


def start(swf, workflow_id: str = "wf-1", **request: Any) -> dict[str, str]:
    """Start an execution and return its WorkflowExecution."""
    request.setdefault("workflowType", WORKFLOW)
    response = swf.start_workflow_execution(
        domain=DOMAIN, workflowId=workflow_id, **request
    )
    return {"workflowId": workflow_id, "runId": response["runId"]}


def poll_decision(swf, **request: Any) -> dict[str, Any]:
    """Poll the decision task list and return a task, failing on an empty poll."""
    request.setdefault("taskList", DECISION_LIST)
    task = swf.poll_for_decision_task(domain=DOMAIN, identity="decider", **request)
    assert task.get("taskToken"), "expected a decision task, the poll was empty"
    return task


def poll_activity(swf, **request: Any) -> dict[str, Any]:
    """Poll the activity task list and return a task, failing on an empty poll."""
    request.setdefault("taskList", ACTIVITY_LIST)
    task = swf.poll_for_activity_task(domain=DOMAIN, identity="worker", **request)
    assert task.get("taskToken"), "expected an activity task, the poll was empty"
    return task


def decide(swf, task: dict[str, Any], *decisions: dict[str, Any], **request: Any):
    """Complete ``task`` with ``decisions``."""
    swf.respond_decision_task_completed(
        taskToken=task["taskToken"], decisions=list(decisions), **request
    )


def decision(decision_type: str, **attributes: Any) -> dict[str, Any]:
    """Return a Decision of ``decision_type`` with ``attributes``."""
    member = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
    return {"decisionType": decision_type, member: attributes}


def schedule_activity(activity_id: str = "a-1", **attributes: Any) -> dict[str, Any]:
    attributes.setdefault("activityType", ACTIVITY)
    return decision("ScheduleActivityTask", activityId=activity_id, **attributes)


def complete(result: str | None = None) -> dict[str, Any]:
    attributes = {} if result is None else {"result": result}
    return decision("CompleteWorkflowExecution", **attributes)


def history(swf, execution: dict[str, str], **request: Any) -> list[dict[str, Any]]:
    """Return every event of ``execution``, following page tokens."""
    events: list[dict[str, Any]] = []
    token = None
    while True:
        if token:
            request["nextPageToken"] = token
        page = swf.get_workflow_execution_history(
            domain=DOMAIN, execution=execution, **request
        )
        events.extend(page["events"])
        token = page.get("nextPageToken")
        if not token:
            return events


def event_types(swf, execution: dict[str, str]) -> list[str]:
    return [event["eventType"] for event in history(swf, execution)]


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    """Return a HistoryEvent's attributes member."""
    event_type = event["eventType"]
    return event[event_type[0].lower() + event_type[1:] + "EventAttributes"]


def last_event(swf, execution: dict[str, str], event_type: str) -> dict[str, Any]:
    """Return the attributes of the last ``event_type`` event."""
    matches = [e for e in history(swf, execution) if e["eventType"] == event_type]
    assert matches, f"no {event_type} in {event_types(swf, execution)}"
    return attributes(matches[-1])


def wait_for_event(
    swf, execution: dict[str, str], event_type: str, timeout: float = 10.0
) -> dict[str, Any]:
    """Wait until ``event_type`` is in the history and return its attributes."""
    give_up_at = time.monotonic() + timeout
    while time.monotonic() < give_up_at:
        if event_type in event_types(swf, execution):
            return last_event(swf, execution, event_type)
        time.sleep(0.1)
    raise AssertionError(
        f"{event_type} did not appear within {timeout} s: {event_types(swf, execution)}"
    )


def describe(swf, execution: dict[str, str]) -> dict[str, Any]:
    return swf.describe_workflow_execution(domain=DOMAIN, execution=execution)


def error_code(excinfo) -> str:
    """Return the SWF fault name of a botocore ClientError."""
    return excinfo.value.response["Error"]["Code"]

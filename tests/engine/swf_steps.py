"""SWF call sequences shared by the HTTP, long-poll and durability tests.

Each helper takes a boto3-shaped SWF client, so the same steps run over HTTP
and in-process.
"""

from __future__ import annotations

import boto3
from botocore.config import Config

DOMAIN = "tests"
WORKFLOW_TYPE = {"name": "probe", "version": "1"}
ACTIVITY_TYPE = {"name": "step", "version": "1"}
DECISIONS = "decisions"
ACTIVITIES = "activities"


def http_client(url: str, read_timeout: int = 70):
    """A stock boto3 SWF client on ``url`` that never retries on its own."""
    return boto3.client(
        "swf",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(
            retries={"max_attempts": 1},
            read_timeout=read_timeout,
            max_pool_connections=50,
        ),
    )


def register(swf, domain: str = DOMAIN) -> None:
    """Register ``domain`` with one workflow type and one activity type."""
    swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")
    swf.register_workflow_type(
        domain=domain,
        **WORKFLOW_TYPE,
        defaultTaskList={"name": DECISIONS},
        defaultTaskStartToCloseTimeout="30",
        defaultExecutionStartToCloseTimeout="3600",
        defaultChildPolicy="TERMINATE",
    )
    swf.register_activity_type(
        domain=domain,
        **ACTIVITY_TYPE,
        defaultTaskList={"name": ACTIVITIES},
        defaultTaskStartToCloseTimeout="60",
        defaultTaskScheduleToStartTimeout="3600",
        defaultTaskScheduleToCloseTimeout="3600",
        defaultTaskHeartbeatTimeout="NONE",
    )


def start(
    swf, workflow_id: str, task_list: str = DECISIONS, domain: str = DOMAIN
) -> dict[str, str]:
    """Start an execution and return its ``{"workflowId", "runId"}``."""
    run = swf.start_workflow_execution(
        domain=domain,
        workflowId=workflow_id,
        workflowType=WORKFLOW_TYPE,
        taskList={"name": task_list},
    )
    return {"workflowId": workflow_id, "runId": run["runId"]}


def schedule_activity(
    activity_id: str, start_to_close: str = "60", task_list: str = ACTIVITIES
) -> dict:
    """A ScheduleActivityTask decision for the registered activity type."""
    return {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityType": ACTIVITY_TYPE,
            "activityId": activity_id,
            "taskList": {"name": task_list},
            "startToCloseTimeout": start_to_close,
        },
    }


def start_timer(timer_id: str, seconds: int) -> dict:
    """A StartTimer decision."""
    return {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {
            "timerId": timer_id,
            "startToFireTimeout": str(seconds),
        },
    }


def complete_workflow() -> dict:
    """A CompleteWorkflowExecution decision."""
    return {
        "decisionType": "CompleteWorkflowExecution",
        "completeWorkflowExecutionDecisionAttributes": {"result": "done"},
    }


def decide(swf, decisions: list[dict], domain: str = DOMAIN) -> dict:
    """Poll one decision task, respond to it with ``decisions`` and return it."""
    task = swf.poll_for_decision_task(domain=domain, taskList={"name": DECISIONS})
    assert task.get("taskToken"), "no decision task arrived within the long poll"
    swf.respond_decision_task_completed(
        taskToken=task["taskToken"], decisions=decisions
    )
    return task


def history(swf, execution: dict[str, str], domain: str = DOMAIN) -> list[dict]:
    """Every event of ``execution``, oldest first."""
    events: list[dict] = []
    arguments = {"domain": domain, "execution": execution}
    while True:
        page = swf.get_workflow_execution_history(**arguments)
        events.extend(page["events"])
        if not page.get("nextPageToken"):
            return events
        arguments["nextPageToken"] = page["nextPageToken"]


def event_types(events: list[dict]) -> list[str]:
    return [event["eventType"] for event in events]

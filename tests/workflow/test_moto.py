"""The decider and worker against moto_server through stock boto3."""

from __future__ import annotations

import json

from tests.workflow.conftest import (
    attributes,
    definition,
    events_of,
    running,
    stage,
)
from vwf.workflow import ActivityContext


def echo(name: str):
    def activity(input: dict, context: ActivityContext) -> dict:
        return {"stage": name, "seen": sorted(input)}

    return activity


def test_moto_diamond_completes(moto_swf):
    workflow = definition(
        moto_swf.domain,
        stage("A"),
        stage("B", "A"),
        stage("C", "A"),
        stage("D", "B", "C"),
    )
    activities = {name: echo(name) for name in "ABCD"}

    with running(moto_swf, workflow, activities):
        execution = moto_swf.start(workflow, {"media_id": "m1"})
        info = moto_swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    events = moto_swf.history(execution)
    result = json.loads(attributes(events[-1])["result"])
    assert result["stages"]["D"]["result"] == {
        "stage": "D",
        "seen": ["B", "C", "media_id"],
    }
    assert len(events_of(events, "ActivityTaskScheduled")) == 4


def test_moto_failure_retried(moto_swf):
    workflow = definition(moto_swf.domain, stage("A", failure_retries=2))
    calls = []

    def flaky(input: dict, context: ActivityContext) -> dict:
        calls.append(context.attempt)
        if len(calls) < 3:
            raise RuntimeError(f"attempt {context.attempt} fails")
        return {"attempt": context.attempt}

    with running(moto_swf, workflow, {"A": flaky}):
        execution = moto_swf.start(workflow, {})
        info = moto_swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert calls == [1, 2, 3]
    scheduled = events_of(moto_swf.history(execution), "ActivityTaskScheduled")
    activity_ids = [attributes(event)["activityId"] for event in scheduled]
    assert activity_ids == [f"A-{execution['workflowId']}-{n}" for n in (1, 2, 3)]

"""The generic decider with a worker, against the embedded engine."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest

from tests.workflow.conftest import (
    SECOND,
    attributes,
    definition,
    events_of,
    process_alive,
    running,
    stage,
    wait_for_file,
)
from vwf.storage import open_store
from vwf.workflow import ActivityContext, ActivityWorker, Decider, register
from vwf.workflow.errors import NonRetryableError, TryLaterError

CLOSE_EVENTS = (
    "WorkflowExecutionCompleted",
    "WorkflowExecutionFailed",
    "WorkflowExecutionCanceled",
)


def echo(name: str):
    def activity(input: dict, context: ActivityContext) -> dict:
        return {"stage": name, "seen": sorted(input)}

    return activity


def close_events(events: list[dict]) -> list[dict]:
    return [event for event in events if event["eventType"] in CLOSE_EVENTS]


def scheduled_inputs(events: list[dict]) -> list[dict]:
    return [
        json.loads(attributes(event)["input"])
        for event in events_of(events, "ActivityTaskScheduled")
    ]


def test_diamond_runs_branches_in_parallel(swf):
    workflow = definition(
        swf.domain, stage("A"), stage("B", "A"), stage("C", "A"), stage("D", "B", "C")
    )

    with running(swf, workflow, {name: echo(name) for name in "ABCD"}):
        execution = swf.start(workflow, {"media_id": "m1"})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    events = swf.history(execution)
    scheduled = events_of(events, "ActivityTaskScheduled")
    by_decision = {}
    for event in scheduled:
        decision = attributes(event)["decisionTaskCompletedEventId"]
        by_decision.setdefault(decision, []).append(attributes(event)["activityId"])
    assert sorted(map(len, by_decision.values())) == [1, 1, 2]
    assert len(close_events(events)) == 1


def test_diamond_input_has_prerequisite_results(swf):
    workflow = definition(
        swf.domain, stage("A"), stage("B", "A"), stage("C", "A"), stage("D", "B", "C")
    )

    with running(swf, workflow, {name: echo(name) for name in "ABCD"}):
        execution = swf.start(workflow, {"media_id": "m1"})
        swf.wait_closed(execution)

    inputs = {
        entry["$task"]["stage"]: entry
        for entry in scheduled_inputs(swf.history(execution))
    }
    assert inputs["A"]["media_id"] == "m1"
    assert "A" not in inputs["D"]
    assert inputs["D"]["B"] == {"stage": "B", "seen": ["A", "media_id"]}
    assert inputs["D"]["C"] == {"stage": "C", "seen": ["A", "media_id"]}


def test_result_summarises_every_stage(swf):
    workflow = definition(swf.domain, stage("A"), stage("B", "A"))

    with running(swf, workflow, {name: echo(name) for name in "AB"}):
        execution = swf.start(workflow, {})
        swf.wait_closed(execution)

    result = json.loads(attributes(swf.history(execution)[-1])["result"])
    assert result["stages"]["B"]["status"] == "completed"
    assert result["stages"]["B"]["attempts"] == 1
    assert result["stages"]["B"]["result"] == {"stage": "B", "seen": ["A"]}
    assert result["stages"]["A"]["closed_at"] is not None


def test_failure_retries_then_fails_workflow(swf):
    workflow = definition(swf.domain, stage("A", failure_retries=1))

    def broken(input: dict, context: ActivityContext) -> dict:
        raise RuntimeError("disk full")

    with running(swf, workflow, {"A": broken}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "FAILED"
    events = swf.history(execution)
    assert len(events_of(events, "ActivityTaskFailed")) == 2
    reason = attributes(close_events(events)[0])["reason"]
    assert "stage A" in reason
    assert "disk full" in reason


def test_non_retryable_failure_fails_at_once(swf):
    workflow = definition(swf.domain, stage("A", failure_retries=3))

    def invalid(input: dict, context: ActivityContext) -> dict:
        raise NonRetryableError("video.xyz is not a video")

    with running(swf, workflow, {"A": invalid}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "FAILED"
    events = swf.history(execution)
    assert len(events_of(events, "ActivityTaskScheduled")) == 1
    assert "video.xyz is not a video" in attributes(close_events(events)[0])["reason"]


def test_long_reason_trimmed_to_swf_limit(swf):
    workflow = definition(swf.domain, stage("A"))

    def verbose(input: dict, context: ActivityContext) -> dict:
        raise NonRetryableError("x" * 5000)

    with running(swf, workflow, {"A": verbose}):
        execution = swf.start(workflow, {})
        swf.wait_closed(execution)

    failed = events_of(swf.history(execution), "ActivityTaskFailed")[0]
    assert len(attributes(failed)["reason"]) == 256


def test_timeout_retry_multiplies_timeouts(swf):
    slow_first = stage(
        "A",
        start_to_close_timeout=SECOND,
        schedule_to_close_timeout=10 * SECOND,
        timeout_retry_multipliers=(1, 3),
    )
    workflow = definition(swf.domain, slow_first)

    def slow_once(input: dict, context: ActivityContext) -> dict:
        if context.attempt == 1:
            time.sleep(2)
        return {}

    with running(swf, workflow, {"A": slow_once}, concurrency=2):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    events = swf.history(execution)
    timed_out = events_of(events, "ActivityTaskTimedOut")
    assert [attributes(e)["timeoutType"] for e in timed_out] == ["START_TO_CLOSE"]
    scheduled = [attributes(e) for e in events_of(events, "ActivityTaskScheduled")]
    assert [s["startToCloseTimeout"] for s in scheduled] == ["1", "3"]
    assert [s["scheduleToCloseTimeout"] for s in scheduled] == ["10", "30"]


def test_timeouts_past_multipliers_fail_workflow(swf):
    workflow = definition(
        swf.domain,
        stage("A", start_to_close_timeout=SECOND, timeout_retry_multipliers=(1,)),
    )

    def slow(input: dict, context: ActivityContext) -> dict:
        time.sleep(2)
        return {}

    with running(swf, workflow, {"A": slow}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "FAILED"
    reason = attributes(close_events(swf.history(execution))[0])["reason"]
    assert "stage A timed out" in reason


def test_busy_retries_after_timer(swf):
    workflow = definition(swf.domain, stage("A", failure_retries=0))
    calls = []

    def busy_twice(input: dict, context: ActivityContext) -> dict:
        calls.append(context.attempt)
        if len(calls) <= 2:
            raise TryLaterError("user busy", retry_after=SECOND)
        return {"attempt": context.attempt}

    with running(swf, workflow, {"A": busy_twice}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    events = swf.history(execution)
    assert len(events_of(events, "TimerStarted")) == 2
    assert len(events_of(events, "TimerFired")) == 2
    assert calls == [1, 2, 3]


def test_busy_past_deadline_fails_workflow(swf):
    workflow = definition(
        swf.domain,
        stage("A", busy_retry_delay=SECOND, busy_deadline=2 * SECOND),
    )

    def always_busy(input: dict, context: ActivityContext) -> dict:
        raise TryLaterError("user busy")

    with running(swf, workflow, {"A": always_busy}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "FAILED"
    reason = attributes(close_events(swf.history(execution))[0])["reason"]
    assert "stage A stayed busy past its deadline" in reason


def test_cancel_stops_child_process(swf, tmp_path):
    workflow = definition(
        swf.domain,
        stage("A", heartbeat_timeout=3 * SECOND, heartbeats=True),
    )
    pid_file = tmp_path / "pid"

    def long_process(input: dict, context: ActivityContext) -> dict:
        script = f"echo $$ > {pid_file}; exec sleep 60"
        context.run_process(["sh", "-c", script])
        return {}

    with running(swf, workflow, {"A": long_process}):
        execution = swf.start(workflow, {})
        swf.wait_for_event(execution, "ActivityTaskStarted")
        wait_for_file(pid_file)
        swf.client.request_cancel_workflow_execution(
            domain=swf.domain, workflowId=execution["workflowId"]
        )
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "CANCELED"
    event_types = [event["eventType"] for event in swf.history(execution)]
    assert "ActivityTaskCancelRequested" in event_types
    assert "ActivityTaskCanceled" in event_types
    assert not process_alive(int(pid_file.read_text()))


def test_cancel_while_busy_cancels_timer(swf):
    workflow = definition(swf.domain, stage("A", busy_retry_delay=60 * SECOND))

    def always_busy(input: dict, context: ActivityContext) -> dict:
        raise TryLaterError("user busy")

    with running(swf, workflow, {"A": always_busy}):
        execution = swf.start(workflow, {})
        swf.wait_for_event(execution, "TimerStarted")
        swf.client.request_cancel_workflow_execution(
            domain=swf.domain, workflowId=execution["workflowId"]
        )
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "CANCELED"
    assert len(events_of(swf.history(execution), "TimerCanceled")) == 1


def test_retry_signal_reruns_failed_stage(swf):
    workflow = definition(swf.domain, stage("A", failure_retries=0), stage("B", "A"))
    calls = []

    def fails_once(input: dict, context: ActivityContext) -> dict:
        calls.append(context.attempt)
        if len(calls) == 1:
            raise RuntimeError("model server down")
        return {}

    activities = {"A": fails_once, "B": echo("B")}
    with running(swf, workflow, activities, fail_on_stage_failure=False):
        execution = swf.start(workflow, {})
        swf.wait_for_event(execution, "ActivityTaskFailed")
        time.sleep(1)
        assert swf.describe(execution)["executionStatus"] == "OPEN"
        swf.client.signal_workflow_execution(
            domain=swf.domain,
            workflowId=execution["workflowId"],
            signalName="retry",
            input=json.dumps({"stage": "A"}),
        )
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert calls == [1, 2]


def test_close_hook_gets_outcome(swf):
    workflow = definition(swf.domain, stage("A"))
    calls = []

    def hook(workflow_id, input, outcome, detail):
        calls.append((workflow_id, input, outcome, detail["stages"]["A"]["status"]))

    with running(swf, workflow, {"A": echo("A")}, on_close=hook):
        execution = swf.start(workflow, {"media_id": "m1"})
        swf.wait_closed(execution)

    assert calls == [
        (execution["workflowId"], {"media_id": "m1"}, "completed", "completed")
    ]


def test_failing_close_hook_retries_decision(swf):
    workflow = definition(swf.domain, stage("A"))
    calls = []

    def hook(workflow_id, input, outcome, detail):
        calls.append(outcome)
        if len(calls) == 1:
            raise RuntimeError("library database locked")

    with running(swf, workflow, {"A": echo("A")}, on_close=hook):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert calls == ["completed", "completed"]
    assert len(events_of(swf.history(execution), "DecisionTaskTimedOut")) == 1


def test_decider_started_late(swf):
    workflow = definition(swf.domain, stage("A"))
    register(swf.client, workflow, timedelta(days=1))
    execution = swf.start(workflow, {})
    time.sleep(3)

    with running(swf, workflow, {"A": echo("A")}):
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"


def test_several_deciders_close_once(swf):
    workflow = definition(
        swf.domain, stage("A"), stage("B", "A"), stage("C", "A"), stage("D", "B", "C")
    )
    stop = threading.Event()
    deciders = [
        threading.Thread(target=Decider(swf.client, workflow).run, args=(stop,))
        for _ in range(3)
    ]

    with running(swf, workflow, {name: echo(name) for name in "ABCD"}):
        for thread in deciders:
            thread.start()
        executions = [swf.start(workflow, {}) for _ in range(3)]
        infos = [swf.wait_closed(execution) for execution in executions]
        stop.set()

    for thread in deciders:
        thread.join(10)
    assert [info["closeStatus"] for info in infos] == ["COMPLETED"] * 3
    for execution in executions:
        assert len(close_events(swf.history(execution))) == 1


def test_oversized_result_passed_by_reference(swf, tmp_path):
    store = open_store((tmp_path / "blobs").as_uri())
    workflow = definition(swf.domain, stage("A"), stage("B", "A"))
    seen = []

    def large(input: dict, context: ActivityContext) -> dict:
        return {"frames": "x" * 40_000}

    def measure(input: dict, context: ActivityContext) -> dict:
        seen.append(len(input["A"]["frames"]))
        return {}

    with running(swf, workflow, {"A": large, "B": measure}, store=store):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert seen == [40_000]
    completed = events_of(swf.history(execution), "ActivityTaskCompleted")[0]
    reference = json.loads(attributes(completed)["result"])["$ref"]
    assert reference.startswith(f"swf-payloads/{execution['workflowId']}/")


def test_oversized_result_without_store_fails_task(swf):
    workflow = definition(swf.domain, stage("A", failure_retries=0))

    def large(input: dict, context: ActivityContext) -> dict:
        return {"frames": "x" * 40_000}

    with running(swf, workflow, {"A": large}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "FAILED"
    reason = attributes(close_events(swf.history(execution))[0])["reason"]
    assert "configure a blob store" in reason


def test_unregistered_activity_type_fails_workflow(swf):
    workflow = definition(swf.domain, stage("A"))
    unregistered = definition(swf.domain, stage("A", version="2"))

    with running(swf, workflow, {"A": echo("A")}, decider=False):
        stop = threading.Event()
        decider = Decider(swf.client, unregistered)
        thread = threading.Thread(target=decider.run, args=(stop,))
        thread.start()
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)
        stop.set()
        thread.join(10)

    assert info["closeStatus"] == "FAILED"
    reason = attributes(close_events(swf.history(execution))[0])["reason"]
    assert "ScheduleActivityTaskFailed" in reason
    assert "ACTIVITY_TYPE_DOES_NOT_EXIST" in reason


@pytest.mark.parametrize("workflow_input", ["[1, 2]", "not json"])
def test_invalid_workflow_input_fails_workflow(swf, workflow_input):
    workflow = definition(swf.domain, stage("A"))

    with running(swf, workflow, {"A": echo("A")}):
        response = swf.client.start_workflow_execution(
            domain=swf.domain,
            workflowId="bad-input",
            workflowType={"name": workflow.name, "version": workflow.version},
            input=workflow_input,
        )
        execution = {"workflowId": "bad-input", "runId": response["runId"]}
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "FAILED"
    reason = attributes(close_events(swf.history(execution))[0])["reason"]
    assert "workflow input is not a JSON object" in reason


def test_worker_rejects_unknown_stage(swf):
    workflow = definition(swf.domain, stage("A"))

    with pytest.raises(Exception, match="stage 'Z' is not in workflow Test"):
        ActivityWorker(swf.client, workflow, {"Z": echo("Z")})


def test_oversized_input_passed_by_reference(swf, tmp_path):
    store = open_store((tmp_path / "blobs").as_uri())
    workflow = definition(swf.domain, stage("A"), stage("B", "A"))
    seen = []

    def half(input: dict, context: ActivityContext) -> dict:
        return {"frames": "f" * 20_000}

    def measure(input: dict, context: ActivityContext) -> dict:
        seen.append((len(input["notes"]), len(input["A"]["frames"])))
        return {}

    with running(swf, workflow, {"A": half, "B": measure}, store=store):
        execution = swf.start(workflow, {"notes": "n" * 20_000})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert seen == [(20_000, 20_000)]
    second_input = scheduled_inputs(swf.history(execution))[1]
    expected_key = f"B-{execution['workflowId']}-1-input.json"
    assert second_input["$ref"].endswith(expected_key)

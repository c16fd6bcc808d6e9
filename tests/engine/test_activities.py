"""Activity tasks: polling, results, heartbeats and cancellation."""

from __future__ import annotations

import pytest

from tests.engine.scenario import (
    ACTIVITY,
    ACTIVITY_LIST,
    DOMAIN,
    decide,
    decision,
    describe,
    event_types,
    last_event,
    poll_activity,
    poll_decision,
    register,
    schedule_activity,
    start,
)


@pytest.fixture
def scheduled(swf):
    """An execution with activity ``a-1`` scheduled; returns the execution."""
    register(swf)
    execution = start(swf)
    decide(swf, poll_decision(swf), schedule_activity("a-1", input="clip.mp4"))
    return execution


def test_poll_returns_task_and_appends_started(swf, scheduled):
    task = poll_activity(swf)

    started = last_event(swf, scheduled, "ActivityTaskStarted")
    assert task["activityId"] == "a-1"
    assert task["activityType"] == ACTIVITY
    assert task["input"] == "clip.mp4"
    assert task["workflowExecution"] == scheduled
    assert started["identity"] == "worker"
    assert task["startedEventId"] == 6


def test_completed_appends_result_and_decision_task(swf, scheduled):
    task = poll_activity(swf)

    swf.respond_activity_task_completed(taskToken=task["taskToken"], result="720p")

    completed = last_event(swf, scheduled, "ActivityTaskCompleted")
    assert completed["result"] == "720p"
    assert completed["scheduledEventId"] == 5
    assert completed["startedEventId"] == task["startedEventId"]
    assert event_types(swf, scheduled)[-1] == "DecisionTaskScheduled"


def test_failed_appends_reason_and_details(swf, scheduled):
    task = poll_activity(swf)

    swf.respond_activity_task_failed(
        taskToken=task["taskToken"], reason="codec", details="h265 unsupported"
    )

    failed = last_event(swf, scheduled, "ActivityTaskFailed")
    assert failed["reason"] == "codec"
    assert failed["details"] == "h265 unsupported"


def test_heartbeat_returns_cancel_requested(swf, scheduled):
    task = poll_activity(swf)

    before = swf.record_activity_task_heartbeat(taskToken=task["taskToken"])
    decide(
        swf,
        _signal_and_poll(swf),
        decision("RequestCancelActivityTask", activityId="a-1"),
    )
    after = swf.record_activity_task_heartbeat(taskToken=task["taskToken"])

    assert before["cancelRequested"] is False
    assert after["cancelRequested"] is True


def test_canceled_appends_latest_cancel_request(swf, scheduled):
    task = poll_activity(swf)
    decide(
        swf,
        _signal_and_poll(swf),
        decision("RequestCancelActivityTask", activityId="a-1"),
    )

    swf.respond_activity_task_canceled(taskToken=task["taskToken"], details="stopped")

    requested = [
        event
        for event in _events(swf, scheduled)
        if event["eventType"] == "ActivityTaskCancelRequested"
    ]
    canceled = last_event(swf, scheduled, "ActivityTaskCanceled")
    assert canceled["details"] == "stopped"
    assert canceled["latestCancelRequestedEventId"] == requested[-1]["eventId"]


def test_cancel_before_start_cancels_at_once(swf, scheduled):
    decide(
        swf,
        _signal_and_poll(swf),
        decision("RequestCancelActivityTask", activityId="a-1"),
    )

    canceled = last_event(swf, scheduled, "ActivityTaskCanceled")
    assert canceled["startedEventId"] == 0
    assert (
        swf.count_pending_activity_tasks(domain=DOMAIN, taskList=ACTIVITY_LIST)["count"]
        == 0
    )


@pytest.mark.parametrize(
    "respond",
    [
        lambda swf, token: swf.respond_activity_task_completed(taskToken=token),
        lambda swf, token: swf.respond_activity_task_failed(taskToken=token),
        lambda swf, token: swf.respond_activity_task_canceled(taskToken=token),
        lambda swf, token: swf.record_activity_task_heartbeat(taskToken=token),
    ],
    ids=["completed", "failed", "canceled", "heartbeat"],
)
def test_closed_task_token_raises_unknown_resource(swf, scheduled, respond):
    task = poll_activity(swf)
    swf.respond_activity_task_completed(taskToken=task["taskToken"])
    before = event_types(swf, scheduled)

    with pytest.raises(swf.exceptions.UnknownResourceFault):
        respond(swf, task["taskToken"])

    assert event_types(swf, scheduled) == before


def test_token_of_closed_execution_raises_unknown_resource(swf, scheduled):
    task = poll_activity(swf)
    swf.terminate_workflow_execution(domain=DOMAIN, workflowId="wf-1")
    before = event_types(swf, scheduled)

    with pytest.raises(swf.exceptions.UnknownResourceFault):
        swf.respond_activity_task_completed(taskToken=task["taskToken"])

    assert event_types(swf, scheduled) == before


def test_forged_token_raises_unknown_resource(swf, scheduled):
    with pytest.raises(swf.exceptions.UnknownResourceFault):
        swf.respond_activity_task_completed(taskToken="not-a-token")


def test_activity_id_reusable_after_close(swf, scheduled):
    task = poll_activity(swf)
    swf.respond_activity_task_completed(taskToken=task["taskToken"])

    decide(swf, poll_decision(swf), schedule_activity("a-1"))

    assert event_types(swf, scheduled).count("ActivityTaskScheduled") == 2
    assert "ScheduleActivityTaskFailed" not in event_types(swf, scheduled)


def test_count_pending_counts_scheduled_only(swf, scheduled):
    decide(swf, _signal_and_poll(swf), schedule_activity("a-2"))

    pending_before = swf.count_pending_activity_tasks(
        domain=DOMAIN, taskList=ACTIVITY_LIST
    )
    poll_activity(swf)
    pending_after = swf.count_pending_activity_tasks(
        domain=DOMAIN, taskList=ACTIVITY_LIST
    )

    assert pending_before == {
        "count": 2,
        "truncated": False,
        **_metadata(pending_before),
    }
    assert pending_after["count"] == 1


def test_higher_priority_task_is_polled_first(swf, scheduled):
    decide(swf, _signal_and_poll(swf), schedule_activity("urgent", taskPriority="10"))

    task = poll_activity(swf)

    assert task["activityId"] == "urgent"


def test_describe_counts_open_activities(swf, scheduled):
    poll_activity(swf)

    detail = describe(swf, scheduled)

    assert detail["openCounts"]["openActivityTasks"] == 1
    assert "latestActivityTaskTimestamp" in detail


def _signal_and_poll(swf):
    swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName="go")
    return poll_decision(swf)


def _events(swf, execution):
    return swf.get_workflow_execution_history(domain=DOMAIN, execution=execution)[
        "events"
    ]


def _metadata(response):
    return {"ResponseMetadata": response["ResponseMetadata"]}

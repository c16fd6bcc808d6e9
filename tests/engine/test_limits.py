"""Server-side limits: lengths, list sizes and per-execution counts.

Lengths are counted in Unicode code points, so the multi-byte cases below are
accepted exactly at the limit even though their UTF-8 encoding is longer.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.engine.scenario import (
    DOMAIN,
    WORKFLOW,
    decide,
    decision,
    describe,
    error_code,
    event_types,
    last_event,
    poll_activity,
    poll_decision,
    register,
    schedule_activity,
    start,
)
from vwf.engine import Engine, EngineSettings, connect

# Three bytes in UTF-8, one character.
WIDE = "\u20ac"


@pytest.fixture
def registered(local_swf):
    register(local_swf)
    return local_swf


def test_input_at_limit_is_accepted(registered):
    execution = start(registered, input=WIDE * 32_768)

    started = last_event(registered, execution, "WorkflowExecutionStarted")

    assert len(started["input"]) == 32_768


def test_input_over_limit_raises_validation(registered):
    with pytest.raises(ClientError) as excinfo:
        start(registered, input=WIDE * 32_769)

    assert error_code(excinfo) == "ValidationException"
    assert "input" in str(excinfo.value)


def test_rejected_start_stores_nothing(registered):
    with pytest.raises(ClientError):
        start(registered, input=WIDE * 32_769)

    count = registered.count_open_workflow_executions(
        domain=DOMAIN, startTimeFilter={"oldestDate": 0}
    )
    assert count["count"] == 0


@pytest.mark.parametrize(
    ("length", "accepted"), [(256, True), (257, False)], ids=["at", "over"]
)
def test_terminate_reason_limit(registered, length, accepted):
    execution = start(registered)
    terminate = lambda: registered.terminate_workflow_execution(  # noqa: E731
        domain=DOMAIN, workflowId="wf-1", reason=WIDE * length
    )

    if accepted:
        terminate()
        assert describe(registered, execution)["executionInfo"]["closeStatus"] == (
            "TERMINATED"
        )
    else:
        with pytest.raises(ClientError) as excinfo:
            terminate()
        assert error_code(excinfo) == "ValidationException"
        assert "reason" in str(excinfo.value)


@pytest.mark.parametrize(
    ("length", "accepted"), [(256, True), (257, False)], ids=["at", "over"]
)
def test_workflow_id_limit(registered, length, accepted):
    workflow_id = WIDE * length

    if accepted:
        assert start(registered, workflow_id)["workflowId"] == workflow_id
    else:
        with pytest.raises(ClientError) as excinfo:
            start(registered, workflow_id)
        assert error_code(excinfo) == "ValidationException"


def test_activity_result_limit(registered):
    execution = start(registered)
    decide(registered, poll_decision(registered), schedule_activity())
    task = poll_activity(registered)

    with pytest.raises(ClientError) as excinfo:
        registered.respond_activity_task_completed(
            taskToken=task["taskToken"], result=WIDE * 32_769
        )
    registered.respond_activity_task_completed(
        taskToken=task["taskToken"], result=WIDE * 32_768
    )

    assert error_code(excinfo) == "ValidationException"
    assert len(
        last_event(registered, execution, "ActivityTaskCompleted")["result"]
    ) == (32_768)


def test_heartbeat_details_limit(registered):
    start(registered)
    decide(registered, poll_decision(registered), schedule_activity())
    task = poll_activity(registered)

    with pytest.raises(ClientError) as excinfo:
        registered.record_activity_task_heartbeat(
            taskToken=task["taskToken"], details="x" * 2_049
        )

    assert error_code(excinfo) == "ValidationException"


def test_decision_control_limit_rejects_whole_response(registered):
    execution = start(registered)
    task = poll_decision(registered)
    before = event_types(registered, execution)

    with pytest.raises(ClientError) as excinfo:
        decide(registered, task, schedule_activity(control=WIDE * 32_769))

    assert error_code(excinfo) == "ValidationException"
    assert "control" in str(excinfo.value)
    assert event_types(registered, execution) == before


def test_six_tags_raise_validation(registered):
    with pytest.raises(ClientError) as excinfo:
        start(registered, tagList=[f"t{i}" for i in range(6)])

    assert error_code(excinfo) == "ValidationException"
    assert "tagList" in str(excinfo.value)


def test_five_tags_are_accepted(registered):
    tags = [f"t{i}" for i in range(5)]

    execution = start(registered, tagList=tags)

    assert describe(registered, execution)["executionInfo"]["tagList"] == tags


@pytest.mark.parametrize("activity_id", ["a:b", "a/b", "a|b", "arn", "a\u0000b"])
def test_invalid_activity_id_raises_validation(registered, activity_id):
    start(registered)
    task = poll_decision(registered)

    with pytest.raises(ClientError) as excinfo:
        decide(registered, task, schedule_activity(activity_id))

    assert error_code(excinfo) == "ValidationException"


def test_invalid_timer_duration_raises_validation(registered):
    start(registered)
    task = poll_decision(registered)

    with pytest.raises(ClientError) as excinfo:
        decide(
            registered,
            task,
            decision("StartTimer", timerId="t", startToFireTimeout="1.5"),
        )

    assert error_code(excinfo) == "ValidationException"


def test_page_size_over_maximum_raises_validation(registered):
    execution = start(registered)

    with pytest.raises(ClientError) as excinfo:
        registered.get_workflow_execution_history(
            domain=DOMAIN, execution=execution, maximumPageSize=1001
        )

    assert error_code(excinfo) == "ValidationException"


def _limited_engine(tmp_path, **limits):
    settings = EngineSettings(long_poll_timeout=timedelta(seconds=2), **limits)
    engine = Engine(f"sqlite:///{tmp_path / 'limits.db'}", settings=settings)
    engine.start()
    return engine


def test_open_activities_limit_fails_schedule(tmp_path):
    engine = _limited_engine(tmp_path, max_open_activities=2)
    try:
        swf = connect(engine)
        register(swf)
        execution = start(swf)

        decide(
            swf,
            poll_decision(swf),
            *(schedule_activity(f"a-{i}") for i in range(3)),
        )

        failed = last_event(swf, execution, "ScheduleActivityTaskFailed")
        assert failed["cause"] == "OPEN_ACTIVITIES_LIMIT_EXCEEDED"
        assert failed["activityId"] == "a-2"
    finally:
        engine.close()


def test_open_timers_limit_fails_start_timer(tmp_path):
    engine = _limited_engine(tmp_path, max_open_timers=1)
    try:
        swf = connect(engine)
        register(swf)
        execution = start(swf)
        timers = [
            decision("StartTimer", timerId=f"t-{i}", startToFireTimeout="60")
            for i in range(2)
        ]

        decide(swf, poll_decision(swf), *timers)

        failed = last_event(swf, execution, "StartTimerFailed")
        assert failed["cause"] == "OPEN_TIMERS_LIMIT_EXCEEDED"
    finally:
        engine.close()


def test_open_children_limit_fails_start_child(tmp_path):
    engine = _limited_engine(tmp_path, max_open_children=1)
    try:
        swf = connect(engine)
        register(swf)
        execution = start(swf)
        children = [
            decision(
                "StartChildWorkflowExecution",
                workflowId=f"c-{i}",
                workflowType=WORKFLOW,
            )
            for i in range(2)
        ]

        decide(swf, poll_decision(swf), *children)

        failed = last_event(swf, execution, "StartChildWorkflowExecutionFailed")
        assert failed["cause"] == "OPEN_CHILDREN_LIMIT_EXCEEDED"
    finally:
        engine.close()


def test_history_limit_terminates_execution(tmp_path):
    engine = _limited_engine(tmp_path, max_history_events=10)
    try:
        swf = connect(engine)
        register(swf)
        execution = start(swf)
        for _ in range(10):
            swf.signal_workflow_execution(
                domain=DOMAIN, workflowId="wf-1", signalName="s"
            )
            if describe(swf, execution)["executionInfo"]["executionStatus"] == "CLOSED":
                break

        terminated = last_event(swf, execution, "WorkflowExecutionTerminated")
        assert terminated["cause"] == "EVENT_LIMIT_EXCEEDED"
        assert len(event_types(swf, execution)) <= 11
    finally:
        engine.close()

"""Timeouts fire at their due time from the engine's own clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.engine.conftest import TEST_SETTINGS
from tests.engine.scenario import (
    decide,
    decision,
    describe,
    event_types,
    poll_activity,
    poll_decision,
    register,
    schedule_activity,
    start,
    wait_for_event,
)
from vwf.engine import Engine, EngineSettings, connect


@pytest.fixture
def registered(swf):
    register(swf)
    return swf


def _schedule(swf, **timeouts):
    execution = start(swf)
    decide(swf, poll_decision(swf), schedule_activity("a-1", **timeouts))
    return execution


def test_heartbeat_timeout_reports_last_details(registered):
    execution = _schedule(registered, heartbeatTimeout="1")
    task = poll_activity(registered)
    registered.record_activity_task_heartbeat(
        taskToken=task["taskToken"], details="40%"
    )

    timed_out = wait_for_event(registered, execution, "ActivityTaskTimedOut")

    assert timed_out["timeoutType"] == "HEARTBEAT"
    assert timed_out["details"] == "40%"
    assert timed_out["startedEventId"] == task["startedEventId"]


def test_heartbeat_extends_deadline(registered):
    execution = _schedule(registered, heartbeatTimeout="3")
    task = poll_activity(registered)

    for _ in range(3):
        time.sleep(1)
        registered.record_activity_task_heartbeat(taskToken=task["taskToken"])
    registered.respond_activity_task_completed(taskToken=task["taskToken"])

    assert "ActivityTaskTimedOut" not in event_types(registered, execution)


def test_start_to_close_timeout_closes_activity(registered):
    execution = _schedule(registered, startToCloseTimeout="1")
    task = poll_activity(registered)

    timed_out = wait_for_event(registered, execution, "ActivityTaskTimedOut")

    assert timed_out["timeoutType"] == "START_TO_CLOSE"
    with pytest.raises(registered.exceptions.UnknownResourceFault):
        registered.respond_activity_task_completed(taskToken=task["taskToken"])


def test_schedule_to_start_timeout_without_poller(registered):
    execution = _schedule(registered, scheduleToStartTimeout="1")

    timed_out = wait_for_event(registered, execution, "ActivityTaskTimedOut")

    assert timed_out["timeoutType"] == "SCHEDULE_TO_START"
    assert timed_out["startedEventId"] == 0


def test_schedule_to_close_timeout_spans_start(registered):
    execution = _schedule(registered, scheduleToCloseTimeout="2")
    poll_activity(registered)

    timed_out = wait_for_event(registered, execution, "ActivityTaskTimedOut")

    assert timed_out["timeoutType"] == "SCHEDULE_TO_CLOSE"


def test_activity_timeout_schedules_decision_task(registered):
    execution = _schedule(registered, scheduleToStartTimeout="1")

    wait_for_event(registered, execution, "ActivityTaskTimedOut")
    task = poll_decision(registered)

    assert task["events"][-3]["eventType"] == "ActivityTaskTimedOut"


def test_decision_start_to_close_timeout_reschedules(registered):
    execution = start(registered, taskStartToCloseTimeout="1")
    task = poll_decision(registered)

    timed_out = wait_for_event(registered, execution, "DecisionTaskTimedOut")

    assert timed_out["timeoutType"] == "START_TO_CLOSE"
    assert timed_out["startedEventId"] == task["startedEventId"]
    assert event_types(registered, execution)[-1] == "DecisionTaskScheduled"
    with pytest.raises(registered.exceptions.UnknownResourceFault):
        decide(registered, task)


def test_execution_timeout_closes_timed_out(registered):
    execution = start(registered, executionStartToCloseTimeout="1")

    timed_out = wait_for_event(registered, execution, "WorkflowExecutionTimedOut")

    info = describe(registered, execution)["executionInfo"]
    assert timed_out["timeoutType"] == "START_TO_CLOSE"
    assert timed_out["childPolicy"] == "TERMINATE"
    assert info["closeStatus"] == "TIMED_OUT"


def test_completed_activity_never_times_out(registered):
    execution = _schedule(registered, startToCloseTimeout="1")
    task = poll_activity(registered)

    registered.respond_activity_task_completed(taskToken=task["taskToken"])
    time.sleep(1.5)

    assert "ActivityTaskTimedOut" not in event_types(registered, execution)


def test_restarted_engine_fires_missed_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'engine.db'}"
    engine = Engine(url, settings=TEST_SETTINGS)
    swf = connect(engine)
    register(swf)
    execution = _schedule(swf, scheduleToStartTimeout="1")
    engine.close()
    time.sleep(1.5)

    restarted = Engine(url, settings=TEST_SETTINGS)
    restarted.start()
    try:
        timed_out = wait_for_event(
            connect(restarted), execution, "ActivityTaskTimedOut"
        )
    finally:
        restarted.close()

    assert timed_out["timeoutType"] == "SCHEDULE_TO_START"


def test_restarted_engine_resumes_pending_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'engine.db'}"
    settings = EngineSettings(long_poll_timeout=timedelta(seconds=2))
    engine = Engine(url, settings=settings)
    engine.start()
    swf = connect(engine)
    register(swf)
    execution = _schedule(swf, scheduleToStartTimeout="2")
    engine.close()

    restarted = Engine(url, settings=settings)
    restarted.start()
    try:
        swf = connect(restarted)
        pending = event_types(swf, execution)
        timed_out = wait_for_event(swf, execution, "ActivityTaskTimedOut")
    finally:
        restarted.close()

    assert "ActivityTaskTimedOut" not in pending
    assert timed_out["timeoutType"] == "SCHEDULE_TO_START"


class ManualClock:
    """A clock that moves only when the test advances it."""

    def __init__(self) -> None:
        self._now = datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def test_timeouts_follow_injected_clock(tmp_path):
    clock = ManualClock()
    settings = EngineSettings(
        long_poll_timeout=timedelta(seconds=2),
        deadline_recheck_interval=timedelta(milliseconds=100),
    )
    engine = Engine(
        f"sqlite:///{tmp_path / 'clock.db'}", settings=settings, clock=clock
    )
    engine.start()
    try:
        swf = connect(engine)
        register(swf)
        execution = _schedule(
            swf, scheduleToStartTimeout="1000", scheduleToCloseTimeout="2000"
        )
        time.sleep(0.5)
        before = event_types(swf, execution)

        clock.advance(timedelta(seconds=1001))
        timed_out = wait_for_event(swf, execution, "ActivityTaskTimedOut")
    finally:
        engine.close()

    assert "ActivityTaskTimedOut" not in before
    assert timed_out["timeoutType"] == "SCHEDULE_TO_START"


def test_decision_schedule_to_start_timeout(registered):
    execution = start(registered)

    decide(
        registered,
        poll_decision(registered),
        decision("StartTimer", timerId="t", startToFireTimeout="0"),
        taskListScheduleToStartTimeout="1",
    )

    timed_out = wait_for_event(registered, execution, "DecisionTaskTimedOut")
    assert timed_out["timeoutType"] == "SCHEDULE_TO_START"
    assert timed_out["startedEventId"] == 0

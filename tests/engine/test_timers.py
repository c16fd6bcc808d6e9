"""Timers: start, fire, cancel and their failure causes."""

from __future__ import annotations

import pytest

from tests.engine.scenario import (
    DOMAIN,
    decide,
    decision,
    describe,
    event_types,
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


def _timer(timer_id: str, seconds: str) -> dict:
    return decision("StartTimer", timerId=timer_id, startToFireTimeout=seconds)


def test_timer_fires_and_schedules_decision(registered):
    execution = start(registered)
    decide(registered, poll_decision(registered), _timer("t-1", "1"))

    fired = wait_for_event(registered, execution, "TimerFired")

    started = last_event(registered, execution, "TimerStarted")
    assert fired["timerId"] == "t-1"
    assert started["startToFireTimeout"] == "1"
    assert event_types(registered, execution)[-1] == "DecisionTaskScheduled"


def test_timer_started_event_id_links_fired(registered):
    execution = start(registered)
    decide(registered, poll_decision(registered), _timer("t-1", "1"))

    fired = wait_for_event(registered, execution, "TimerFired")

    events = registered.get_workflow_execution_history(
        domain=DOMAIN, execution=execution
    )["events"]
    started_ids = [e["eventId"] for e in events if e["eventType"] == "TimerStarted"]
    assert fired["startedEventId"] == started_ids[0]


def test_cancel_timer_prevents_firing(registered):
    execution = start(registered)
    decide(registered, poll_decision(registered), _timer("t-1", "1"))
    registered.signal_workflow_execution(
        domain=DOMAIN, workflowId="wf-1", signalName="s"
    )

    decide(
        registered, poll_decision(registered), decision("CancelTimer", timerId="t-1")
    )

    canceled = last_event(registered, execution, "TimerCanceled")
    assert canceled["timerId"] == "t-1"
    assert describe(registered, execution)["openCounts"]["openTimers"] == 0
    wait_for_event(registered, execution, "DecisionTaskScheduled")
    assert "TimerFired" not in event_types(registered, execution)


def test_cancel_unknown_timer_fails_id_unknown(registered):
    execution = start(registered)

    decide(registered, poll_decision(registered), decision("CancelTimer", timerId="x"))

    assert last_event(registered, execution, "CancelTimerFailed")["cause"] == (
        "TIMER_ID_UNKNOWN"
    )


def test_start_open_timer_id_fails_in_use(registered):
    execution = start(registered)

    decide(
        registered, poll_decision(registered), _timer("t-1", "60"), _timer("t-1", "60")
    )

    assert last_event(registered, execution, "StartTimerFailed")["cause"] == (
        "TIMER_ID_ALREADY_IN_USE"
    )
    assert describe(registered, execution)["openCounts"]["openTimers"] == 1


def test_timer_id_reusable_after_fired(registered):
    execution = start(registered)
    decide(registered, poll_decision(registered), _timer("t-1", "0"))
    wait_for_event(registered, execution, "TimerFired")

    decide(registered, poll_decision(registered), _timer("t-1", "60"))

    assert "StartTimerFailed" not in event_types(registered, execution)

"""SWF's core rules: decision task scheduling, close rules, polls, retention."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.engine.conftest import TEST_SETTINGS, make_client
from tests.engine.scenario import (
    ACTIVITY_LIST,
    DECISION_LIST,
    DOMAIN,
    complete,
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
from vwf.engine import Engine, EngineSettings, connect


@pytest.fixture
def registered(swf):
    register(swf)
    return swf


def _signal(swf, name: str = "s") -> None:
    swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName=name)


def test_events_before_poll_share_one_decision_task(registered):
    execution = start(registered)
    for _ in range(3):
        _signal(registered)

    assert event_types(registered, execution).count("DecisionTaskScheduled") == 1
    assert (
        registered.count_pending_decision_tasks(domain=DOMAIN, taskList=DECISION_LIST)[
            "count"
        ]
        == 1
    )


def test_events_while_started_give_one_new_task(registered):
    execution = start(registered)
    task = poll_decision(registered)
    _signal(registered)
    _signal(registered)
    scheduled_while_started = event_types(registered, execution).count(
        "DecisionTaskScheduled"
    )

    decide(registered, task)

    assert scheduled_while_started == 1
    assert event_types(registered, execution).count("DecisionTaskScheduled") == 2
    assert event_types(registered, execution)[-1] == "DecisionTaskScheduled"


def test_no_event_while_started_gives_no_new_task(registered):
    execution = start(registered)

    decide(
        registered, poll_decision(registered), decision("RecordMarker", markerName="m")
    )

    assert event_types(registered, execution).count("DecisionTaskScheduled") == 1
    assert describe(registered, execution)["openCounts"]["openDecisionTasks"] == 0


@pytest.mark.parametrize(
    ("close", "failed_event"),
    [
        (complete(), "CompleteWorkflowExecutionFailed"),
        (decision("FailWorkflowExecution"), "FailWorkflowExecutionFailed"),
        (decision("CancelWorkflowExecution"), "CancelWorkflowExecutionFailed"),
        (
            decision("ContinueAsNewWorkflowExecution"),
            "ContinueAsNewWorkflowExecutionFailed",
        ),
    ],
    ids=["complete", "fail", "cancel", "continue-as-new"],
)
def test_close_with_new_events_fails_unhandled(registered, close, failed_event):
    execution = start(registered)
    task = poll_decision(registered)
    _signal(registered)

    decide(registered, task, close)

    failed = last_event(registered, execution, failed_event)
    assert failed["cause"] == "UNHANDLED_DECISION"
    assert describe(registered, execution)["executionInfo"]["executionStatus"] == "OPEN"
    assert event_types(registered, execution)[-1] == "DecisionTaskScheduled"


def test_close_after_handling_events_succeeds(registered):
    execution = start(registered)
    task = poll_decision(registered)
    _signal(registered)
    decide(registered, task, complete())

    decide(registered, poll_decision(registered), complete())

    assert (
        describe(registered, execution)["executionInfo"]["closeStatus"] == "COMPLETED"
    )


def test_nothing_appended_after_close(registered):
    execution = start(registered)
    decide(
        registered,
        poll_decision(registered),
        decision("StartTimer", timerId="t", startToFireTimeout="1"),
        schedule_activity("a-1", scheduleToStartTimeout="1"),
    )
    _signal(registered)
    decide(registered, poll_decision(registered), complete())

    time.sleep(2)

    assert event_types(registered, execution)[-1] == "WorkflowExecutionCompleted"
    assert (
        registered.count_pending_activity_tasks(domain=DOMAIN, taskList=ACTIVITY_LIST)[
            "count"
        ]
        == 0
    )


def test_completed_decision_token_raises_unknown_resource(registered):
    execution = start(registered)
    task = poll_decision(registered)
    decide(registered, task)
    before = event_types(registered, execution)

    with pytest.raises(registered.exceptions.UnknownResourceFault):
        decide(registered, task, complete())

    assert event_types(registered, execution) == before


def test_empty_polls_have_documented_shape(registered):
    decision_task = registered.poll_for_decision_task(
        domain=DOMAIN, taskList=DECISION_LIST
    )
    activity_task = registered.poll_for_activity_task(
        domain=DOMAIN, taskList=ACTIVITY_LIST
    )

    decision_task.pop("ResponseMetadata")
    activity_task.pop("ResponseMetadata")
    assert decision_task == {"startedEventId": 0, "previousStartedEventId": 0}
    assert activity_task == {"startedEventId": 0}


def test_waiting_poll_returns_when_work_arrives(harness, registered):
    poller = make_client(harness)
    started_at = time.monotonic()
    timer = threading.Timer(0.5, lambda: start(registered))
    timer.start()

    task = poll_decision(poller)

    timer.join()
    assert task["events"][0]["eventType"] == "WorkflowExecutionStarted"
    assert time.monotonic() - started_at < TEST_SETTINGS.long_poll_timeout.seconds


def test_each_activity_goes_to_one_poller(harness, registered):
    execution = start(registered)
    decide(
        registered,
        poll_decision(registered),
        *(schedule_activity(f"a-{i}") for i in range(12)),
    )
    clients = [make_client(harness) for _ in range(6)]

    def drain(swf) -> list[str]:
        received = []
        while True:
            task = swf.poll_for_activity_task(domain=DOMAIN, taskList=ACTIVITY_LIST)
            if not task.get("taskToken"):
                return received
            received.append(task["activityId"])

    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(drain, clients))

    received = [activity_id for result in results for activity_id in result]
    assert sorted(received) == sorted(f"a-{i}" for i in range(12))
    assert event_types(registered, execution).count("ActivityTaskStarted") == 12


def test_each_decision_task_goes_to_one_poller(harness, registered):
    for index in range(8):
        start(registered, f"wf-{index}")
    clients = [make_client(harness) for _ in range(4)]

    def drain(swf) -> list[str]:
        received = []
        while True:
            task = swf.poll_for_decision_task(domain=DOMAIN, taskList=DECISION_LIST)
            if not task.get("taskToken"):
                return received
            received.append(task["workflowExecution"]["workflowId"])

    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(drain, clients))

    received = [workflow_id for result in results for workflow_id in result]
    assert sorted(received) == sorted(f"wf-{i}" for i in range(8))


class _Vanished(Exception):
    """The poller's connection closed before the task was delivered."""


def _vanish(response):
    raise _Vanished()


def test_failed_delivery_leaves_activity_scheduled(engine, registered):
    execution = start(registered)
    decide(registered, poll_decision(registered), schedule_activity("a-1"))
    request = {"domain": DOMAIN, "taskList": ACTIVITY_LIST}

    with pytest.raises(_Vanished):
        engine.handle("PollForActivityTask", request, deliver=_vanish)
    task = poll_activity(registered)

    assert task["activityId"] == "a-1"
    assert event_types(registered, execution).count("ActivityTaskStarted") == 1


def test_failed_delivery_leaves_decision_scheduled(engine, registered):
    execution = start(registered)
    request = {"domain": DOMAIN, "taskList": DECISION_LIST}

    with pytest.raises(_Vanished):
        engine.handle("PollForDecisionTask", request, deliver=_vanish)
    task = poll_decision(registered)

    assert task["workflowExecution"] == execution
    assert event_types(registered, execution).count("DecisionTaskStarted") == 1


def test_task_tokens_are_unique_per_attempt(registered):
    start(registered, taskStartToCloseTimeout="1")
    first = poll_decision(registered)

    second = poll_decision(registered)

    assert second["taskToken"] != first["taskToken"]
    assert len(first["taskToken"]) >= 40


@pytest.mark.parametrize(
    "database",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def test_engine_on_shared_database_sees_other_engines_tasks(
    request, tmp_path, database
):
    if database == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    settings = EngineSettings(
        long_poll_timeout=timedelta(seconds=3),
        poll_recheck_interval=timedelta(milliseconds=200),
    )
    scheduler, poller = Engine(url, settings=settings), Engine(url, settings=settings)
    try:
        register(connect(scheduler))
        polling = ThreadPoolExecutor(1).submit(poll_decision, connect(poller))
        time.sleep(0.5)

        execution = start(connect(scheduler))

        assert polling.result(timeout=10)["workflowExecution"] == execution
    finally:
        scheduler.close()
        poller.close()


def test_connected_clients_stay_on_their_engine(tmp_path):
    first = Engine(f"sqlite:///{tmp_path / 'a.db'}", settings=TEST_SETTINGS)
    second = Engine(f"sqlite:///{tmp_path / 'b.db'}", settings=TEST_SETTINGS)
    try:
        connect(first).register_domain(
            name="only-a", workflowExecutionRetentionPeriodInDays="1"
        )

        listed = connect(second).list_domains(registrationStatus="REGISTERED")

        assert listed["domainInfos"] == []
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(("retention", "purged"), [("0", True), ("1", False)])
def test_retention_purges_closed_executions(tmp_path, retention, purged):
    settings = EngineSettings(
        long_poll_timeout=timedelta(seconds=2),
        purge_interval=timedelta(milliseconds=200),
    )
    engine = Engine(f"sqlite:///{tmp_path / 'purge.db'}", settings=settings)
    engine.start()
    try:
        swf = connect(engine)
        register(swf)
        swf.register_domain(
            name="short", workflowExecutionRetentionPeriodInDays=retention
        )
        swf.register_workflow_type(
            domain="short",
            name="w",
            version="1",
            defaultTaskList=DECISION_LIST,
            defaultTaskStartToCloseTimeout="30",
            defaultExecutionStartToCloseTimeout="60",
            defaultChildPolicy="TERMINATE",
        )
        run_id = swf.start_workflow_execution(
            domain="short", workflowId="wf", workflowType={"name": "w", "version": "1"}
        )["runId"]
        open_one = start(swf)
        swf.terminate_workflow_execution(domain="short", workflowId="wf")
        time.sleep(1)

        try:
            swf.describe_workflow_execution(
                domain="short", execution={"workflowId": "wf", "runId": run_id}
            )
            found = True
        except swf.exceptions.UnknownResourceFault:
            found = False

        assert found is not purged
        assert describe(swf, open_one)["executionInfo"]["executionStatus"] == "OPEN"
    finally:
        engine.close()

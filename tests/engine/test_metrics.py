"""The engine's Prometheus metrics, on a real SQLite engine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vwf.engine import Engine, EngineSettings, connect


@pytest.fixture
def engine(tmp_path):
    engine = Engine(
        f"sqlite:///{tmp_path / 'engine.db'}",
        settings=EngineSettings(long_poll_timeout=timedelta(seconds=1)),
    )
    engine.start()
    yield engine
    engine.close()


@pytest.fixture
def client(engine):
    client = connect(engine)
    client.register_domain(name="d", workflowExecutionRetentionPeriodInDays="1")
    client.register_workflow_type(
        domain="d",
        name="W",
        version="1",
        defaultTaskList={"name": "deciders"},
        defaultExecutionStartToCloseTimeout="300",
        defaultTaskStartToCloseTimeout="30",
        defaultChildPolicy="TERMINATE",
    )
    client.register_activity_type(
        domain="d",
        name="Transcode",
        version="1",
        defaultTaskList={"name": "transcode"},
        defaultTaskScheduleToStartTimeout="300",
        defaultTaskStartToCloseTimeout="300",
        defaultTaskScheduleToCloseTimeout="600",
        defaultTaskHeartbeatTimeout="NONE",
    )
    return client


def _schedule_one_activity(client):
    client.start_workflow_execution(
        domain="d", workflowId="w1", workflowType={"name": "W", "version": "1"}
    )
    task = client.poll_for_decision_task(domain="d", taskList={"name": "deciders"})
    client.respond_decision_task_completed(
        taskToken=task["taskToken"],
        decisions=[
            {
                "decisionType": "ScheduleActivityTask",
                "scheduleActivityTaskDecisionAttributes": {
                    "activityType": {"name": "Transcode", "version": "1"},
                    "activityId": "a1",
                },
            }
        ],
    )


def _value(engine, name, labels):
    return engine.metrics.registry.get_sample_value(name, labels)


def test_metrics_queue_depth_per_task_list(engine, client):
    _schedule_one_activity(client)

    labels = {"kind": "activity", "domain": "d", "task_list": "transcode"}
    assert _value(engine, "vwf_engine_tasks", {**labels, "status": "scheduled"}) == 1
    open_labels = {"domain": "d", "workflow_type": "W"}
    assert _value(engine, "vwf_engine_open_executions", open_labels) == 1


def test_metrics_count_activity_outcomes(engine, client):
    _schedule_one_activity(client)
    task = client.poll_for_activity_task(domain="d", taskList={"name": "transcode"})
    client.respond_activity_task_failed(taskToken=task["taskToken"], reason="boom")

    def count(outcome):
        labels = {"activity_type": "Transcode", "outcome": outcome}
        return _value(engine, "vwf_engine_activity_tasks_total", labels)

    assert count("scheduled") == 1
    assert count("started") == 1
    assert count("failed") == 1
    assert count("completed") is None


def test_metrics_time_every_operation(engine, client):
    client.poll_for_activity_task(domain="d", taskList={"name": "empty"})

    labels = {"operation": "PollForActivityTask"}
    assert _value(engine, "vwf_engine_request_seconds_count", labels) == 1
    assert _value(engine, "vwf_engine_request_seconds_sum", labels) >= 1.0

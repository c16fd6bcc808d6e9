"""Listing and counting executions with SWF's filters."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.engine.scenario import (
    DOMAIN,
    WORKFLOW,
    complete,
    decide,
    error_code,
    poll_decision,
    register,
    start,
)

ANY_TIME = {"oldestDate": 0}


@pytest.fixture
def executions(swf):
    """Three open executions (one tagged) and two closed ones."""
    register(swf)
    swf.register_workflow_type(domain=DOMAIN, name="other", version="1")
    start(swf, "open-1", tagList=["family"])
    start(swf, "open-2")
    start(
        swf,
        "open-3",
        workflowType={"name": "other", "version": "1"},
        taskList={"name": "deciders"},
        executionStartToCloseTimeout="60",
        taskStartToCloseTimeout="10",
        childPolicy="ABANDON",
    )
    start(swf, "done")
    start(swf, "killed")
    swf.terminate_workflow_execution(domain=DOMAIN, workflowId="killed")
    for _ in range(4):
        task = poll_decision(swf)
        if task["workflowExecution"]["workflowId"] == "done":
            decide(swf, task, complete())
            break
        decide(swf, task)
    return swf


def _open_ids(swf, **filters):
    infos = swf.list_open_workflow_executions(
        domain=DOMAIN, startTimeFilter=ANY_TIME, **filters
    )["executionInfos"]
    return sorted(info["execution"]["workflowId"] for info in infos)


def _closed_ids(swf, **filters):
    if "closeTimeFilter" not in filters:
        filters["startTimeFilter"] = ANY_TIME
    infos = swf.list_closed_workflow_executions(domain=DOMAIN, **filters)[
        "executionInfos"
    ]
    return sorted(info["execution"]["workflowId"] for info in infos)


def test_list_open_returns_open_only(executions):
    assert _open_ids(executions) == ["open-1", "open-2", "open-3"]


def test_list_open_by_tag(executions):
    assert _open_ids(executions, tagFilter={"tag": "family"}) == ["open-1"]


def test_list_open_by_type(executions):
    ids = _open_ids(executions, typeFilter={"name": "other"})

    assert ids == ["open-3"]


def test_list_open_by_type_and_version(executions):
    ids = _open_ids(executions, typeFilter=WORKFLOW)

    assert ids == ["open-1", "open-2"]


def test_list_open_by_workflow_id(executions):
    assert _open_ids(executions, executionFilter={"workflowId": "open-2"}) == ["open-2"]


def test_list_closed_by_close_status(executions):
    completed = _closed_ids(executions, closeStatusFilter={"status": "COMPLETED"})
    terminated = _closed_ids(executions, closeStatusFilter={"status": "TERMINATED"})

    assert completed == ["done"]
    assert terminated == ["killed"]


def test_list_closed_by_close_time(executions):
    ids = _closed_ids(executions, closeTimeFilter={"oldestDate": 0})

    assert ids == ["done", "killed"]


def test_list_open_future_start_filter_is_empty(executions):
    later = {"oldestDate": time.time() + 3600}

    infos = executions.list_open_workflow_executions(
        domain=DOMAIN, startTimeFilter=later
    )["executionInfos"]

    assert infos == []


def test_list_closed_info_has_close_fields(executions):
    [info] = executions.list_closed_workflow_executions(
        domain=DOMAIN,
        startTimeFilter=ANY_TIME,
        executionFilter={"workflowId": "done"},
    )["executionInfos"]

    assert info["executionStatus"] == "CLOSED"
    assert info["closeStatus"] == "COMPLETED"
    assert "closeTimestamp" in info


def test_counts_match_lists(executions):
    open_count = executions.count_open_workflow_executions(
        domain=DOMAIN, startTimeFilter=ANY_TIME
    )
    closed_count = executions.count_closed_workflow_executions(
        domain=DOMAIN,
        closeTimeFilter=ANY_TIME,
        closeStatusFilter={"status": "COMPLETED"},
    )

    assert open_count["count"] == 3
    assert open_count["truncated"] is False
    assert closed_count["count"] == 1


def test_two_exclusive_filters_raise_validation(executions):
    with pytest.raises(ClientError) as excinfo:
        executions.list_open_workflow_executions(
            domain=DOMAIN,
            startTimeFilter=ANY_TIME,
            tagFilter={"tag": "family"},
            executionFilter={"workflowId": "open-1"},
        )

    assert error_code(excinfo) == "ValidationException"


def test_closed_needs_exactly_one_time_filter(executions):
    with pytest.raises(ClientError) as both:
        executions.list_closed_workflow_executions(
            domain=DOMAIN, startTimeFilter=ANY_TIME, closeTimeFilter=ANY_TIME
        )
    with pytest.raises(ClientError) as neither:
        executions.count_closed_workflow_executions(domain=DOMAIN)

    assert error_code(both) == "ValidationException"
    assert error_code(neither) == "ValidationException"


def test_unknown_domain_raises_unknown_resource(executions):
    with pytest.raises(executions.exceptions.UnknownResourceFault):
        executions.list_open_workflow_executions(
            domain="missing", startTimeFilter=ANY_TIME
        )

"""Page tokens: histories, decision tasks and lists."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from tests.engine.scenario import (
    DECISION_LIST,
    DOMAIN,
    decide,
    error_code,
    history,
    poll_decision,
    register,
    start,
)


@pytest.fixture
def long_history(swf):
    """An open execution with 25 events and a scheduled decision task."""
    register(swf)
    execution = start(swf)
    for index in range(23):
        swf.signal_workflow_execution(
            domain=DOMAIN, workflowId="wf-1", signalName=f"s{index}"
        )
    return execution


def test_history_pages_cover_every_event_once(swf, long_history):
    first = swf.get_workflow_execution_history(
        domain=DOMAIN, execution=long_history, maximumPageSize=10
    )

    events = history(swf, long_history, maximumPageSize=10)

    assert len(first["events"]) == 10
    assert [e["eventId"] for e in events] == list(range(1, 26))


def test_history_reverse_order(swf, long_history):
    events = history(swf, long_history, maximumPageSize=7, reverseOrder=True)

    assert [e["eventId"] for e in events] == list(range(25, 0, -1))


def test_decision_task_pages_share_token_and_ids(swf, long_history):
    first = poll_decision(swf, maximumPageSize=10)
    pages = [first]
    while "nextPageToken" in pages[-1]:
        pages.append(
            swf.poll_for_decision_task(
                domain=DOMAIN,
                taskList=DECISION_LIST,
                maximumPageSize=10,
                nextPageToken=pages[-1]["nextPageToken"],
            )
        )

    event_ids = [e["eventId"] for page in pages for e in page["events"]]
    assert len(pages) == 3
    assert event_ids == list(range(1, first["startedEventId"] + 1))
    for page in pages:
        assert page["taskToken"] == first["taskToken"]
        assert page["startedEventId"] == first["startedEventId"]
        assert page["previousStartedEventId"] == first["previousStartedEventId"]


def test_decision_task_later_pages_exclude_newer_events(swf, long_history):
    first = poll_decision(swf, maximumPageSize=20)
    swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName="late")

    second = swf.poll_for_decision_task(
        domain=DOMAIN,
        taskList=DECISION_LIST,
        maximumPageSize=20,
        nextPageToken=first["nextPageToken"],
    )

    assert second["events"][-1]["eventId"] == first["startedEventId"]
    decide(swf, first)


def test_previous_started_event_id_after_completion(swf, long_history):
    first = poll_decision(swf)
    decide(swf, first)
    swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName="next")

    second = poll_decision(swf)

    assert second["previousStartedEventId"] == first["startedEventId"]


def test_forged_history_token_raises_validation(swf, long_history):
    forged = base64.urlsafe_b64encode(json.dumps({"q": "x", "p": [1]}).encode())

    with pytest.raises(ClientError) as excinfo:
        swf.get_workflow_execution_history(
            domain=DOMAIN, execution=long_history, nextPageToken=forged.decode()
        )

    assert error_code(excinfo) == "ValidationException"


@pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", "W10="])
def test_garbage_list_token_raises_validation(local_swf, token):
    with pytest.raises(ClientError) as excinfo:
        local_swf.list_domains(registrationStatus="REGISTERED", nextPageToken=token)

    assert error_code(excinfo) == "ValidationException"


def test_token_from_other_query_raises_validation(swf, long_history):
    page = swf.get_workflow_execution_history(
        domain=DOMAIN, execution=long_history, maximumPageSize=5
    )

    with pytest.raises(ClientError) as excinfo:
        swf.get_workflow_execution_history(
            domain=DOMAIN,
            execution=long_history,
            reverseOrder=True,
            nextPageToken=page["nextPageToken"],
        )

    assert error_code(excinfo) == "ValidationException"


def test_open_executions_page_newest_first(swf):
    register(swf)
    started = [start(swf, f"wf-{i}") for i in range(5)]

    infos, token = [], None
    while True:
        request = {"nextPageToken": token} if token else {}
        page = swf.list_open_workflow_executions(
            domain=DOMAIN,
            startTimeFilter={"oldestDate": 0},
            maximumPageSize=2,
            **request,
        )
        infos.extend(page["executionInfos"])
        token = page.get("nextPageToken")
        if not token:
            break

    assert [info["execution"] for info in infos] == started[::-1]

"""The happy path and a retry path over HTTP and on PostgreSQL.

The other tests use the in-process client on SQLite; ``test_moto.py`` covers
an independent SWF implementation.
"""

from __future__ import annotations

import json

import pytest

from tests.workflow.conftest import attributes, definition, events_of, running, stage
from vwf.workflow import ActivityContext

TRANSPORTS = [
    "http_swf",
    pytest.param("postgres_swf", marks=pytest.mark.postgres),
]


def echo(name: str):
    def activity(input: dict, context: ActivityContext) -> dict:
        return {"stage": name, "seen": sorted(input)}

    return activity


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_diamond_completes(transport, request):
    swf = request.getfixturevalue(transport)
    workflow = definition(
        swf.domain, stage("A"), stage("B", "A"), stage("C", "A"), stage("D", "B", "C")
    )

    with running(swf, workflow, {name: echo(name) for name in "ABCD"}):
        execution = swf.start(workflow, {"media_id": "m1"})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    result = json.loads(attributes(swf.history(execution)[-1])["result"])
    assert result["stages"]["D"]["result"] == {
        "stage": "D",
        "seen": ["B", "C", "media_id"],
    }


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_failure_retried(transport, request):
    swf = request.getfixturevalue(transport)
    workflow = definition(swf.domain, stage("A", failure_retries=1))

    def fails_once(input: dict, context: ActivityContext) -> dict:
        if context.attempt == 1:
            raise RuntimeError("first attempt fails")
        return {}

    with running(swf, workflow, {"A": fails_once}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert len(events_of(swf.history(execution), "ActivityTaskFailed")) == 1

"""The reconciler on the embedded engine: real executions that time out or are
terminated while no decider runs."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from vwf.engine import Engine, EngineSettings, connect
from vwf.library import Library, MediaStatus
from vwf.pipeline._runtime import pipeline_definitions
from vwf.service._reconcile import reconcile
from vwf.workflow import register


@pytest.fixture
def world(tmp_path, settings):
    engine = Engine(
        f"sqlite:///{tmp_path / 'engine.db'}",
        settings=EngineSettings(long_poll_timeout=timedelta(seconds=1)),
    )
    engine.start()
    client = connect(engine)
    definition = pipeline_definitions(settings)[0]
    register(client, definition, timedelta(days=1))
    library = Library(settings.library_url)
    library.migrate()
    user = library.users.get_or_create("ada@example.com")
    yield client, library, definition, user
    library.dispose()
    engine.close()


def _start(client, definition, media, timeout="300"):
    return client.start_workflow_execution(
        domain=definition.domain,
        workflowId=str(media.id),
        workflowType={"name": definition.name, "version": definition.version},
        input=json.dumps({"media_id": str(media.id)}),
        executionStartToCloseTimeout=timeout,
    )["runId"]


def _new_media(library, user, digest):
    return library.media.create(user.id, content_hash=digest * 64, source="x.mp4")


def _wait_closed(client, definition, media, run_id):
    execution = {"workflowId": str(media.id), "runId": run_id}
    for _ in range(100):
        info = client.describe_workflow_execution(
            domain=definition.domain, execution=execution
        )["executionInfo"]
        if info["executionStatus"] == "CLOSED":
            return info["closeStatus"]
        time.sleep(0.1)
    raise TimeoutError(f"execution {execution} did not close")


def test_reconcile_fails_media_of_timed_out_run(world):
    client, library, definition, user = world
    media = _new_media(library, user, "a")
    run_id = _start(client, definition, media, timeout="1")

    assert _wait_closed(client, definition, media, run_id) == "TIMED_OUT"
    changed = reconcile(client, library, definition.domain)

    assert [item.media_id for item in changed] == [str(media.id)]
    record = library.media.get(user.id, media.id)
    assert record.status is MediaStatus.FAILED
    assert "timed out" in record.failure_reason


def test_reconcile_fails_media_of_terminated_run(world):
    client, library, definition, user = world
    media = _new_media(library, user, "b")
    _start(client, definition, media)
    client.terminate_workflow_execution(
        domain=definition.domain, workflowId=str(media.id), reason="operator"
    )

    reconcile(client, library, definition.domain)

    record = library.media.get(user.id, media.id)
    assert record.status is MediaStatus.FAILED
    assert "terminated" in record.failure_reason


def test_reconcile_leaves_open_and_finished_media(world):
    client, library, definition, user = world
    running = _new_media(library, user, "c")
    _start(client, definition, running)
    failed = _new_media(library, user, "d")
    library.media.set_status(user.id, failed.id, MediaStatus.FAILED, "bad file")
    _start(client, definition, failed)
    client.terminate_workflow_execution(
        domain=definition.domain, workflowId=str(failed.id)
    )

    changed = reconcile(client, library, definition.domain)

    assert changed == []
    assert library.media.get(user.id, running.id).status is MediaStatus.PENDING
    assert library.media.get(user.id, failed.id).failure_reason == "bad file"


def test_reconcile_ignores_closed_run_behind_open_one(world):
    client, library, definition, user = world
    media = _new_media(library, user, "e")
    _start(client, definition, media)
    client.terminate_workflow_execution(
        domain=definition.domain, workflowId=str(media.id)
    )
    time.sleep(0.01)
    _start(client, definition, media)

    changed = reconcile(client, library, definition.domain)

    assert changed == []
    assert library.media.get(user.id, media.id).status is MediaStatus.PENDING


def test_reconcile_is_idempotent(world):
    client, library, definition, user = world
    media = _new_media(library, user, "f")
    _start(client, definition, media)
    client.terminate_workflow_execution(
        domain=definition.domain, workflowId=str(media.id)
    )

    first = reconcile(client, library, definition.domain)
    second = reconcile(client, library, definition.domain)

    assert len(first) == 1
    assert second == []

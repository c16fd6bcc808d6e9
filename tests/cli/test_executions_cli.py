"""`vwf status`, `list`, `history`, `cancel`, `retry` and `reconcile` on the
embedded engine in VWF_HOME."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from vwf.cli import main
from vwf.config import load_settings
from vwf.library import Library
from vwf.pipeline._runtime import pipeline_definitions
from vwf.workflow import open_swf_client, register


@pytest.fixture
def open_execution(vwf_home):
    """An open video workflow execution with no decider running."""
    settings = load_settings()
    library = Library(settings.library_url)
    library.migrate()
    user = library.users.get_or_create("ada@example.com")
    media = library.media.create(user.id, content_hash="a" * 64, source="x.mp4")
    library.dispose()
    definition = pipeline_definitions(settings)[0]
    with open_swf_client(settings) as connection:
        register(connection.client, definition, timedelta(days=1))
        connection.client.start_workflow_execution(
            domain=definition.domain,
            workflowId=str(media.id),
            workflowType={"name": definition.name, "version": definition.version},
            input=json.dumps({"media_id": str(media.id), "user_id": str(user.id)}),
        )
    return str(media.id)


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_list_shows_open_execution(open_execution):
    result = _run("list")

    assert result.exit_code == 0
    assert open_execution in result.output
    assert "OPEN" in result.output


def test_status_shows_stages_and_media(open_execution):
    result = _run("status", open_execution, "--json")

    status = json.loads(result.output)
    assert status["status"] == "OPEN"
    assert status["media"]["status"] == "pending"
    assert [s["stage"] for s in status["stages"]][0] == "Transcode"


def test_status_unknown_id_is_clear(open_execution):
    result = _run("status", "no-such-workflow")

    assert result.exit_code == 1
    assert "no execution with workflow id no-such-workflow" in result.output


def test_status_unregistered_domain_is_clear(vwf_home):
    result = _run("status", "no-such-workflow")

    assert result.exit_code == 1
    assert "UnknownResourceFault" in result.output
    assert "RegisterDomain" in result.output


def test_history_prints_events(open_execution):
    result = _run("history", open_execution)

    assert result.exit_code == 0
    assert "WorkflowExecutionStarted" in result.output.splitlines()[0]


def test_history_json_has_iso_times(open_execution):
    result = _run("history", open_execution, "--json")

    events = json.loads(result.output)
    assert events[0]["eventType"] == "WorkflowExecutionStarted"
    assert "T" in events[0]["eventTimestamp"]


def test_cancel_records_cancel_request(open_execution):
    result = _run("cancel", open_execution)
    history = _run("history", open_execution)

    assert result.exit_code == 0
    assert "WorkflowExecutionCancelRequested" in history.output


def test_retry_sends_retry_signal(open_execution):
    result = _run("retry", "FaceDetect", open_execution)
    history = _run("history", open_execution)

    assert result.exit_code == 0
    assert "signalName=retry" in history.output


def test_retry_closed_execution_starts_new_run(open_execution):
    settings = load_settings()
    with open_swf_client(settings) as connection:
        connection.client.terminate_workflow_execution(
            domain=settings.domain, workflowId=open_execution
        )
    _run("reconcile")

    result = _run("retry", "Transcode", open_execution)
    status = json.loads(_run("status", open_execution, "--json").output)

    assert result.exit_code == 0
    assert f"of {open_execution} from Transcode" in result.output
    assert status["status"] == "OPEN"
    assert status["media"]["status"] == "pending"


def test_retry_unknown_stage_is_rejected(open_execution):
    result = CliRunner().invoke(main, ["retry", "Nope", open_execution])

    assert result.exit_code != 0
    assert "Nope" in result.output


def test_cancel_closed_execution_is_clear(open_execution):
    settings = load_settings()
    with open_swf_client(settings) as connection:
        connection.client.terminate_workflow_execution(
            domain=settings.domain, workflowId=open_execution
        )

    result = _run("cancel", open_execution)

    assert result.exit_code == 1
    assert "is closed (TERMINATED)" in result.output


def test_reconcile_fails_terminated_media(open_execution):
    settings = load_settings()
    with open_swf_client(settings) as connection:
        connection.client.terminate_workflow_execution(
            domain=settings.domain, workflowId=open_execution
        )

    result = _run("reconcile")

    assert result.exit_code == 0
    assert f"{open_execution}: TERMINATED -> media failed" in result.output


def test_list_open_and_closed_together_is_rejected(vwf_home):
    result = CliRunner().invoke(main, ["list", "--open", "--closed"])

    assert result.exit_code == 2
    assert "not both" in result.output

"""``vwf status``, ``list``, ``history``, ``cancel`` and ``retry``: inspect and
steer executions on the configured engine or AWS SWF."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import click

from vwf.cli._params import DURATION
from vwf.errors import VwfError


@contextlib.contextmanager
def _client() -> Iterator[tuple[Any, Any]]:
    from botocore.exceptions import ClientError

    from vwf.config import load_settings
    from vwf.workflow import open_swf_client

    try:
        settings = load_settings()
        with open_swf_client(settings) as connection:
            yield settings, connection.client
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc
    except ClientError as exc:
        error = exc.response["Error"]
        raise click.ClickException(
            f"SWF rejected {exc.operation_name}: {error['Code']}: {error['Message']}"
        ) from exc


@click.command()
@click.argument("workflow_id", metavar="MEDIA_OR_WORKFLOW_ID")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(workflow_id: str, as_json: bool) -> None:
    """Show the newest execution of a workflow id (a media id for videos), its
    stages and the media status."""
    from vwf.service import read_history, stage_progress
    from vwf.service._executions import latest_execution

    with _client() as (settings, client):
        ref = latest_execution(client, settings.domain, workflow_id)
        events = read_history(client, settings.domain, ref.workflow_id, ref.run_id)
        stages = stage_progress(_definition(settings, ref.workflow_type), events)
        media = _media_status(settings, workflow_id)
    if as_json:
        click.echo(json.dumps(_status_json(ref, stages, media), indent=2))
        return
    click.echo(f"workflow {ref.workflow_id} run {ref.run_id}: {ref.status}")
    click.echo(
        f"  type {ref.workflow_type}, started {ref.started_at:%Y-%m-%d %H:%M:%S}"
    )
    if media:
        click.echo(f"  media {media['status']}" + _reason(media.get("reason")))
    for stage in stages:
        click.echo(f"  {stage.stage}: {stage.status}, {stage.attempts} attempt(s)")


@click.command(name="list")
@click.option(
    "--since",
    default="7d",
    show_default=True,
    type=DURATION,
    help="List executions started within this time, e.g. 24h.",
)
@click.option("--open", "open_only", is_flag=True, help="Only open executions.")
@click.option("--closed", "closed_only", is_flag=True, help="Only closed ones.")
def list_command(since: timedelta, open_only: bool, closed_only: bool) -> None:
    """List executions in the domain, newest first."""
    if open_only and closed_only:
        raise click.UsageError("use --open or --closed, not both (neither lists all)")
    from vwf.service._executions import list_executions

    with _client() as (settings, client):
        refs = list_executions(
            client,
            settings.domain,
            since=since,
            open_only=open_only,
            closed_only=closed_only,
        )
    for ref in refs:
        click.echo(
            f"{ref.workflow_id}  {ref.status:<10}  {ref.workflow_type:<26}  "
            f"{ref.started_at:%Y-%m-%d %H:%M:%S}"
        )


@click.command()
@click.argument("workflow_id")
@click.option("--run-id", help="Run to show. [default: the newest run]")
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
def history(workflow_id: str, run_id: str | None, as_json: bool) -> None:
    """Print the event history of an execution, one event per line."""
    from vwf.service import read_history
    from vwf.service._events import event_to_json, format_event
    from vwf.service._executions import latest_execution

    with _client() as (settings, client):
        if run_id is None:
            run_id = latest_execution(client, settings.domain, workflow_id).run_id
        events = _history(client, settings.domain, workflow_id, run_id, read_history)
    if as_json:
        click.echo(json.dumps([event_to_json(e) for e in events], indent=2))
        return
    for event in events:
        click.echo(format_event(event))


@click.command()
@click.argument("workflow_id")
def cancel(workflow_id: str) -> None:
    """Ask the decider to cancel an open execution: running stages are
    cancelled, then the execution."""
    from vwf.service._executions import latest_execution, request_cancel

    with _client() as (settings, client):
        ref = latest_execution(client, settings.domain, workflow_id)
        request_cancel(client, settings.domain, ref)
    click.echo(f"cancel requested for {workflow_id}")


@click.command()
@click.argument("stage")
@click.argument("workflow_id", metavar="MEDIA_OR_WORKFLOW_ID")
def retry(stage: str, workflow_id: str) -> None:
    """Run STAGE again, and the stages after it.

    A closed execution (failed, timed out, canceled) gets a new run that
    reuses the results of the other stages. An open one that waits after a
    stage used up its retries gets a retry signal.
    """
    from vwf.service._executions import latest_execution, signal_retry

    with _client() as (settings, client):
        ref = latest_execution(client, settings.domain, workflow_id)
        definition = _definition(settings, ref.workflow_type)
        stages = [s.name for s in definition.stages]
        if stage not in stages:
            raise click.BadParameter(
                f"unknown stage {stage!r} of {ref.workflow_type}; use one of {stages}",
                param_hint="STAGE",
            )
        if ref.status == "OPEN":
            signal_retry(client, settings.domain, ref, stage)
            click.echo(f"retry of {stage} requested for {workflow_id}")
            return
        run_id = _restart(settings, client, definition, ref, stage)
    click.echo(f"started run {run_id} of {workflow_id} from {stage}")


def _restart(settings, client, definition, ref, stage: str) -> str:
    from vwf.library import Library
    from vwf.service._executions import reopen_media, restart_from_stage

    run_id = restart_from_stage(client, definition, ref, stage)
    library = Library(settings.library_url)
    try:
        reopen_media(library, ref.workflow_id, transcoded=stage != "Transcode")
    finally:
        library.dispose()
    return run_id


def _history(client, domain, workflow_id, run_id, read_history) -> list[dict]:
    from botocore.exceptions import ClientError

    try:
        return read_history(client, domain, workflow_id, run_id)
    except ClientError as exc:
        raise click.ClickException(
            f"no history for workflow {workflow_id} run {run_id}: {exc}"
        ) from exc


def _definition(settings, workflow_type: str):
    from vwf.pipeline._runtime import pipeline_definitions

    for definition in pipeline_definitions(settings):
        if definition.name == workflow_type:
            return definition
    raise click.ClickException(
        f"workflow type {workflow_type} is not a vwf video workflow of deployment "
        f"{settings.deployment or '(default)'}"
    )


def _media_status(settings, media_id: str) -> dict[str, Any] | None:
    from vwf.library import Library, Media
    from vwf.library._scoping import as_uuid
    from vwf.library.errors import NotFoundError

    library = Library(settings.library_url)
    try:
        with library.session() as session:
            row = session.get(Media, as_uuid(media_id, "media"))
            if row is None:
                return None
            return {"status": row.status.value, "reason": row.failure_reason}
    except NotFoundError:
        return None
    finally:
        library.dispose()


def _status_json(ref, stages, media) -> dict[str, Any]:
    return {
        "workflow_id": ref.workflow_id,
        "run_id": ref.run_id,
        "workflow_type": ref.workflow_type,
        "status": ref.status,
        "started_at": ref.started_at.isoformat(),
        "closed_at": ref.closed_at.isoformat() if ref.closed_at else None,
        "media": media,
        "stages": [
            {"stage": s.stage, "status": s.status, "attempts": s.attempts}
            for s in stages
        ],
    }


def _reason(reason: str | None) -> str:
    return f": {reason}" if reason else ""


@click.command()
@click.option(
    "--since",
    default="7d",
    show_default=True,
    type=DURATION,
    help="Look at executions started within this time.",
)
def reconcile(since: timedelta) -> None:
    """Set the status of media whose execution closed without the decider (timed
    out, terminated) from SWF's close status."""
    from vwf.library import Library
    from vwf.service._reconcile import reconcile as reconcile_media

    with _client() as (settings, client):
        library = Library(settings.library_url)
        try:
            changed = reconcile_media(client, library, settings.domain, since=since)
        finally:
            library.dispose()
    for item in changed:
        click.echo(f"{item.media_id}: {item.close_status} -> media {item.status}")
    click.echo(f"{len(changed)} media reconciled")


@click.command()
@click.option(
    "--timeout",
    default="10m",
    show_default=True,
    type=DURATION,
    help="Time the canary video may take before the run counts as failed.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def canary(timeout: timedelta, as_json: bool) -> None:
    """Run a three-second video through the configured deployment and report
    success and stage timings. Exits with 1 unless it completed."""
    import sys

    from vwf.config import load_settings
    from vwf.service._canary import run_canary

    try:
        report = run_canary(load_settings(), timeout=timeout)
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(_canary_json(report), indent=2))
    else:
        outcome = "ok" if report.ok else "FAILED"
        click.echo(f"canary {outcome}: {report.close_status} in {report.seconds:.1f} s")
        for stage in report.stages:
            seconds = f"{stage.seconds:.1f} s" if stage.seconds is not None else "-"
            click.echo(f"  {stage.stage}: {stage.status}, {seconds}")
        if report.reason:
            click.echo(f"  reason: {report.reason}")
    sys.exit(0 if report.ok else 1)


def _canary_json(report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "media_id": report.media_id,
        "close_status": report.close_status,
        "seconds": report.seconds,
        "reason": report.reason,
        "stages": [
            {"stage": s.stage, "status": s.status, "seconds": s.seconds}
            for s in report.stages
        ],
    }

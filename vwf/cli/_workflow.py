"""``vwf register``, ``vwf decider`` and ``vwf worker``: run the video workflow."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

import click

from vwf.errors import VwfError

logger = logging.getLogger(__name__)

# Seconds a decision in progress may take to finish after SIGTERM.
_DECISION_GRACE = 5.0

_deployment_option = click.option(
    "--deployment",
    metavar="NAME",
    help=(
        "Deployment whose task lists and type names to use, e.g. staging for "
        "FaceDetectStaging. [default: deployment of the vwf settings]"
    ),
)


@click.command()
@click.option(
    "--retention-days",
    default=30,
    show_default=True,
    type=click.IntRange(0, 90),
    help="Days SWF keeps the history of closed executions (new domains only).",
)
@_deployment_option
def register(retention_days: int, deployment: str | None) -> None:
    """Register the SWF domain and the video workflow and activity types."""
    from vwf.pipeline._runtime import pipeline_definitions
    from vwf.workflow import open_swf_client
    from vwf.workflow import register as register_definition

    settings = _load_settings(deployment)
    try:
        with open_swf_client(settings) as connection:
            for definition in pipeline_definitions(settings):
                register_definition(
                    connection.client, definition, timedelta(days=retention_days)
                )
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"registered the video workflow in domain {settings.domain}")


@click.command()
@_deployment_option
def decider(deployment: str | None) -> None:
    """Decide video workflow executions until SIGTERM or SIGINT."""
    from vwf.pipeline._runtime import build_decider
    from vwf.workflow import open_swf_client

    settings = _load_settings(deployment)
    stop = _stop_on_signals()
    try:
        with open_swf_client(settings) as connection:
            _run_until_stopped(build_decider(settings, connection.client), stop)
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.argument("stages", nargs=-1, required=True, metavar="STAGE...")
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Tasks of each stage to run at once, one thread each.",
)
@click.option(
    "--grace",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0),
    help=(
        "Seconds running tasks may take to finish after SIGTERM before they are "
        "cancelled and failed for a retry elsewhere."
    ),
)
@_deployment_option
def worker(
    stages: tuple[str, ...], concurrency: int, grace: float, deployment: str | None
) -> None:
    """Run the activities of the given stages (e.g. Transcode FaceDetect) until
    SIGTERM or SIGINT."""
    from vwf.pipeline._runtime import build_worker
    from vwf.workflow import open_swf_client

    settings = _load_settings(deployment)
    stop = _stop_on_signals()
    try:
        with open_swf_client(settings) as connection:
            activity_worker = build_worker(
                settings, connection.client, stages, concurrency=concurrency
            )
            # NOTE: the process exits without waiting for polls in progress.
            # A task that such a poll claims at that instant is retried only
            # after one of its timeouts.
            activity_worker.run(stop, timedelta(seconds=grace))
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc


def _load_settings(deployment: str | None):
    from vwf.config import load_settings

    try:
        return load_settings(deployment=deployment)
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc


def _run_until_stopped(decider, stop: threading.Event) -> None:
    """Run ``decider`` in a thread until ``stop`` is set.

    The main thread stays free for signals, since a long poll may block for
    up to a minute. A decision in progress gets a few seconds to finish. A
    poll still waiting then is abandoned: closing the embedded engine
    releases it, and a decision task that it claims anyway times out and is
    handed to another decider.
    """
    thread = threading.Thread(target=decider.run, args=(stop,), daemon=True)
    thread.start()
    stop.wait()
    thread.join(_DECISION_GRACE)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signal_number: int, frame) -> None:
        logger.info("received %s, stopping", signal.Signals(signal_number).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop

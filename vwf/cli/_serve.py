"""``vwf serve``: run everything one host needs until SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from pathlib import Path

import click

from vwf.cli._params import DURATION, STAGE_COUNT
from vwf.errors import VwfError

logger = logging.getLogger(__name__)


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address of the engine's HTTP server; off loopback it needs access keys.",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the engine's HTTP server; 0 picks a free port.",
)
@click.option(
    "--access-key-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="File of 'ACCESS_KEY_ID SECRET_KEY' lines that clients sign requests with.",
)
@click.option(
    "--workers",
    "worker_counts",
    multiple=True,
    type=STAGE_COUNT,
    metavar="STAGE=N",
    help="Tasks of STAGE to run at once (default 1 each; 0 runs none). Repeatable.",
)
@click.option(
    "--orphan-interval",
    default="6h",
    show_default=True,
    type=DURATION,
    help="How often the orphan-faces job runs.",
)
@click.option(
    "--orphan-older-than",
    default="72h",
    show_default=True,
    type=DURATION,
    help="Age a face without a person must reach before the job clusters it.",
)
@click.option(
    "--metrics-port",
    default=9765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the Prometheus metrics endpoint on --metrics-host; 0 serves none.",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    help="Address of the metrics endpoint.",
)
@click.option(
    "--grace",
    default="30s",
    show_default=True,
    type=DURATION,
    help="Time running tasks get to finish on SIGTERM before they are handed back.",
)
def serve(
    host: str,
    port: int,
    access_key_file: Path | None,
    worker_counts: tuple[tuple[str, int], ...],
    orphan_interval: timedelta,
    orphan_older_than: timedelta,
    metrics_port: int,
    metrics_host: str,
    grace: timedelta,
) -> None:
    """Run the engine (when no SWF endpoint is configured), the decider, the
    workers of every stage and the scheduled jobs until SIGTERM or SIGINT."""
    from vwf.config import load_settings
    from vwf.pipeline import STAGE_FACTORIES
    from vwf.service import PipelineService, ServeOptions

    unknown = {stage for stage, _ in worker_counts} - set(STAGE_FACTORIES)
    if unknown:
        raise click.BadParameter(
            f"unknown stages {sorted(unknown)}; use {sorted(STAGE_FACTORIES)}",
            param_hint="--workers",
        )
    try:
        settings = load_settings()
        options = ServeOptions(
            host=host,
            port=port,
            credentials=_credentials(access_key_file),
            concurrency=dict(worker_counts),
            orphan_interval=orphan_interval,
            orphan_older_than=orphan_older_than,
            grace=grace,
            metrics_host=metrics_host,
            metrics_port=metrics_port or None,
        )
        PipelineService(settings, options).run(_stop_on_signals())
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc


def _credentials(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    from vwf.engine.http import read_access_keys

    return read_access_keys(path)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop

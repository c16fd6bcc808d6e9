"""``vwf deploy`` and ``vwf scheduler``: run vwf under a process supervisor."""

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


def _plan_options(function):
    options = [
        click.option(
            "--workers",
            "worker_counts",
            multiple=True,
            type=STAGE_COUNT,
            metavar="STAGE=N",
            help="Worker processes of STAGE on this host (default 1 of each "
            "stage). Repeatable; STAGE=0 leaves a stage to other hosts.",
        ),
        click.option(
            "--engine/--no-engine",
            default=True,
            show_default=True,
            help="Run `vwf engine serve` on this host (off when workers use AWS "
            "SWF or an engine on another host).",
        ),
        click.option(
            "--deciders",
            default=1,
            show_default=True,
            type=click.IntRange(0, 16),
            help="Decider processes on this host (0 leaves deciding to others).",
        ),
        click.option(
            "--scheduler/--no-scheduler",
            default=True,
            show_default=True,
            help="Run the scheduled jobs here; one host of a deployment is enough.",
        ),
        click.option(
            "--grace",
            default="30s",
            show_default=True,
            type=DURATION,
            help="Time a worker's running tasks get after SIGTERM.",
        ),
        click.option(
            "--log-dir",
            default="/var/log/vwf",
            show_default=True,
            type=click.Path(path_type=Path, file_okay=False),
        ),
        click.option("--user", "run_as", help="System user the processes run as."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group()
def deploy() -> None:
    """Write process supervision files for this host. The VWF_* variables of the
    current environment become the processes' environment."""


@deploy.command()
@_plan_options
@click.option(
    "--standalone",
    is_flag=True,
    help="Also configure supervisord itself, so `supervisord -c FILE` runs it.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write. [default: standard output]",
)
def supervisor(standalone: bool, output: Path | None, **plan_options) -> None:
    """Write a supervisord configuration."""
    from vwf.deploy import render_supervisor

    text = render_supervisor(_plan(**plan_options), standalone=standalone)
    if output is None:
        click.echo(text, nl=False)
        return
    # The environment may hold SMTP and webhook secrets: owner-only access.
    output.touch(mode=0o600, exist_ok=True)
    output.chmod(0o600)
    output.write_text(text)
    click.echo(f"wrote {output}", err=True)


@deploy.command()
@_plan_options
@click.option(
    "--output-dir",
    "-o",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the unit files and vwf.env (copy the units to "
    "/etc/systemd/system and vwf.env to /etc/vwf).",
)
def systemd(output_dir: Path, **plan_options) -> None:
    """Write systemd units, a vwf.target and the environment file."""
    from vwf.deploy import render_systemd

    output_dir.mkdir(parents=True, exist_ok=True)
    for name, content in render_systemd(_plan(**plan_options)).items():
        path = output_dir / name
        path.write_text(content)
        if name.endswith(".env"):
            path.chmod(0o600)
        click.echo(f"wrote {path}", err=True)


def _plan(
    worker_counts: tuple[tuple[str, int], ...],
    engine: bool,
    deciders: int,
    scheduler: bool,
    grace: timedelta,
    log_dir: Path,
    run_as: str | None,
):
    from vwf.deploy import plan_host
    from vwf.pipeline import STAGE_FACTORIES

    counts = {stage: 1 for stage in STAGE_FACTORIES}
    unknown = {stage for stage, _ in worker_counts} - set(counts)
    if unknown:
        raise click.BadParameter(
            f"unknown stages {sorted(unknown)}; use {sorted(counts)}",
            param_hint="--workers",
        )
    counts.update(dict(worker_counts))
    try:
        return plan_host(
            counts,
            engine=engine,
            scheduler=scheduler,
            deciders=deciders,
            grace=grace,
            log_dir=log_dir,
            user=run_as,
        )
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.option("--orphan-interval", default="6h", show_default=True, type=DURATION)
@click.option("--orphan-older-than", default="72h", show_default=True, type=DURATION)
def scheduler(orphan_interval: timedelta, orphan_older_than: timedelta) -> None:
    """Run the scheduled jobs (orphan faces, failure notices, the reconciler)
    until SIGTERM, for hosts whose workers run under a supervisor."""
    from vwf.config import load_settings
    from vwf.library import Library
    from vwf.service import ScheduledJobs, ServeOptions
    from vwf.workflow import open_swf_client

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        settings = load_settings()
        library = Library(settings.library_url)
        library.migrate()
        options = ServeOptions(
            orphan_interval=orphan_interval, orphan_older_than=orphan_older_than
        )
        with open_swf_client(settings) as connection:
            jobs = ScheduledJobs(settings, connection.client, library, options)
            logger.info("scheduler started")
            jobs.run(stop)
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc
    logger.info("scheduler stopped")

"""``vwf process`` and ``vwf demo``: the whole pipeline in one command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from vwf.errors import VwfError


@click.command()
@click.argument("videos", nargs=-1, required=True, metavar="VIDEO...")
@click.option(
    "--user",
    "user_email",
    default="me@localhost",
    show_default=True,
    help="Email of the user who owns the videos and the people.",
)
@click.option(
    "--people",
    "people_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with one subfolder of photos per known person, imported first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def process(
    videos: tuple[str, ...], user_email: str, people_dir: Path | None, as_json: bool
) -> None:
    """Process VIDEO files (paths, s3:// or http(s):// URLs) on this machine and
    print who is in them. Exits with 1 unless every video completed."""
    _run(list(videos), user_email, people_dir, as_json)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(as_json: bool) -> None:
    """Make a short video from public-domain portraits, import one known person,
    and process the video."""
    from vwf.config import load_settings
    from vwf.service import make_demo_inputs

    settings = _settings(load_settings)
    try:
        inputs = make_demo_inputs(settings.home / "demo")
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"demo video: {inputs.video}", err=True)
    _run([str(inputs.video)], "demo@localhost", inputs.people_dir, as_json)


def _run(
    videos: list[str], user_email: str, people_dir: Path | None, as_json: bool
) -> None:
    from vwf.config import load_settings
    from vwf.service import process_videos

    settings = _settings(load_settings)
    with _ProgressView(enabled=not as_json) as view:
        try:
            results = process_videos(
                settings,
                videos,
                user_email=user_email,
                people_dir=people_dir,
                on_progress=view.update,
            )
        except VwfError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([r.to_json() for r in results], indent=2))
    else:
        _print_summary(results)
    sys.exit(0 if all(result.completed for result in results) else 1)


def _settings(load_settings):
    try:
        return load_settings()
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc


class _ProgressView:
    """One progress bar per video, advancing one step per finished stage."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[stage]}"),
            disable=not enabled,
            transient=False,
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> _ProgressView:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.__exit__(*exc_info)

    def update(self, snapshot) -> None:
        for video in snapshot:
            if video.workflow_id not in self._tasks:
                self._tasks[video.workflow_id] = self._progress.add_task(
                    Path(video.source).name, total=len(video.stages), stage=""
                )
            done = sum(stage.status == "completed" for stage in video.stages)
            self._progress.update(
                self._tasks[video.workflow_id],
                completed=done,
                stage=_current_stage(video),
            )


def _current_stage(video) -> str:
    if video.close_status:
        return video.close_status.lower()
    for stage in video.stages:
        if stage.status != "completed":
            suffix = f" (attempt {stage.attempts})" if stage.attempts > 1 else ""
            return f"{stage.stage}: {stage.status}{suffix}"
    return "finishing"


def _print_summary(results) -> None:
    for result in results:
        click.echo(f"\n{result.source}: {result.status}")
        if result.reason:
            click.echo(f"  reason: {result.reason}")
        if result.media_id:
            click.echo(f"  media: {result.media_id}")
        if result.duration_seconds is not None:
            click.echo(f"  duration: {result.duration_seconds:.1f} s")
        for person in result.people:
            _print_person(person)
        if result.people_sheet:
            click.echo(f"  people sheet: {result.people_sheet}")
        for stage in result.stages:
            seconds = f"{stage.seconds:.1f} s" if stage.seconds is not None else "-"
            click.echo(
                f"  stage {stage.stage}: {stage.status}, {seconds}, "
                f"{stage.attempts} attempt(s)"
            )


def _print_person(person) -> None:
    ranges = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in person.time_ranges)
    kind = "new" if person.is_new else "known"
    click.echo(
        f"  person {person.label} ({kind}): {person.face_count} faces at {ranges}"
    )
    if person.crop_path:
        click.echo(f"    face: {person.crop_path}")

"""``vwf submit``: submit a video for processing."""

from __future__ import annotations

import click

from vwf.errors import VwfError


@click.command()
@click.argument("video", metavar="VIDEO")
@click.option(
    "--user",
    "email",
    required=True,
    metavar="EMAIL",
    help="Email of the user who owns the video; the user is created if new.",
)
@click.option("--title", metavar="TEXT", help="Title shown for the video.")
@click.option(
    "--skip-faces",
    is_flag=True,
    help="Transcode only: do not detect or recognise faces.",
)
@click.option(
    "--max-height",
    type=click.IntRange(16, 4320),
    help="Limit of the web version's shorter side, in pixels. [default: 720]",
)
def submit(
    video: str, email: str, title: str | None, skip_faces: bool, max_height: int | None
) -> None:
    """Submit VIDEO (a local path, s3://bucket/key or an http(s) URL) and start
    its workflow; print the media uuid and the workflow id."""
    from vwf.config import load_settings
    from vwf.pipeline.ingest import submit as submit_video

    options = {"max_height": max_height} if max_height else {}
    try:
        submission = submit_video(
            load_settings(), video, email, title, skip_faces, options=options
        )
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"media {submission.media_id}")
    click.echo(f"workflow {submission.workflow_id} run {submission.run_id}")

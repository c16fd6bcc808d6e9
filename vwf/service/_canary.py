"""`vwf canary`: push a tiny video through a running deployment and time it.

The canary submits a three-second clip of a public-domain portrait as the
user ``canary@localhost``, waits for its workflow to close, and deletes the
media afterwards. Each clip carries a unique comment tag so its content hash
never matches an earlier run.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from vwf.config import Settings
from vwf.errors import VwfError
from vwf.library import Library
from vwf.pipeline._runtime import pipeline_definitions
from vwf.service._demo import portrait_paths
from vwf.service._history import (
    StageProgress,
    close_status,
    read_history,
    stage_progress,
)
from vwf.storage import keys, open_store
from vwf.workflow import open_swf_client

CANARY_USER = "canary@localhost"


@dataclass(frozen=True)
class CanaryReport:
    """Outcome of one canary run."""

    ok: bool
    media_id: str | None
    close_status: str | None
    """SWF's close status, or ``None`` when the run did not close in time."""
    seconds: float
    stages: tuple[StageProgress, ...] = ()
    reason: str | None = None


def run_canary(
    settings: Settings,
    *,
    timeout: timedelta = timedelta(minutes=10),
    poll_interval: timedelta = timedelta(seconds=1),
) -> CanaryReport:
    """Submit the canary clip to the deployment of ``settings`` and wait."""
    from vwf.pipeline.ingest import submit

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vwf-canary-") as directory:
        clip = _render_clip(Path(directory) / "canary.mp4")
        library = Library(settings.library_url)
        try:
            submission = submit(
                settings, clip, CANARY_USER, title="vwf canary", library=library
            )
            with open_swf_client(settings) as connection:
                events = _wait(
                    settings, connection.client, submission, timeout, poll_interval
                )
            status = close_status(events)
            if status is not None:
                # A run still going keeps its media so its workers do not fail.
                _delete_media(settings, library, submission.media_id)
        finally:
            library.dispose()
    return CanaryReport(
        ok=status == "COMPLETED",
        media_id=str(submission.media_id),
        close_status=status,
        seconds=time.monotonic() - started,
        stages=tuple(stage_progress(pipeline_definitions(settings)[0], events)),
        reason=None if status else f"the workflow did not close within {timeout}",
    )


def _render_clip(path: Path) -> Path:
    portrait, _ = portrait_paths()
    tag = f"comment=vwf-canary-{uuid.uuid4()}"
    command = ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-t", "3"]
    command += ["-i", str(portrait), "-vf", "scale=-2:360,format=yuv420p", "-r", "25"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-metadata", tag, str(path)]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise VwfError(f"ffmpeg could not render the canary clip: {exc}") from exc
    return path


def _wait(settings, client, submission, timeout, poll_interval) -> list[dict]:
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        events = read_history(
            client, settings.domain, submission.workflow_id, submission.run_id
        )
        if close_status(events) or time.monotonic() >= deadline:
            return events
        time.sleep(poll_interval.total_seconds())


def _delete_media(settings: Settings, library: Library, media_id) -> None:
    user = library.users.get_or_create(CANARY_USER)
    media = library.media.get(user.id, media_id)
    library.media.delete(user.id, media_id)
    open_store(settings.storage_url).delete_prefix(
        keys.media_prefix(media.owner_id, media.id)
    )

"""`vwf process`: run the whole pipeline for some videos in this process."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from vwf.config import Settings
from vwf.errors import VwfError
from vwf.library import Library
from vwf.notify import build_report, notifier_from_settings
from vwf.notify._report import people_time_ranges
from vwf.pipeline._registry import STAGE_FACTORIES
from vwf.pipeline._runtime import build_decider, build_worker, pipeline_definitions
from vwf.service._history import (
    StageProgress,
    close_status,
    read_history,
    stage_progress,
    stage_results,
)
from vwf.service._summary import VideoResult, export_people
from vwf.storage import open_store
from vwf.workflow import open_swf_client, register

logger = logging.getLogger(__name__)

RETENTION = timedelta(days=30)
"""History retention of the domain when `vwf process` registers it."""

DEFAULT_USER = "me@localhost"


@dataclass(frozen=True)
class VideoProgress:
    """Progress of one submitted video, reported while the pipeline runs."""

    source: str
    workflow_id: str
    stages: tuple[StageProgress, ...]
    close_status: str | None


ProgressCallback = Callable[[list[VideoProgress]], None]


@dataclass(frozen=True)
class _Submitted:
    source: str
    owner_id: str
    media_id: str
    workflow_id: str
    run_id: str
    remote: bool


def process_videos(
    settings: Settings,
    videos: Sequence[str | Path],
    *,
    user_email: str = DEFAULT_USER,
    people_dir: Path | None = None,
    on_progress: ProgressCallback | None = None,
    poll_interval: timedelta = timedelta(seconds=0.5),
) -> list[VideoResult]:
    """Submit ``videos`` for ``user_email``, run the decider and a worker for
    every stage until each workflow closes, and return one result per video."""
    settings.home.mkdir(parents=True, exist_ok=True)
    library = Library(settings.library_url)
    library.migrate()
    runtime = None
    connection = open_swf_client(settings)
    try:
        client = connection.client
        for definition in pipeline_definitions(settings):
            register(client, definition, RETENTION)
        if people_dir is not None:
            _import_people(settings, library, user_email, people_dir)
        submitted, rejected = _submit_all(settings, library, client, videos, user_email)
        if submitted:
            runtime = _Runtime.start(settings, library, client)
            try:
                _wait_for_close(settings, client, submitted, on_progress, poll_interval)
            finally:
                runtime.stop()
        notifier_from_settings(settings, library).notify_failures()
        results = [_result(settings, library, client, s) for s in submitted]
    finally:
        # Closing the embedded engine also ends the decider's long poll.
        connection.close()
        if runtime is not None:
            runtime.join()
        library.dispose()
    return rejected + results


class _Runtime:
    """The decider and one worker for every stage, in threads of this process."""

    def __init__(self, settings: Settings, library: Library, client: Any) -> None:
        self._stop = threading.Event()
        self._worker = build_worker(settings, client, STAGE_FACTORIES)
        decider = build_decider(settings, client, library=library)
        self._decider_thread = threading.Thread(
            target=decider.run, args=(self._stop,), name="decider", daemon=True
        )

    @classmethod
    def start(cls, settings: Settings, library: Library, client: Any) -> _Runtime:
        runtime = cls(settings, library, client)
        runtime._worker.start()
        runtime._decider_thread.start()
        return runtime

    def stop(self) -> None:
        """Stop polling and let running tasks end within a short grace period."""
        self._stop.set()
        self._worker.shutdown(timedelta(seconds=5))

    def join(self) -> None:
        self._decider_thread.join(timeout=10)


def _import_people(
    settings: Settings, library: Library, user_email: str, people_dir: Path
) -> None:
    from vwf.faces import DirectorySource, PeopleImporter

    user = library.users.get_or_create(user_email)
    importer = PeopleImporter(library, open_store(settings.storage_url), user.id)
    importer.run(DirectorySource(people_dir))


def _submit_all(
    settings: Settings,
    library: Library,
    client: Any,
    videos: Sequence[str | Path],
    user_email: str,
) -> tuple[list[_Submitted], list[VideoResult]]:
    from vwf.pipeline.ingest import parse_source, submit

    submitted, rejected = [], []
    for video in videos:
        try:
            submission = submit(
                settings, video, user_email, library=library, swf_client=client
            )
        except VwfError as exc:
            logger.error("video %s was not accepted: %s", video, exc)
            rejected.append(_rejected(video, exc))
            continue
        submitted.append(
            _Submitted(
                source=str(video),
                owner_id=str(library.users.get_or_create(user_email).id),
                media_id=str(submission.media_id),
                workflow_id=submission.workflow_id,
                run_id=submission.run_id,
                remote=parse_source(video).is_remote,
            )
        )
    return submitted, rejected


def _wait_for_close(
    settings: Settings,
    client: Any,
    submitted: list[_Submitted],
    on_progress: ProgressCallback | None,
    poll_interval: timedelta,
) -> None:
    while True:
        snapshot = [_progress(settings, client, s) for s in submitted]
        if on_progress is not None:
            on_progress(snapshot)
        if all(progress.close_status for progress in snapshot):
            return
        time.sleep(poll_interval.total_seconds())


def _progress(settings: Settings, client: Any, item: _Submitted) -> VideoProgress:
    definition = pipeline_definitions(settings)[1 if item.remote else 0]
    events = read_history(client, settings.domain, item.workflow_id, item.run_id)
    return VideoProgress(
        source=item.source,
        workflow_id=item.workflow_id,
        stages=tuple(stage_progress(definition, events)),
        close_status=close_status(events),
    )


def _result(
    settings: Settings, library: Library, client: Any, item: _Submitted
) -> VideoResult:
    definition = pipeline_definitions(settings)[1 if item.remote else 0]
    events = read_history(client, settings.domain, item.workflow_id, item.run_id)
    results = stage_results(definition, events)
    media = library.media.get(item.owner_id, item.media_id)
    report = build_report(
        library,
        media.owner_id,
        media.id,
        time_ranges=people_time_ranges(results.get("FaceRecognize")),
    )
    people, sheet = export_people(
        open_store(settings.storage_url),
        report.people,
        settings.home / "results" / item.media_id,
    )
    return VideoResult(
        source=item.source,
        media_id=item.media_id,
        status=media.status.value,
        reason=media.failure_reason,
        duration_seconds=media.duration_seconds,
        people=people,
        stages=tuple(stage_progress(definition, events)),
        people_sheet=sheet,
    )


def _rejected(video: str | Path, error: Exception) -> VideoResult:
    return VideoResult(
        source=str(video), media_id=None, status="rejected", reason=str(error)
    )

"""submit() end to end: the embedded engine, the decider and a Transcode worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.media.clips import ClipFactory
from vwf.config import Settings, load_settings
from vwf.engine import Engine, EngineSettings, connect
from vwf.library import Library, MediaRecord, MediaStatus
from vwf.pipeline._runtime import build_decider, build_worker
from vwf.pipeline.ingest import submit

EMAIL = "alice@example.com"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    return ClipFactory(tmp_path_factory.mktemp("clips"))


@pytest.fixture
def settings(vwf_home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def swf_client(settings: Settings) -> Iterator[object]:
    engine = Engine(
        settings.database_url,
        settings=EngineSettings(long_poll_timeout=timedelta(seconds=1)),
    )
    engine.start()
    yield connect(engine)
    engine.close()


@pytest.fixture
def running(settings: Settings, swf_client) -> Iterator[None]:
    """The decider and a Transcode worker, polling in threads."""
    stop = threading.Event()
    decider = build_decider(settings, swf_client)
    worker = build_worker(settings, swf_client, ["Transcode"])
    threads = [
        threading.Thread(target=decider.run, args=(stop,)),
        threading.Thread(target=worker.run, args=(stop, timedelta(seconds=5))),
    ]
    for thread in threads:
        thread.start()
    yield
    stop.set()
    for thread in threads:
        thread.join(timeout=30)


def _wait_for_status(
    library: Library, media_id, statuses: set[MediaStatus]
) -> MediaRecord:
    user = library.users.get_or_create(EMAIL)
    deadline = time.monotonic() + 120
    while True:
        media = library.media.get(user.id, media_id)
        if media.status in statuses or time.monotonic() > deadline:
            return media
        time.sleep(0.5)


def test_submitted_video_becomes_visible(settings, swf_client, running, clips):
    library = Library(settings.library_url)

    submission = submit(
        settings, clips("base.mp4"), EMAIL, swf_client=swf_client, library=library
    )

    media = _wait_for_status(
        library, submission.media_id, {MediaStatus.VISIBLE, MediaStatus.FAILED}
    )
    assert media.status is MediaStatus.VISIBLE
    assert (media.width, media.height) == (320, 240)


def test_corrupt_video_fails_with_reason(settings, swf_client, running, clips):
    library = Library(settings.library_url)

    submission = submit(
        settings,
        clips("cut_after_header.mp4"),
        EMAIL,
        swf_client=swf_client,
        library=library,
    )

    media = _wait_for_status(library, submission.media_id, {MediaStatus.FAILED})
    assert media.status is MediaStatus.FAILED
    assert media.failure_reason == "the video has no decodable frames"

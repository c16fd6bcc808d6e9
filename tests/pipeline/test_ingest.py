"""submit() against the embedded engine, a SQLite library and a local store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.media.clips import ClipFactory
from vwf.config import Settings, load_settings
from vwf.library import AssetType, DuplicateMediaError, Library, MediaStatus
from vwf.pipeline.ingest import (
    InvalidSourceError,
    SubmitError,
    parse_source,
    redact_url,
    submit,
)
from vwf.storage import keys, open_store
from vwf.workflow import open_swf_client

EMAIL = "alice@example.com"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    return ClipFactory(tmp_path_factory.mktemp("clips"))


@pytest.fixture
def settings(vwf_home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def library(settings: Settings) -> Library:
    return Library(settings.library_url)


def _execution(settings: Settings, workflow_id: str, run_id: str) -> dict:
    with open_swf_client(settings) as connection:
        return connection.client.describe_workflow_execution(
            domain=settings.domain,
            execution={"workflowId": workflow_id, "runId": run_id},
        )


def _workflow_input(settings: Settings, workflow_id: str, run_id: str) -> dict:
    with open_swf_client(settings) as connection:
        history = connection.client.get_workflow_execution_history(
            domain=settings.domain,
            execution={"workflowId": workflow_id, "runId": run_id},
        )
    started = history["events"][0]["workflowExecutionStartedEventAttributes"]
    return json.loads(started["input"])


def test_submit_local_starts_workflow(settings, library, clips) -> None:
    submission = submit(settings, clips("base.mp4"), EMAIL, title="Beach")

    execution = _execution(settings, submission.workflow_id, submission.run_id)
    info = execution["executionInfo"]
    assert info["executionStatus"] == "OPEN"
    assert info["workflowType"]["name"] == "VideoProcessing"
    assert submission.workflow_id == str(submission.media_id)


def test_submit_local_stores_original(settings, library, clips) -> None:
    submission = submit(settings, clips("base.mp4"), EMAIL)

    user = library.users.get_or_create(EMAIL)
    media = library.media.get(user.id, submission.media_id)
    assert media.status is MediaStatus.PENDING
    assert len(media.content_hash) == 64
    key = keys.original_key(user.id, media.id, ".mp4")
    store = open_store(settings.storage_url)
    assert store.get_bytes(key) == clips("base.mp4").read_bytes()
    assets = library.media.assets(user.id, media.id)
    assert [(a.type, a.storage_key) for a in assets] == [(AssetType.ORIGINAL, key)]


def test_submit_workflow_input(settings, library, clips) -> None:
    submission = submit(settings, clips("base.mp4"), EMAIL, skip_faces=True)

    workflow_input = _workflow_input(
        settings, submission.workflow_id, submission.run_id
    )
    user = library.users.get_or_create(EMAIL)
    assert workflow_input["media_id"] == str(submission.media_id)
    assert workflow_input["user_id"] == str(user.id)
    assert workflow_input["original_key"] == keys.original_key(
        user.id, submission.media_id, ".mp4"
    )
    assert workflow_input["skip_faces"] is True


def test_submit_duplicate_rejected(settings, clips) -> None:
    first = submit(settings, clips("base.mp4"), EMAIL)

    with pytest.raises(DuplicateMediaError) as raised:
        submit(settings, clips("base.mp4"), EMAIL)

    assert str(raised.value) == (
        f"this video was already submitted as media {first.media_id} "
        "(status pending); open that media instead of submitting it again"
    )


def test_submit_same_file_other_user_allowed(settings, clips) -> None:
    first = submit(settings, clips("base.mp4"), EMAIL)

    second = submit(settings, clips("base.mp4"), "bob@example.com")

    assert second.media_id != first.media_id


def test_submit_replaces_failed_media(settings, library, clips) -> None:
    first = submit(settings, clips("base.mp4"), EMAIL, title="Old")
    user = library.users.get_or_create(EMAIL)
    library.media.set_status(user.id, first.media_id, MediaStatus.FAILED, "broken")
    with open_swf_client(settings) as connection:
        connection.client.terminate_workflow_execution(
            domain=settings.domain, workflowId=first.workflow_id
        )

    second = submit(settings, clips("base.mp4"), EMAIL)

    assert second.media_id == first.media_id
    assert second.run_id != first.run_id
    media = library.media.get(user.id, second.media_id)
    assert media.status is MediaStatus.PENDING
    assert media.failure_reason is None
    assert media.title == "Old"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("audio_only.m4a", "the file is audio only: it has no video stream"),
        ("still_image.jpg", "the file is a still image, not a video"),
        ("random_bytes.mp4", "the file is not a readable media file"),
        ("tiny.mp4", "the video width of 8 px is outside the supported 16-8192 px"),
    ],
)
def test_submit_not_a_video_rejected(settings, library, clips, name, message):
    with pytest.raises(InvalidSourceError, match=message):
        submit(settings, clips(name), EMAIL)

    user = library.users.get_or_create(EMAIL)
    assert library.media.list(user.id) == []


def test_submit_missing_file_rejected(settings, tmp_path) -> None:
    missing = tmp_path / "nope.mp4"

    with pytest.raises(InvalidSourceError, match=f"video file {missing} not found"):
        submit(settings, missing, EMAIL)


@pytest.mark.parametrize("source", ["ftp://host/v.mp4", "s3://bucket", "https://h/"])
def test_parse_source_invalid_url(source: str) -> None:
    with pytest.raises(InvalidSourceError, match=source.rstrip("/")):
        parse_source(source)


def test_submit_start_failure_marks_failed(vwf_home, clips, monkeypatch) -> None:
    # Nothing listens on port 9 of loopback, so the SWF call fails.
    monkeypatch.setenv("VWF_SWF_ENDPOINT", "http://127.0.0.1:9")
    settings = load_settings()
    library = Library(settings.library_url)

    with pytest.raises(SubmitError, match="the workflow could not start"):
        submit(settings, clips("base.mp4"), EMAIL)

    user = library.users.get_or_create(EMAIL)
    [media] = library.media.list(user.id)
    assert media.status is MediaStatus.FAILED
    assert media.failure_reason.startswith("the workflow could not start: ")
    store = open_store(settings.storage_url)
    assert store.exists(keys.original_key(user.id, media.id, ".mp4"))


def test_submit_remote_starts_upload_workflow(settings, library) -> None:
    url = "https://127.0.0.1:1/videos/holiday.MOV"

    submission = submit(settings, url, EMAIL)

    execution = _execution(settings, submission.workflow_id, submission.run_id)
    assert execution["executionInfo"]["workflowType"]["name"] == (
        "VideoProcessingWithUpload"
    )
    workflow_input = _workflow_input(
        settings, submission.workflow_id, submission.run_id
    )
    assert workflow_input["source"] == url
    assert workflow_input["original_key"].endswith("/original.mov")
    user = library.users.get_or_create(EMAIL)
    media = library.media.get(user.id, submission.media_id)
    assert media.content_hash is None
    assert media.source == url


def test_redact_url_drops_signature() -> None:
    url = "https://user:pw@host.example:8443/v/a.mp4?X-Amz-Signature=abc#t=1"

    assert redact_url(url) == "https://host.example:8443/v/a.mp4"

"""The Upload stage reading from a loopback HTTP server and moto's S3."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.media.clips import ClipFactory
from vwf.config import Settings, load_settings
from vwf.library import AssetType, Library, MediaStatus, NotFoundError
from vwf.pipeline.ingest import submit
from vwf.pipeline.upload import UploadActivity
from vwf.storage import open_store
from vwf.workflow import ActivityContext
from vwf.workflow.errors import NonRetryableError

EMAIL = "alice@example.com"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    return ClipFactory(tmp_path_factory.mktemp("clips"))


@pytest.fixture
def http_root(clips: ClipFactory) -> Iterator[tuple[str, Path]]:
    """Base URL of a static HTTP server on loopback serving the clip folder."""
    clips("base.mp4")
    handler = functools.partial(_QuietHandler, directory=str(clips.directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", clips.directory
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture
def settings(vwf_home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def library(settings: Settings) -> Library:
    return Library(settings.library_url)


@pytest.fixture
def activity(settings: Settings, library: Library) -> UploadActivity:
    return UploadActivity(settings, library=library)


def _run(settings, activity, url: str) -> tuple[dict, dict]:
    submission = submit(settings, url, EMAIL)
    user = Library(settings.library_url).users.get_or_create(EMAIL)
    input = {
        "media_id": str(submission.media_id),
        "user_id": str(user.id),
        "source": url,
        "original_key": f"users/{user.id}/media/{submission.media_id}/original.mp4",
    }
    return input, activity(input, ActivityContext.detached(input["media_id"]))


def test_upload_http_copies_and_hashes(settings, library, activity, http_root):
    base_url, directory = http_root
    data = (directory / "base.mp4").read_bytes()

    input, result = _run(settings, activity, f"{base_url}/base.mp4")

    store = open_store(settings.storage_url)
    assert store.get_bytes(result["original_key"]) == data
    assert result["content_hash"] == hashlib.sha256(data).hexdigest()
    assert result["byte_size"] == len(data)
    media = library.media.get(input["user_id"], input["media_id"])
    assert media.content_hash == result["content_hash"]
    assets = library.media.assets(input["user_id"], input["media_id"])
    assert [a.type for a in assets] == [AssetType.ORIGINAL]


def test_upload_heartbeats_progress(settings, activity, http_root) -> None:
    base_url, _ = http_root
    submission = submit(settings, f"{base_url}/base.mp4", EMAIL)
    user = Library(settings.library_url).users.get_or_create(EMAIL)
    context = ActivityContext.detached(str(submission.media_id))

    activity(
        {
            "media_id": str(submission.media_id),
            "user_id": str(user.id),
            "source": f"{base_url}/base.mp4",
            "original_key": "users/u/original.mp4",
        },
        context,
    )

    assert context.heartbeats[-1].startswith('{"bytes":')


def test_upload_missing_source_fails_media(settings, library, activity, http_root):
    base_url, _ = http_root

    with pytest.raises(NonRetryableError, match="HTTP 404") as raised:
        _run(settings, activity, f"{base_url}/missing.mp4")

    user = library.users.get_or_create(EMAIL)
    [media] = library.media.list(user.id)
    assert media.status is MediaStatus.FAILED
    assert media.failure_reason == str(raised.value)


def test_upload_duplicate_fails_media(settings, library, activity, http_root, clips):
    base_url, _ = http_root
    first = submit(settings, clips("base.mp4"), EMAIL)

    with pytest.raises(NonRetryableError) as raised:
        _run(settings, activity, f"{base_url}/base.mp4")

    assert str(raised.value) == (
        f"this video was already submitted as media {first.media_id} (status pending)"
    )


def test_upload_replaces_failed_media(settings, library, activity, http_root, clips):
    base_url, _ = http_root
    first = submit(settings, clips("base.mp4"), EMAIL)
    user = library.users.get_or_create(EMAIL)
    library.media.set_status(user.id, first.media_id, MediaStatus.FAILED, "broken")

    input, _ = _run(settings, activity, f"{base_url}/base.mp4")

    with pytest.raises(NotFoundError):
        library.media.get(user.id, first.media_id)
    assert library.media.get(user.id, input["media_id"]).content_hash is not None
    store = open_store(settings.storage_url)
    assert store.list(f"users/{user.id}/media/{first.media_id}/") == []


def test_upload_s3_source(settings, library, activity, s3_bucket, moto_endpoint,
                          monkeypatch, clips) -> None:  # fmt: skip
    monkeypatch.setenv("VWF_S3_ENDPOINT", moto_endpoint)
    data = clips("base.mp4").read_bytes()
    boto3.client("s3", endpoint_url=moto_endpoint).put_object(
        Bucket=s3_bucket, Key="inbox/clip.mp4", Body=data
    )

    _, result = _run(settings, activity, f"s3://{s3_bucket}/inbox/clip.mp4")

    store = open_store(settings.storage_url)
    assert store.get_bytes(result["original_key"]) == data


def test_upload_s3_missing_fails(settings, activity, s3_bucket, moto_endpoint,
                                 monkeypatch) -> None:  # fmt: skip
    monkeypatch.setenv("VWF_S3_ENDPOINT", moto_endpoint)

    with pytest.raises(NonRetryableError, match="does not exist"):
        _run(settings, activity, f"s3://{s3_bucket}/inbox/none.mp4")


def test_upload_local_source_rejected(activity) -> None:
    with pytest.raises(NonRetryableError, match="needs a remote source"):
        activity(
            {
                "media_id": "00000000-0000-0000-0000-000000000001",
                "user_id": "00000000-0000-0000-0000-000000000002",
                "source": "/tmp/x.mp4",
                "original_key": "k",
            },
            ActivityContext.detached("x"),
        )

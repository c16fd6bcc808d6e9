"""The Transcode stage against a real SQLite library, local store and ffmpeg."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import pytest

from tests.media.clips import ClipFactory, ffmpeg
from vwf.config import load_settings
from vwf.library import AssetType, Library, MediaStatus
from vwf.media import probe
from vwf.pipeline.transcode import TranscodeActivity
from vwf.storage import LocalBlobStore, keys
from vwf.workflow import ActivityContext
from vwf.workflow.errors import ActivityCancelled, NonRetryableError


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    return ClipFactory(tmp_path_factory.mktemp("clips"))


@pytest.fixture
def library(sqlite_url: str) -> Library:
    library = Library(sqlite_url)
    library.migrate()
    return library


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def activity(library, store, vwf_home) -> TranscodeActivity:
    return TranscodeActivity(load_settings(), library=library, store=store)


def _submit(library: Library, store: LocalBlobStore, source: Path) -> dict:
    user = library.users.get_or_create("alice@example.com")
    media = library.media.create(user.id, content_hash=None, source=str(source))
    original_key = keys.original_key(user.id, media.id, source.suffix)
    store.put_file(original_key, source)
    return {
        "media_id": str(media.id),
        "user_id": str(user.id),
        "original_key": original_key,
        "options": {"threads": 1},
    }


def test_transcode_makes_media_visible(activity, library, store, clips) -> None:
    input = _submit(library, store, clips("with_location.mp4"))

    activity(input, ActivityContext.detached(input["media_id"]))

    media = library.media.get(input["user_id"], input["media_id"])
    assert media.status is MediaStatus.VISIBLE
    assert (media.width, media.height) == (320, 240)
    assert media.duration_seconds == pytest.approx(2.0, abs=1 / 30)
    assert (media.latitude, media.longitude) == (48.8584, 2.2945)
    assert media.recorded_at.year == 2021


def test_transcode_result_keys_stored(activity, library, store, clips) -> None:
    input = _submit(library, store, clips("base.mp4"))

    result = activity(input, ActivityContext.detached(input["media_id"]))

    assert result["video_key"] == keys.video_key(input["user_id"], input["media_id"])
    assert store.exists(result["video_key"])
    assert store.exists(result["poster_key"])
    assert store.exists(result["animated_poster_key"])
    assert len(result["thumbnail_keys"]) == 10
    assert all(store.exists(key) for key in result["thumbnail_keys"])


def test_transcode_records_assets(activity, library, store, clips) -> None:
    input = _submit(library, store, clips("base.mp4"))

    activity(input, ActivityContext.detached(input["media_id"]))

    assets = library.media.assets(input["user_id"], input["media_id"])
    counts = {kind: 0 for kind in AssetType}
    for asset in assets:
        counts[asset.type] += 1
    assert counts[AssetType.MAIN_VIDEO] == 1
    assert counts[AssetType.POSTER] == 1
    assert counts[AssetType.ANIMATED_POSTER] == 1
    assert counts[AssetType.THUMBNAIL] == 10


def test_transcode_retry_is_idempotent(activity, library, store, clips) -> None:
    input = _submit(library, store, clips("base.mp4"))
    activity(input, ActivityContext.detached(input["media_id"]))

    activity(input, ActivityContext.detached(input["media_id"], attempt=2))

    assets = library.media.assets(input["user_id"], input["media_id"])
    assert len(assets) == 13
    stages = library.media.stages(input["user_id"], input["media_id"])
    assert [(s.stage, s.attempt) for s in stages] == [("Transcode", 2)]


def test_transcode_output_decodes_upright(activity, library, store, clips, tmp_path):
    input = _submit(library, store, clips("rotate90.mp4"))

    result = activity(input, ActivityContext.detached(input["media_id"]))

    local = tmp_path / "video.mp4"
    store.download(result["video_key"], local)
    assert probe(local).require_video().display_size == (240, 320)


def test_transcode_progress_heartbeats(activity, library, store, clips) -> None:
    input = _submit(library, store, clips("base.mp4"))
    context = ActivityContext.detached(input["media_id"])

    activity(input, context)

    assert context.heartbeats[0] == '{"step":"downloaded"}'


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("audio_only.m4a", "the file is audio only: it has no video stream"),
        ("cut_after_header.mp4", "the video has no decodable frames"),
        ("tiny.mp4", "the video width of 8 px is outside the supported 16-8192 px"),
    ],
)
def test_transcode_bad_input_fails_media(activity, library, store, clips, name, reason):
    input = _submit(library, store, clips(name))

    with pytest.raises(NonRetryableError) as raised:
        activity(input, ActivityContext.detached(input["media_id"]))

    assert str(raised.value) == reason
    media = library.media.get(input["user_id"], input["media_id"])
    assert media.status is MediaStatus.FAILED
    assert media.failure_reason == reason


def test_transcode_missing_original_fails(activity, library, store, clips) -> None:
    input = _submit(library, store, clips("base.mp4"))
    store.delete(input["original_key"])

    with pytest.raises(NonRetryableError, match="original file .* is missing"):
        activity(input, ActivityContext.detached(input["media_id"]))

    media = library.media.get(input["user_id"], input["media_id"])
    assert media.status is MediaStatus.FAILED


def test_transcode_other_users_media_not_found(activity, library, store, clips):
    input = _submit(library, store, clips("base.mp4"))
    bob = library.users.get_or_create("bob@example.com")

    with pytest.raises(NonRetryableError, match="not found"):
        activity({**input, "user_id": str(bob.id)}, ActivityContext.detached("x"))

    media = library.media.get(input["user_id"], input["media_id"])
    assert media.status is MediaStatus.PENDING


def test_transcode_invalid_input_rejected(activity) -> None:
    with pytest.raises(NonRetryableError, match="invalid media_id 'nope'"):
        activity(
            {"media_id": "nope", "user_id": "x", "original_key": "k"},
            ActivityContext.detached("x"),
        )


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            arguments = cmdline.read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in arguments:
            found.append(arguments)
    return found


def test_transcode_cancel_kills_ffmpeg(
    activity, library, store, tmp_path, monkeypatch
) -> None:
    source = tmp_path / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=60", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(source))  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    input = _submit(library, store, source)
    context = ActivityContext.detached(input["media_id"])
    threading.Timer(2.0, context.cancel, args=["cancel_requested"]).start()

    with pytest.raises(ActivityCancelled):
        activity(input, context)

    assert _processes_mentioning(str(work)) == []
    media = library.media.get(input["user_id"], input["media_id"])
    assert media.status is MediaStatus.PENDING


@pytest.mark.shared_data
def test_transcode_shared_video(activity, library, store, shared_data) -> None:
    input = _submit(
        library, store, shared_data / "videos" / "white_house_music_10s.mp4"
    )

    result = activity(input, ActivityContext.detached(input["media_id"]))

    assert (result["width"], result["height"]) == (640, 360)
    assert result["has_audio"] is True
    assert result["duration"] == pytest.approx(10.0, abs=0.05)

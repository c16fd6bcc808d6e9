from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.faces import _clips
from vwf.config import load_settings
from vwf.faces import FaceModels, load_image
from vwf.library import AssetType, Face, Library, MediaAsset
from vwf.pipeline import facedetect
from vwf.pipeline.facedetect import FaceDetectActivity
from vwf.storage import BlobStore, keys, open_store
from vwf.workflow import ActivityContext
from vwf.workflow.errors import ActivityCancelled, NonRetryableError

pytestmark = pytest.mark.shared_data


@dataclass
class _Setup:
    library: Library
    store: BlobStore
    activity: FaceDetectActivity
    user_id: uuid.UUID

    def add_media(self, video: Path | None, *, skip_faces: bool = False) -> dict:
        """Create a media item with ``video`` as its transcode; return the input."""
        media = self.library.media.create(
            self.user_id,
            content_hash=uuid.uuid4().hex,
            source="test.mp4",
            skip_faces=skip_faces,
        )
        key = keys.video_key(self.user_id, media.id)
        if video is not None:
            self.store.put_file(key, video)
        return {
            "media_id": str(media.id),
            "user_id": str(self.user_id),
            "Transcode": {"video_key": key},
        }

    def count(self, model: type, media_id: str) -> int:
        with self.library.session() as session:
            statement = select(func.count()).select_from(model)
            statement = statement.where(model.media_id == uuid.UUID(media_id))
            return session.scalar(statement)


def _make_setup(url: str, tmp_path: Path) -> _Setup:
    settings = load_settings(
        environ={},
        home=tmp_path / "home",
        library_url=url,
        storage_url=(tmp_path / "blobs").as_uri(),
    )
    library = Library(settings.library_url)
    library.migrate()
    store = open_store(settings.storage_url)
    user = library.users.get_or_create("ada@example.com")
    activity = FaceDetectActivity(settings, models=FaceModels.default())
    return _Setup(library, store, activity, user.id)


@pytest.fixture
def setup(sqlite_url: str, tmp_path: Path) -> _Setup:
    return _make_setup(sqlite_url, tmp_path)


@pytest.fixture(scope="module")
def pair_clip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("clips") / "pair.mp4"
    return _clips.side_by_side(shared_data, output, seconds=2)


def test_stores_tracks_faces_and_crops(setup: _Setup, pair_clip: Path):
    stage_input = setup.add_media(pair_clip)
    context = ActivityContext.detached("wf-pair")

    result = setup.activity(stage_input, context)

    assert len(result["tracks"]) == 2
    assert result["embedding_model"] == "sface_2021dec_int8bq"
    assert len(json.dumps(result)) < 2000
    assert context.heartbeats
    with setup.library.session() as session:
        for track in result["tracks"]:
            assert track["best_face_id"] == track["face_ids"][0]
            assert track["too_small"] is False
            for face_id in track["face_ids"]:
                face = session.get(Face, uuid.UUID(face_id))
                assert face.track_id == track["track_id"]
                assert face.embedding_model == "sface_2021dec_int8bq"
                vector = np.frombuffer(face.embedding, dtype="<f4")
                assert vector.shape == (128,)
                assert abs(float(np.linalg.norm(vector)) - 1) < 1e-4
                assert track["start"] <= face.time_seconds <= track["end"]
                asset = session.get(MediaAsset, face.crop_asset_id)
                assert asset.type == AssetType.FACE_CROP
                crop = load_image(setup.store.get_bytes(asset.storage_key))
                assert crop.shape[:2] == (asset.height, asset.width)


def test_retry_replaces_previous_faces(setup: _Setup, pair_clip: Path):
    stage_input = setup.add_media(pair_clip)
    media_id = stage_input["media_id"]
    first = setup.activity(stage_input, ActivityContext.detached("wf", attempt=1))

    second = setup.activity(stage_input, ActivityContext.detached("wf", attempt=2))

    second_ids = {i for track in second["tracks"] for i in track["face_ids"]}
    first_ids = {i for track in first["tracks"] for i in track["face_ids"]}
    assert setup.count(Face, media_id) == len(second_ids)
    assert setup.count(MediaAsset, media_id) == len(second_ids)
    assert not first_ids & second_ids
    prefix = keys.media_prefix(setup.user_id, media_id) + "faces/"
    assert len(setup.store.list(prefix)) == len(second_ids)


def test_skip_faces_returns_empty_result(setup: _Setup):
    stage_input = setup.add_media(None, skip_faces=True)

    result = setup.activity(stage_input, ActivityContext.detached("wf-skip"))

    assert result == {"skipped": True, "tracks": []}


def test_cancelled_context_stores_nothing(setup: _Setup, pair_clip: Path):
    stage_input = setup.add_media(pair_clip)
    context = ActivityContext.detached("wf-cancel")
    context.cancel("cancel_requested")

    with pytest.raises(ActivityCancelled):
        setup.activity(stage_input, context)

    assert setup.count(Face, stage_input["media_id"]) == 0


def test_invalid_media_id_is_not_retried(setup: _Setup):
    stage_input = {"media_id": "not-a-uuid", "user_id": str(setup.user_id)}

    with pytest.raises(NonRetryableError, match="invalid media_id 'not-a-uuid'"):
        setup.activity(stage_input, ActivityContext.detached("wf-bad"))


def test_unknown_media_is_not_retried(setup: _Setup):
    stage_input = {"media_id": str(uuid.uuid4()), "user_id": str(setup.user_id)}

    with pytest.raises(NonRetryableError, match="not found"):
        setup.activity(stage_input, ActivityContext.detached("wf-gone"))


def test_missing_video_blob_is_not_retried(setup: _Setup):
    stage_input = setup.add_media(None)

    with pytest.raises(NonRetryableError, match="video.mp4' not found"):
        setup.activity(stage_input, ActivityContext.detached("wf-noblob"))


def test_corrupt_video_is_not_retried(setup: _Setup, tmp_path: Path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\0\0\0\x18ftypmp42" + bytes(2000))
    stage_input = setup.add_media(corrupt)

    with pytest.raises(NonRetryableError, match="cannot be decoded"):
        setup.activity(stage_input, ActivityContext.detached("wf-corrupt"))


def test_small_faces_flagged(setup: _Setup, shared_data: Path, tmp_path: Path):
    # The Solvay photo's faces are about 45 px tall at 1280 px wide, so at
    # 640 px they fall below the minimum size.
    clip = tmp_path / "solvay.mp4"
    _clips.run_ffmpeg(
        *_clips.looped_input(shared_data / "photos/groups/solvay_1927.jpg", 1),
        "-vf", "scale=640:-2", *_clips.h264_output(clip),
    )  # fmt: skip
    stage_input = setup.add_media(clip)

    result = setup.activity(stage_input, ActivityContext.detached("wf-small"))

    assert len(result["tracks"]) >= 10
    assert all(track["too_small"] for track in result["tracks"])
    with setup.library.session() as session:
        flags = set(session.scalars(select(Face.too_small)))
    assert flags == {True}


@pytest.mark.postgres
def test_stores_faces_on_postgres(postgres_url: str, tmp_path: Path, pair_clip: Path):
    setup = _make_setup(postgres_url, tmp_path)
    stage_input = setup.add_media(pair_clip)

    result = setup.activity(stage_input, ActivityContext.detached("wf-pg"))
    again = setup.activity(stage_input, ActivityContext.detached("wf-pg", attempt=2))

    faces = sum(len(track["face_ids"]) for track in again["tracks"])
    assert len(result["tracks"]) == 2
    assert setup.count(Face, stage_input["media_id"]) == faces
    setup.library.dispose()


def test_media_deleted_during_detection(
    setup: _Setup, pair_clip: Path, monkeypatch: pytest.MonkeyPatch
):
    stage_input = setup.add_media(pair_clip)
    media_id = stage_input["media_id"]
    analyze = facedetect.analyze_video

    def analyze_then_delete(*args, **kwargs):
        analysis = analyze(*args, **kwargs)
        setup.library.media.delete(setup.user_id, media_id)
        return analysis

    monkeypatch.setattr(facedetect, "analyze_video", analyze_then_delete)

    with pytest.raises(NonRetryableError, match="deleted while"):
        setup.activity(stage_input, ActivityContext.detached("wf-deleted"))

    prefix = keys.media_prefix(setup.user_id, media_id) + "faces/"
    assert setup.store.list(prefix) == []


def test_heartbeats_report_percent(setup: _Setup, pair_clip: Path):
    context = ActivityContext.detached("wf-progress")

    setup.activity(setup.add_media(pair_clip), context)

    details = json.loads(context.heartbeats[0])
    assert details["stage"] == "FaceDetect"
    assert 0 <= details["percent"] <= 100

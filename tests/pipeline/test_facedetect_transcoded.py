"""FaceDetect on the real output of the Transcode stage, as the workflow runs it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from vwf.config import load_settings
from vwf.faces import FaceModels
from vwf.library import Library
from vwf.pipeline.facedetect import FaceDetectActivity
from vwf.pipeline.transcode import TranscodeActivity
from vwf.storage import keys, open_store
from vwf.workflow import ActivityContext

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


def test_faces_of_transcoded_video(shared_data: Path, sqlite_url: str, tmp_path: Path):
    settings = load_settings(
        environ={},
        home=tmp_path / "home",
        library_url=sqlite_url,
        storage_url=(tmp_path / "blobs").as_uri(),
    )
    library = Library(settings.library_url)
    library.migrate()
    store = open_store(settings.storage_url)
    user = library.users.get_or_create("ada@example.com")
    media = library.media.create(user.id, content_hash=uuid.uuid4().hex, source="x")
    original = keys.original_key(user.id, media.id, "mp4")
    store.put_file(original, shared_data / "videos/white_house_music_10s.mp4")
    workflow_input = {
        "media_id": str(media.id),
        "user_id": str(user.id),
        "original_key": original,
    }

    transcoded = TranscodeActivity(settings)(
        workflow_input, ActivityContext.detached("wf-e2e")
    )
    detect = FaceDetectActivity(settings, models=FaceModels.default())
    result = detect(
        {**workflow_input, "Transcode": transcoded}, ActivityContext.detached("wf-e2e")
    )

    # The same clip analysed directly gives 19 tracks, 7 of them in the
    # audience shot at the end; transcoding may shift a few detections.
    tracks = result["tracks"]
    assert len(tracks) >= 10
    assert max(track["end"] for track in tracks) <= transcoded["duration"]
    assert sum(track["start"] >= 7.5 for track in tracks) >= 3

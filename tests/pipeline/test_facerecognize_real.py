"""FaceDetect then FaceRecognize on real videos, with people imported from
the real portrait photos."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.faces._clips import h264_output, looped_input, run_ffmpeg, side_by_side
from tests.faces._library_data import add_media, add_user, migrated_library
from vwf.config import load_settings
from vwf.faces import FaceModels
from vwf.faces._import import DirectorySource, PeopleImporter
from vwf.library import Face, Person, RecognitionResult
from vwf.pipeline.facedetect import FaceDetectActivity
from vwf.pipeline.facerecognize import FaceRecognizeActivity
from vwf.storage import LocalBlobStore, keys
from vwf.workflow import ActivityContext

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

# Face box centres (x, y) in the last shot of white_house_music_10s.mp4,
# which starts 7.2 s after the first frame, identified by eye.
LAST_SHOT_START = 7.1
FRONT_ROW = {
    "woman_left": (203, 130),
    "barack_obama": (355, 92),
    "woman_right": (415, 133),
}
# Other real people in that shot, blurred or half hidden behind the front row.
BACKGROUND = {
    "second_row_left": (81, 95),
    "right_edge": (611, 82),
    "top_left": (52, 61),
    "top_centre": (291, 47),
}


class Pipeline:
    """The two face stages over one real library and blob store."""

    def __init__(self, tmp_path: Path, models: FaceModels) -> None:
        self.settings = load_settings(environ={}, home=tmp_path)
        self.library = migrated_library(self.settings.library_url)
        self.store = LocalBlobStore(tmp_path / "blobs")
        self.owner = add_user(self.library)
        self.detect = FaceDetectActivity(
            self.settings, models=models, library=self.library, store=self.store
        )
        self.recognize = FaceRecognizeActivity(self.settings, library=self.library)
        self.models = models

    def import_people(self, folder: Path) -> None:
        importer = PeopleImporter(
            self.library, self.store, self.owner, models=self.models
        )
        importer.run(DirectorySource(folder))

    def process(self, video: Path) -> tuple[uuid.UUID, dict]:
        media_id = add_media(self.library, self.owner)
        self.store.put_file(keys.video_key(self.owner, media_id), video)
        stage_input = {"media_id": str(media_id), "user_id": str(self.owner)}
        detected = self.detect(stage_input, ActivityContext.detached())
        result = self.recognize(
            {**stage_input, "FaceDetect": detected}, ActivityContext.detached()
        )
        return media_id, result

    def faces(self, media_id: uuid.UUID) -> list[Face]:
        with self.library.session() as session:
            return list(session.scalars(select(Face).where(Face.media_id == media_id)))

    def person(self, person_id: uuid.UUID) -> Person:
        with self.library.session() as session:
            return session.get(Person, person_id)


@pytest.fixture
def pipeline(tmp_path, models):
    pipeline = Pipeline(tmp_path, models)
    yield pipeline
    pipeline.library.dispose()


@pytest.fixture(scope="session")
def models():
    return FaceModels.default()


def _label(face: Face) -> str | None:
    # The labelled position nearest the face's centre, within 30 px, in the
    # last shot of the White House clip.
    if face.time_seconds < LAST_SHOT_START:
        return None
    centre = (face.box_x + face.box_w / 2, face.box_y + face.box_h / 2)
    for label, (x, y) in {**FRONT_ROW, **BACKGROUND}.items():
        if abs(centre[0] - x) < 30 and abs(centre[1] - y) < 30:
            return label
    return None


def test_white_house_clip_people(pipeline, shared_data):
    pipeline.import_people(shared_data / "photos/people")

    media_id, result = pipeline.process(
        shared_data / "videos/white_house_music_10s.mp4"
    )

    names = {person["name"] for person in result["people"]}
    assert "lin_manuel_miranda" in names
    assert "barack_obama" in names
    faces = [face for face in pipeline.faces(media_id) if face.person_id is not None]
    people_of_label: dict[str, set[uuid.UUID]] = {}
    labels_of_person: dict[uuid.UUID, set[str | None]] = {}
    for face in faces:
        label = _label(face)
        people_of_label.setdefault(label, set()).add(face.person_id)
        labels_of_person.setdefault(face.person_id, set()).add(label)

    left, right = people_of_label["woman_left"], people_of_label["woman_right"]
    assert len(left) == 1
    assert len(right) == 1
    assert left != right
    for person_id in left | right:
        assert pipeline.person(person_id).name is None
    obama = people_of_label["barack_obama"]
    assert {pipeline.person(p).name for p in obama} == {"barack_obama"}

    new_people = [p for p in result["people"] if p["new"]]
    for person in new_people:
        labels = labels_of_person[uuid.UUID(person["person_id"])]
        assert len(labels) == 1, f"new person {person} merges {labels}"
        assert labels <= set(FRONT_ROW) | set(BACKGROUND)


def test_white_house_blurred_faces_hidden(pipeline, shared_data):
    media_id, _ = pipeline.process(shared_data / "videos/white_house_music_10s.mp4")

    rejected = [
        face
        for face in pipeline.faces(media_id)
        if face.recognition in (RecognitionResult.BAD_FACE, RecognitionResult.NOT_FACE)
    ]
    assert rejected
    assert all(face.person_id is None for face in rejected)


def _still_clip(photo: Path, output: Path, seconds: float = 2) -> Path:
    run_ffmpeg(
        *looped_input(photo, seconds),
        "-vf",
        "scale=640:-2",
        *h264_output(output),
    )
    return output


def test_same_person_in_two_videos_is_one_person(pipeline, shared_data, tmp_path):
    people = shared_data / "photos/people"
    first = _still_clip(people / "kit_harington/01.jpg", tmp_path / "a.mp4")
    second = _still_clip(people / "kit_harington/02.jpg", tmp_path / "b.mp4")

    _, first_result = pipeline.process(first)
    _, second_result = pipeline.process(second)

    assert len(first_result["people"]) == 1
    assert first_result["people"][0]["new"] is True
    assert len(second_result["people"]) == 1
    assert second_result["people"][0]["new"] is False
    assert (
        second_result["people"][0]["person_id"]
        == first_result["people"][0]["person_id"]
    )


def test_two_people_side_by_side_are_two_people(pipeline, shared_data, tmp_path):
    clip = side_by_side(shared_data, tmp_path / "pair.mp4")

    _, result = pipeline.process(clip)

    assert len(result["people"]) == 2
    assert all(person["new"] for person in result["people"])


def test_side_by_side_known_people_matched(pipeline, shared_data, tmp_path):
    pipeline.import_people(shared_data / "photos/people")
    clip = side_by_side(shared_data, tmp_path / "pair.mp4")

    _, result = pipeline.process(clip)

    names = sorted(person["name"] for person in result["people"])
    assert names == ["barack_obama", "joe_biden"]

"""Tests of importing labelled photos into people, with the real models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.faces._library_data import add_user, migrated_library, people_of
from vwf.faces import FaceModels
from vwf.faces._import import DirectorySource, LabelledPhoto, PeopleImporter
from vwf.faces._people import People
from vwf.faces.errors import ImportSourceError
from vwf.library import Face, Media, RecognitionResult
from vwf.storage import LocalBlobStore


@pytest.fixture(scope="module")
def models():
    return FaceModels.default()


@pytest.fixture
def photos(shared_data):
    return shared_data / "photos"


@pytest.fixture
def library(sqlite_url):
    return migrated_library(sqlite_url)


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def labelled(tmp_path, photos) -> Path:
    """Two people's folders copied from the shared photos, plus a non-face."""
    root = tmp_path / "people"
    for person, names in {
        "joe_biden": ["01.jpg", "02.jpg"],
        "grace_hopper": ["01.jpg"],
    }.items():
        (root / person).mkdir(parents=True)
        for name in names:
            shutil.copy(photos / "people" / person / name, root / person / name)
    (root / "grace_hopper" / "notes.txt").write_text("not a photo")
    return root


def _importer(library, store, owner, models):
    return PeopleImporter(library, store, owner, models=models)


def _count_faces(library, owner):
    with library.session() as session:
        return session.scalar(
            select(func.count()).select_from(Face).where(Face.owner_id == owner)
        )


@pytest.mark.shared_data
def test_import_creates_named_people(library, store, labelled, models):
    owner = add_user(library)

    report = _importer(library, store, owner, models).run(DirectorySource(labelled))

    assert sorted(report.people_created) == ["grace_hopper", "joe_biden"]
    assert len(report.imported) == 3
    summaries = {p.name: p for p in People(library, owner).list()}
    assert summaries["joe_biden"].face_count == 2
    assert summaries["grace_hopper"].face_count == 1
    assert summaries["joe_biden"].cover_face_id is not None


@pytest.mark.shared_data
def test_import_faces_human_recognized_with_crops(library, store, labelled, models):
    owner = add_user(library)
    _importer(library, store, owner, models).run(DirectorySource(labelled))

    detail = People(library, owner).get(People(library, owner).list()[0].id)

    for face in detail.faces:
        assert face.recognition is RecognitionResult.HUMAN_RECOGNIZED
        assert store.exists(face.crop_key)


@pytest.mark.shared_data
def test_import_twice_adds_nothing(library, store, labelled, models):
    owner = add_user(library)
    importer = _importer(library, store, owner, models)
    importer.run(DirectorySource(labelled))

    second = importer.run(DirectorySource(labelled))

    assert second.imported == []
    assert len(second.already_imported) == 3
    assert len(people_of(library, owner)) == 2
    assert _count_faces(library, owner) == 3


@pytest.mark.shared_data
def test_import_extends_existing_person(library, store, labelled, models, photos):
    owner = add_user(library)
    importer = _importer(library, store, owner, models)
    importer.run(DirectorySource(labelled))
    extra = labelled.parent / "more" / "Joe_Biden"
    extra.mkdir(parents=True)
    shutil.copy(photos / "groups" / "obama_and_biden.jpg", extra / "group.jpg")

    report = importer.run(DirectorySource(labelled.parent / "more"))

    assert report.people_created == []
    assert len(people_of(library, owner)) == 2


@pytest.mark.shared_data
def test_photo_without_face_reported(library, store, tmp_path, models):
    owner = add_user(library)
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("RGB", (200, 200), "grey").save(blank)
    photos = [
        LabelledPhoto("Nobody", str(blank), blank.read_bytes()),
        LabelledPhoto("Broken", "broken.jpg", b"not an image"),
    ]

    report = _importer(library, store, owner, models).run(photos)

    assert report.without_face == [str(blank)]
    assert report.unreadable == ["broken.jpg"]
    assert people_of(library, owner) == []
    with library.session() as session:
        assert session.scalar(select(func.count()).select_from(Media)) == 0


@pytest.mark.shared_data
def test_import_applies_exif_orientation(library, store, tmp_path, photos, models):
    owner = add_user(library)
    folder = tmp_path / "rotated" / "someone"
    folder.mkdir(parents=True)
    shutil.copy(
        photos / "orientation" / "portrait_exif_orientation_6.jpg", folder / "a.jpg"
    )

    report = _importer(library, store, owner, models).run(
        DirectorySource(tmp_path / "rotated")
    )

    assert len(report.imported) == 1
    with library.session() as session:
        face = session.scalars(select(Face)).one()
        media = session.get(Media, face.media_id)
    # Stored as 700x840 with Orientation 6; upright it is 840x700.
    assert (media.width, media.height) == (840, 700)
    assert face.box_h > face.box_w * 0.9


def test_directory_source_missing_folder(tmp_path):
    with pytest.raises(ImportSourceError, match="not found"):
        list(DirectorySource(tmp_path / "missing"))


def test_directory_source_names_and_suffixes(tmp_path):
    (tmp_path / "Ada  Lovelace").mkdir()
    (tmp_path / "Ada  Lovelace" / "a.JPG").write_bytes(b"x")
    (tmp_path / "Ada  Lovelace" / "b.txt").write_bytes(b"x")

    photos = list(DirectorySource(tmp_path))

    assert [(p.person_name, Path(p.source).name) for p in photos] == [
        ("Ada Lovelace", "a.JPG")
    ]


def test_directory_source_skips_hidden_and_loose_photos(tmp_path, caplog):
    from vwf.faces import DirectorySource

    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "1.jpg").write_bytes(b"a")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "2.jpg").write_bytes(b"b")
    (tmp_path / "loose.jpg").write_bytes(b"c")

    photos = list(DirectorySource(tmp_path))

    assert [photo.person_name for photo in photos] == ["ada"]
    assert "skipped 1 photos directly in" in caplog.text

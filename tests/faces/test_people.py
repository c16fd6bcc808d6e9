"""Tests of the people API: naming, merging, moving, splitting, rejecting,
deleting, owner scoping and contact sheets, on real SQLite and PostgreSQL."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from tests.faces._library_data import (
    add_media,
    add_track,
    add_user,
    faces_of,
    migrated_library,
    people_of,
    random_unit,
)
from vwf.faces._people import People, find_user_id
from vwf.faces._person_rows import assign_faces
from vwf.faces._tables import PersonExclusion
from vwf.faces.errors import PeopleError
from vwf.library import AssetType, Face, MediaAsset, NotFoundError, Person
from vwf.library import RecognitionResult as Result
from vwf.storage import LocalBlobStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def library(request):
    library = migrated_library(request.getfixturevalue(f"{request.param}_url"))
    yield library
    library.dispose()


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def _person_with_faces(library, owner, rng, count=3, name=None):
    """Store a person whose ``count`` faces come from one new media."""
    media = add_media(library, owner)
    ids = add_track(
        library,
        owner,
        media,
        1,
        [random_unit(rng) for _ in range(count)],
        start=0,
        end=2,
    )
    with library.session() as session:
        person = Person(owner_id=owner, name=name)
        session.add(person)
        session.flush()
        faces = [session.get(Face, face_id) for face_id in ids]
        assign_faces(faces, person, Result.NEW_FACE, None)
        return person.id, ids, media


def _person(library, person_id):
    with library.session() as session:
        return session.get(Person, person_id)


def _face(library, face_id):
    with library.session() as session:
        return session.get(Face, face_id)


def _exclusions(library):
    with library.session() as session:
        rows = session.scalars(select(PersonExclusion)).all()
        return {(row.face_id, row.person_id) for row in rows}


def test_list_named_people_first(library, rng):
    owner = add_user(library)
    _person_with_faces(library, owner, rng)
    _person_with_faces(library, owner, rng, name="Zoe")
    _person_with_faces(library, owner, rng, name="Ada")

    names = [person.name for person in People(library, owner).list()]

    assert names == ["Ada", "Zoe", None]


def test_list_counts_faces_and_media(library, rng):
    owner = add_user(library)
    _person_with_faces(library, owner, rng, count=4)

    (summary,) = People(library, owner).list()

    assert summary.face_count == 4
    assert summary.media_count == 1
    assert summary.cover_face_id is not None


def test_rename_changes_only_name(library, rng):
    owner = add_user(library)
    person_id, ids, _ = _person_with_faces(library, owner, rng)
    before = _person(library, person_id)

    People(library, owner).rename(person_id, "  Ada   Lovelace ")

    after = _person(library, person_id)
    assert after.name == "Ada Lovelace"
    assert after.cover_face_id == before.cover_face_id
    assert {_face(library, i).person_id for i in ids} == {person_id}
    assert {_face(library, i).recognition for i in ids} == {Result.NEW_FACE}


def test_rename_rejects_empty_name(library, rng):
    owner = add_user(library)
    person_id, _, _ = _person_with_faces(library, owner, rng)

    with pytest.raises(PeopleError, match="invalid person name"):
        People(library, owner).rename(person_id, "   ")


def test_merge_moves_faces_and_deletes_source(library, rng):
    owner = add_user(library)
    source, source_faces, _ = _person_with_faces(library, owner, rng, name="Ada")
    target, target_faces, _ = _person_with_faces(library, owner, rng)

    summary = People(library, owner).merge(source, target)

    assert summary.face_count == 6
    assert summary.name == "Ada"
    assert _person(library, source) is None
    assert {_face(library, i).person_id for i in source_faces + target_faces} == {
        target
    }
    assert _face(library, source_faces[0]).recognition is Result.HUMAN_RECOGNIZED
    assert _face(library, target_faces[0]).recognition is Result.NEW_FACE


def test_merge_keeps_target_name(library, rng):
    owner = add_user(library)
    source, _, _ = _person_with_faces(library, owner, rng, name="Ada")
    target, _, _ = _person_with_faces(library, owner, rng, name="Grace")

    assert People(library, owner).merge(source, target).name == "Grace"


def test_merge_into_itself_rejected(library, rng):
    owner = add_user(library)
    person, _, _ = _person_with_faces(library, owner, rng)

    with pytest.raises(PeopleError, match="into itself"):
        People(library, owner).merge(person, person)


def test_merge_carries_exclusions(library, rng):
    owner = add_user(library)
    source, _, _ = _person_with_faces(library, owner, rng)
    target, _, _ = _person_with_faces(library, owner, rng)
    _, other_faces, _ = _person_with_faces(library, owner, rng)
    people = People(library, owner)
    people.reject(other_faces[0], source)

    people.merge(source, target)

    assert _exclusions(library) == {(other_faces[0], target)}


def test_move_subset_only(library, rng):
    owner = add_user(library)
    source, source_faces, _ = _person_with_faces(library, owner, rng, count=4)
    target, _, _ = _person_with_faces(library, owner, rng)

    People(library, owner).move_faces(source_faces[:2], target)

    assert [_face(library, i).person_id for i in source_faces] == [
        target,
        target,
        source,
        source,
    ]
    assert _face(library, source_faces[0]).recognition is Result.HUMAN_RECOGNIZED
    assert _face(library, source_faces[2]).recognition is Result.NEW_FACE


def test_move_remembers_not_previous_person(library, rng):
    owner = add_user(library)
    source, source_faces, _ = _person_with_faces(library, owner, rng)
    target, _, _ = _person_with_faces(library, owner, rng)

    People(library, owner).move_faces([source_faces[0]], target)

    assert _exclusions(library) == {(source_faces[0], source)}


def test_move_back_forgets_exclusion(library, rng):
    owner = add_user(library)
    source, source_faces, _ = _person_with_faces(library, owner, rng)
    target, _, _ = _person_with_faces(library, owner, rng)
    people = People(library, owner)
    people.move_faces([source_faces[0]], target)

    people.move_faces([source_faces[0]], source)

    assert _exclusions(library) == {(source_faces[0], target)}


def test_move_all_faces_deletes_empty_unnamed_person(library, rng):
    owner = add_user(library)
    source, source_faces, _ = _person_with_faces(library, owner, rng)
    target, _, _ = _person_with_faces(library, owner, rng)

    People(library, owner).move_faces(source_faces, target)

    assert _person(library, source) is None


def test_move_repairs_cover(library, rng):
    owner = add_user(library)
    source, source_faces, _ = _person_with_faces(library, owner, rng)
    target, _, _ = _person_with_faces(library, owner, rng)
    cover = _person(library, source).cover_face_id

    People(library, owner).move_faces([cover], target)

    new_cover = _person(library, source).cover_face_id
    assert new_cover in source_faces
    assert new_cover != cover


def test_split_creates_new_person(library, rng):
    owner = add_user(library)
    person, faces, _ = _person_with_faces(library, owner, rng, count=4, name="Ada")

    summary = People(library, owner).split(person, faces[2:])

    assert summary.id != person
    assert summary.name is None
    assert summary.face_count == 2
    assert [_face(library, i).person_id for i in faces[:2]] == [person, person]


def test_split_rejects_other_persons_faces(library, rng):
    owner = add_user(library)
    person, _, _ = _person_with_faces(library, owner, rng)
    _, other_faces, _ = _person_with_faces(library, owner, rng)

    with pytest.raises(PeopleError, match="do not belong"):
        People(library, owner).split(person, other_faces[:1])


def test_reject_unassigns_and_remembers(library, rng):
    owner = add_user(library)
    person, faces, _ = _person_with_faces(library, owner, rng)

    People(library, owner).reject(faces[0], person)

    face = _face(library, faces[0])
    assert face.person_id is None
    assert face.recognition is None
    assert _exclusions(library) == {(faces[0], person)}


def test_reject_twice_keeps_one_exclusion(library, rng):
    owner = add_user(library)
    person, faces, _ = _person_with_faces(library, owner, rng)
    people = People(library, owner)

    people.reject(faces[0], person)
    people.reject(faces[0], person)

    assert len(_exclusions(library)) == 1


def test_delete_removes_person_and_faces(library, rng):
    owner = add_user(library)
    person, faces, _ = _person_with_faces(library, owner, rng)

    count = People(library, owner).delete(person)

    assert count == 3
    assert _person(library, person) is None
    assert _face(library, faces[0]) is None


def test_delete_keep_faces_leaves_them_unassigned(library, rng):
    owner = add_user(library)
    person, faces, _ = _person_with_faces(library, owner, rng)

    People(library, owner).delete(person, keep_faces=True)

    face = _face(library, faces[0])
    assert face.person_id is None
    assert face.recognition is None


def test_delete_media_faces_only_that_media(library, rng):
    owner = add_user(library)
    person, faces, media = _person_with_faces(library, owner, rng, name="Ada")
    other_media = add_media(library, owner)
    other = add_track(
        library, owner, other_media, 1, [random_unit(rng)], start=0, end=0
    )
    People(library, owner).move_faces(other, person)

    count = People(library, owner).delete_media_faces(media)

    assert count == 3
    assert faces_of(library, media) == []
    assert _face(library, other[0]).person_id == person
    assert _person(library, person).cover_face_id == other[0]


def test_delete_media_faces_drops_empty_unnamed_people(library, rng):
    owner = add_user(library)
    person, _, media = _person_with_faces(library, owner, rng)

    People(library, owner).delete_media_faces(media)

    assert people_of(library, owner) == []
    assert _person(library, person) is None


def test_other_owner_cannot_see_or_change(library, rng):
    owner = add_user(library, "ada@example.com")
    intruder = add_user(library, "eve@example.com")
    person, faces, media = _person_with_faces(library, owner, rng)
    people = People(library, intruder)

    assert people.list() == []
    with pytest.raises(NotFoundError):
        people.get(person)
    with pytest.raises(NotFoundError):
        people.rename(person, "Eve")
    with pytest.raises(NotFoundError):
        people.move_faces(faces, None)
    with pytest.raises(NotFoundError):
        people.delete(person)
    assert people.delete_media_faces(media) == 0
    assert _person(library, person).name is None
    assert len(faces_of(library, media)) == 3


def test_unknown_person_not_found(library):
    owner = add_user(library)

    with pytest.raises(NotFoundError, match="not found"):
        People(library, owner).get(uuid.uuid4())


def test_find_user_id_case_insensitive(library):
    owner = add_user(library, "ada@example.com")

    assert find_user_id(library, " ADA@example.com ") == owner


def test_contact_sheet_draws_crops(library, rng, tmp_path):
    owner = add_user(library)
    person, faces, media = _person_with_faces(library, owner, rng, count=3)
    blobs = {}
    with library.session() as session:
        for index, face_id in enumerate(faces):
            key = f"crop-{index}.png"
            buffer = io.BytesIO()
            Image.new("RGB", (40, 50), (index * 80, 0, 0)).save(buffer, "PNG")
            blobs[key] = buffer.getvalue()
            asset = MediaAsset(
                media_id=media, type=AssetType.FACE_CROP, storage_key=key
            )
            session.add(asset)
            session.flush()
            session.get(Face, face_id).crop_asset_id = asset.id
    path = tmp_path / "sheet.png"

    drawn = People(library, owner).contact_sheet(
        person, path, blobs.__getitem__, tile=32
    )

    assert drawn == 3
    with Image.open(path) as sheet:
        assert sheet.size == (96, 32)


def test_contact_sheet_without_crops_raises(library, rng, tmp_path):
    owner = add_user(library)
    person, _, _ = _person_with_faces(library, owner, rng)

    with pytest.raises(PeopleError, match="no stored face crops"):
        People(library, owner).contact_sheet(person, tmp_path / "x.png", dict().get)


def test_delete_removes_crop_assets_and_blobs(library, rng, tmp_path):
    owner = add_user(library)
    person, faces, media = _person_with_faces(library, owner, rng, count=2)
    store = LocalBlobStore(tmp_path / "blobs")
    with library.session() as session:
        for face_id in faces:
            key = f"users/{owner}/media/{media}/faces/{face_id}.jpg"
            store.put_bytes(key, b"jpeg")
            asset = MediaAsset(
                media_id=media, type=AssetType.FACE_CROP, storage_key=key
            )
            session.add(asset)
            session.flush()
            session.get(Face, face_id).crop_asset_id = asset.id

    People(library, owner, store=store).delete(person)

    with library.session() as session:
        assert session.scalars(select(MediaAsset)).all() == []
    assert store.list() == []

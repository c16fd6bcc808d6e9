from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from vwf.library import (
    AssetType,
    Face,
    InvalidTransitionError,
    Library,
    MediaMetadata,
    MediaStatus,
    NewAsset,
    NotFoundError,
    Person,
    get_owned,
)


@pytest.fixture
def alice(library: Library):
    return library.users.get_or_create("alice@example.com", "Alice")


@pytest.fixture
def bob(library: Library):
    return library.users.get_or_create("bob@example.com", "Bob")


@pytest.fixture
def media(library: Library, alice):
    return library.media.create(alice.id, content_hash="ab" * 32, source="/v.mp4")


def test_get_or_create_user_returns_same_row(library: Library, alice) -> None:
    again = library.users.get_or_create("  ALICE@example.com ")

    assert again.id == alice.id


def test_create_media_starts_pending(media) -> None:
    assert media.status is MediaStatus.PENDING


def test_create_media_unknown_owner_not_found(library: Library) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        library.media.create(uuid.uuid4(), content_hash=None, source=None)


def test_get_media_other_owner_not_found(library: Library, media, bob) -> None:
    with pytest.raises(NotFoundError) as raised:
        library.media.get(bob.id, media.id)

    assert str(raised.value) == f"media {media.id} not found"


def test_get_media_invalid_uuid_not_found(library: Library, alice) -> None:
    with pytest.raises(NotFoundError, match="not-a-uuid"):
        library.media.get(alice.id, "not-a-uuid")


def test_other_owner_cannot_change_or_delete(library: Library, media, bob) -> None:
    with pytest.raises(NotFoundError):
        library.media.set_status(bob.id, media.id, MediaStatus.FAILED, "x")
    with pytest.raises(NotFoundError):
        library.media.update(bob.id, media.id, title="stolen")
    with pytest.raises(NotFoundError):
        library.media.delete(bob.id, media.id)
    with pytest.raises(NotFoundError):
        library.media.replace_assets(
            bob.id, media.id, [NewAsset(AssetType.POSTER, "k")]
        )

    unchanged = library.media.get(media.owner_id, media.id)
    assert unchanged.status is MediaStatus.PENDING
    assert unchanged.title is None


def test_list_media_only_own(library: Library, media, bob) -> None:
    library.media.create(bob.id, content_hash="cd" * 32, source=None)

    listed = library.media.list(media.owner_id)

    assert [item.id for item in listed] == [media.id]


def test_same_hash_allowed_for_two_users(library: Library, media, bob) -> None:
    other = library.media.create(bob.id, content_hash=media.content_hash, source=None)

    assert library.media.find_by_hash(bob.id, media.content_hash).id == other.id


def test_status_forward_path(library: Library, media) -> None:
    library.media.set_status(media.owner_id, media.id, MediaStatus.VISIBLE)

    done = library.media.set_status(media.owner_id, media.id, MediaStatus.COMPLETE)

    assert done.status is MediaStatus.COMPLETE


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], MediaStatus.COMPLETE),
        ([MediaStatus.VISIBLE], MediaStatus.PENDING),
        ([MediaStatus.VISIBLE, MediaStatus.COMPLETE], MediaStatus.VISIBLE),
    ],
)
def test_status_invalid_transition_raises(library: Library, media, path, target):
    for status in path:
        library.media.set_status(media.owner_id, media.id, status)

    with pytest.raises(InvalidTransitionError, match=f"to {target.value}"):
        library.media.set_status(media.owner_id, media.id, target)


def test_status_failed_needs_reason(library: Library, media) -> None:
    with pytest.raises(Exception, match="needs a reason"):
        library.media.set_status(media.owner_id, media.id, MediaStatus.FAILED)


def test_failed_then_pending_clears_reason(library: Library, media) -> None:
    library.media.set_status(media.owner_id, media.id, MediaStatus.FAILED, "broken")

    reset = library.media.reset_for_resubmission(
        media.owner_id, media.id, source="/new.mp4", title="New", skip_faces=True
    )

    assert reset.status is MediaStatus.PENDING
    assert reset.failure_reason is None
    assert reset.skip_faces is True


def test_reset_pending_media_raises(library: Library, media) -> None:
    with pytest.raises(InvalidTransitionError):
        library.media.reset_for_resubmission(
            media.owner_id, media.id, source=None, title=None, skip_faces=False
        )


def test_replace_assets_is_idempotent(library: Library, media) -> None:
    asset = NewAsset(AssetType.POSTER, "users/u/media/m/poster.jpg", 1280, 720)

    library.media.replace_assets(media.owner_id, media.id, [asset])
    library.media.replace_assets(media.owner_id, media.id, [asset])

    assets = library.media.assets(media.owner_id, media.id)
    assert [a.storage_key for a in assets] == [asset.storage_key]


def test_set_metadata_stores_values(library: Library, media) -> None:
    recorded = datetime(2021, 6, 1, 12, 30, tzinfo=UTC)

    library.media.set_metadata(
        media.owner_id,
        media.id,
        MediaMetadata(
            duration_seconds=3.5, width=1280, height=720, recorded_at=recorded
        ),
    )

    stored = library.media.get(media.owner_id, media.id)
    assert stored.recorded_at == recorded
    assert stored.width == 1280
    assert stored.duration_seconds == 3.5


def test_record_stage_overwrites(library: Library, media) -> None:
    library.media.record_stage(media.owner_id, media.id, "transcode", attempt=1)

    library.media.record_stage(
        media.owner_id, media.id, "transcode", attempt=2, details={"k": 1}
    )

    stages = library.media.stages(media.owner_id, media.id)
    assert [(s.stage, s.attempt, s.details) for s in stages] == [
        ("transcode", 2, {"k": 1})
    ]


def test_delete_media_removes_children(library: Library, media) -> None:
    library.media.replace_assets(
        media.owner_id, media.id, [NewAsset(AssetType.POSTER, "p.jpg")]
    )

    library.media.delete(media.owner_id, media.id)

    with pytest.raises(NotFoundError):
        library.media.get(media.owner_id, media.id)


def test_faces_and_people_scoped(library: Library, media, bob) -> None:
    with library.session() as session:
        person = Person(owner_id=media.owner_id, name="Grandma")
        session.add(person)
        session.flush()
        face = Face(
            owner_id=media.owner_id,
            media_id=media.id,
            time_seconds=1.0,
            box_x=1,
            box_y=2,
            box_w=30,
            box_h=40,
            person_id=person.id,
        )
        session.add(face)
        session.flush()
        person.cover_face_id = face.id
        ids = (person.id, face.id)

    with library.session() as session:
        with pytest.raises(NotFoundError, match="person"):
            get_owned(session, Person, bob.id, ids[0])
        with pytest.raises(NotFoundError, match="face"):
            get_owned(session, Face, bob.id, ids[1])
        own_face = get_owned(session, Face, media.owner_id, ids[1])
        assert own_face.person_id == ids[0]

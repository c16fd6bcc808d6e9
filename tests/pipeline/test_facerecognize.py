"""Tests of the FaceRecognize stage on a real library with synthetic embeddings."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from tests.faces._library_data import (
    add_known_person,
    add_media,
    add_track,
    add_user,
    faces_of,
    migrated_library,
    near,
    people_of,
    random_unit,
)
from vwf.config import load_settings
from vwf.faces._people import People
from vwf.faces._recognize import merge_spans
from vwf.faces._turn import RecognitionTurns
from vwf.faces.errors import UserBusyError
from vwf.library import Person, RecognitionResult
from vwf.pipeline.facerecognize import FaceRecognizeActivity, track_spans
from vwf.workflow import ActivityContext
from vwf.workflow.errors import NonRetryableError, TryLaterError


@pytest.fixture
def library(sqlite_url):
    return migrated_library(sqlite_url)


@pytest.fixture
def activity(library, tmp_path):
    settings = load_settings(environ={}, home=tmp_path)
    return FaceRecognizeActivity(settings, library=library)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _run(activity, media_id, tracks=None):
    stage_input = {"media_id": str(media_id)}
    if tracks is not None:
        stage_input["FaceDetect"] = {"tracks": tracks}
    return activity(stage_input, ActivityContext.detached())


def _people_by_id(result):
    return {person["person_id"]: person for person in result["people"]}


def test_known_person_matched(library, activity, rng):
    owner = add_user(library)
    ada = random_unit(rng)
    person_id = add_known_person(
        library, owner, "Ada", [near(rng, ada), near(rng, ada)]
    )
    media = add_media(library, owner)
    add_track(
        library, owner, media, 1, [near(rng, ada) for _ in range(3)], start=0, end=2
    )

    result = _run(activity, media)

    assert len(result["people"]) == 1
    found = result["people"][0]
    assert found["person_id"] == str(person_id)
    assert found["name"] == "Ada"
    assert found["new"] is False
    assert found["face_count"] == 3
    assert all(
        face.recognition is RecognitionResult.MACHINE_RECOGNIZED
        for face in faces_of(library, media)
    )


def test_unknown_person_becomes_one_new_person(library, activity, rng):
    owner = add_user(library)
    stranger = random_unit(rng)
    media = add_media(library, owner)
    add_track(
        library,
        owner,
        media,
        1,
        [near(rng, stranger) for _ in range(3)],
        start=0,
        end=2,
    )
    add_track(
        library,
        owner,
        media,
        2,
        [near(rng, stranger) for _ in range(3)],
        start=3,
        end=5,
    )

    result = _run(activity, media)

    assert len(result["people"]) == 1
    assert result["people"][0]["new"] is True
    assert result["people"][0]["name"] is None
    assert result["people"][0]["time_ranges"] == [[0.0, 2.0], [3.0, 5.0]]
    assert len(people_of(library, owner)) == 1


def test_same_moment_tracks_stay_two_people(library, activity, rng):
    # Near-identical embeddings, but on screen at once: cannot-link.
    owner = add_user(library)
    twin = random_unit(rng)
    media = add_media(library, owner)
    add_track(
        library,
        owner,
        media,
        1,
        [near(rng, twin, 0.3) for _ in range(3)],
        start=0,
        end=4,
    )
    add_track(
        library,
        owner,
        media,
        2,
        [near(rng, twin, 0.3) for _ in range(3)],
        start=1,
        end=5,
    )

    result = _run(activity, media)

    assert len(result["people"]) == 2
    assert len(people_of(library, owner)) == 2


def test_track_spans_from_input_create_cannot_link(library, activity, rng):
    # The kept faces do not overlap in time, but FaceDetect's spans do.
    owner = add_user(library)
    twin = random_unit(rng)
    media = add_media(library, owner)
    add_track(
        library,
        owner,
        media,
        1,
        [near(rng, twin, 0.3) for _ in range(3)],
        start=0,
        end=1,
    )
    add_track(
        library,
        owner,
        media,
        2,
        [near(rng, twin, 0.3) for _ in range(3)],
        start=2,
        end=3,
    )
    tracks = [
        {"track_id": 1, "start": 0.0, "end": 3.0},
        {"track_id": 2, "start": 0.0, "end": 3.0},
    ]

    result = _run(activity, media, tracks)

    assert len(result["people"]) == 2


def test_known_person_given_to_one_of_two_simultaneous(library, activity, rng):
    owner = add_user(library)
    ada = random_unit(rng)
    person_id = add_known_person(library, owner, "Ada", [ada])
    media = add_media(library, owner)
    add_track(
        library,
        owner,
        media,
        1,
        [near(rng, ada, 0.4) for _ in range(3)],
        start=0,
        end=4,
    )
    add_track(
        library,
        owner,
        media,
        2,
        [near(rng, ada, 0.6) for _ in range(3)],
        start=1,
        end=5,
    )

    result = _run(activity, media)

    matched = [p for p in result["people"] if p["person_id"] == str(person_id)]
    assert len(matched) == 1
    assert matched[0]["time_ranges"] == [[0.0, 4.0]]


def test_unsure_faces_left_unassigned(library, activity, rng):
    owner = add_user(library)
    ada = random_unit(rng)
    add_known_person(library, owner, "Ada", [ada])
    media = add_media(library, owner)
    # Similarity to Ada about 0.33: between new_person (0.28) and match (0.38).
    halfway = near(rng, ada, 2.8)
    add_track(library, owner, media, 1, [halfway] * 3, start=0, end=2)

    result = _run(activity, media)

    assert result["people"] == []
    assert result["unsure_faces"] == 3
    faces = faces_of(library, media)
    assert all(face.person_id is None for face in faces)
    assert all(face.recognition is None for face in faces)


def test_poor_faces_rejected(library, activity, rng):
    owner = add_user(library)
    media = add_media(library, owner)
    vector = random_unit(rng)
    add_track(library, owner, media, 1, [vector], start=0, end=0, detection_score=0.5)
    add_track(library, owner, media, 2, [vector], start=1, end=1, too_small=True)
    add_track(library, owner, media, 3, [vector], start=2, end=2, quality=0.001)

    result = _run(activity, media)

    results = [face.recognition for face in faces_of(library, media)]
    assert results == [
        RecognitionResult.NOT_FACE,
        RecognitionResult.BAD_FACE,
        RecognitionResult.BAD_FACE,
    ]
    assert result["rejected_faces"] == 3


def test_box_holding_two_faces_is_two_face(library, activity, rng):
    owner = add_user(library)
    media = add_media(library, owner)
    for track_id, box in enumerate(
        [(0, 0, 200, 200), (10, 10, 50, 50), (120, 10, 50, 50)]
    ):
        add_track(
            library, owner, media, track_id, [random_unit(rng)], start=1, end=1, box=box
        )

    _run(activity, media)

    wide = [face for face in faces_of(library, media) if face.box_w == 200]
    assert wide[0].recognition is RecognitionResult.TWO_FACE


def test_retry_gives_same_people_without_duplicates(library, activity, rng):
    owner = add_user(library)
    ada, stranger = random_unit(rng), random_unit(rng)
    add_known_person(library, owner, "Ada", [ada])
    media = add_media(library, owner)
    add_track(
        library, owner, media, 1, [near(rng, ada) for _ in range(3)], start=0, end=2
    )
    add_track(
        library,
        owner,
        media,
        2,
        [near(rng, stranger) for _ in range(3)],
        start=0,
        end=2,
    )

    first = _run(activity, media)
    second = _run(activity, media)

    assert len(people_of(library, owner)) == 2
    assert len(first["people"]) == len(second["people"]) == 2
    names = sorted(str(p["name"]) for p in second["people"])
    assert names == ["Ada", "None"]


def test_retry_keeps_human_corrections(library, activity, rng):
    owner = add_user(library)
    stranger = random_unit(rng)
    media = add_media(library, owner)
    ids = add_track(
        library,
        owner,
        media,
        1,
        [near(rng, stranger) for _ in range(3)],
        start=0,
        end=2,
    )
    first = _run(activity, media)
    person_id = first["people"][0]["person_id"]
    People(library, owner).rename(person_id, "Grace")

    _run(activity, media)

    people = people_of(library, owner)
    assert [person.name for person in people] == ["Grace"]
    assert {face.person_id for face in faces_of(library, media)} == {people[0].id}
    assert len(ids) == 3


def test_second_video_matches_first_videos_new_person(library, activity, rng):
    owner = add_user(library)
    stranger = random_unit(rng)
    first_media, second_media = add_media(library, owner), add_media(library, owner)
    add_track(
        library,
        owner,
        first_media,
        1,
        [near(rng, stranger) for _ in range(3)],
        start=0,
        end=2,
    )
    add_track(
        library,
        owner,
        second_media,
        1,
        [near(rng, stranger) for _ in range(3)],
        start=0,
        end=2,
    )

    first = _run(activity, first_media)
    second = _run(activity, second_media)

    assert second["people"][0]["person_id"] == first["people"][0]["person_id"]
    assert second["people"][0]["new"] is False


def test_excluded_person_not_matched_again(library, activity, rng):
    owner = add_user(library)
    ada = random_unit(rng)
    ada_id = add_known_person(library, owner, "Ada", [ada])
    media = add_media(library, owner)
    ids = add_track(
        library, owner, media, 1, [near(rng, ada) for _ in range(3)], start=0, end=2
    )
    _run(activity, media)
    People(library, owner).reject(ids[0], ada_id)

    result = _run(activity, media)

    assert str(ada_id) not in _people_by_id(result)


def test_near_duplicate_of_excluded_face_not_matched(library, activity, rng):
    owner = add_user(library)
    ada, lookalike = random_unit(rng), random_unit(rng)
    ada_id = add_known_person(library, owner, "Ada", [ada, near(rng, lookalike, 0.2)])
    first = add_media(library, owner)
    ids = add_track(
        library, owner, first, 1, [near(rng, lookalike, 0.3)], start=0, end=1
    )
    People(library, owner).reject(ids[0], ada_id)
    second = add_media(library, owner)
    add_track(
        library,
        owner,
        second,
        1,
        [near(rng, lookalike, 0.3) for _ in range(3)],
        start=0,
        end=2,
    )

    result = _run(activity, second)

    assert str(ada_id) not in _people_by_id(result)


def test_busy_user_raises_try_later(library, activity, rng):
    owner = add_user(library)
    media = add_media(library, owner)
    other_worker = RecognitionTurns(library, holder="other")
    other_worker.acquire(owner)

    with pytest.raises(TryLaterError) as caught:
        _run(activity, media)

    assert caught.value.retry_after <= timedelta(seconds=30)
    assert caught.value.retry_after > timedelta(0)


def test_turn_released_after_run(library, activity, rng):
    owner = add_user(library)
    media = add_media(library, owner)
    _run(activity, media)

    turn = RecognitionTurns(library).acquire(owner)

    assert turn.owner_id == owner


def test_unknown_media_is_non_retryable(activity):
    with pytest.raises(NonRetryableError, match="not found"):
        _run(activity, uuid.uuid4())


def test_invalid_media_id_is_non_retryable(activity):
    with pytest.raises(NonRetryableError, match="invalid media_id"):
        activity({"media_id": "nope"}, ActivityContext.detached())


def test_track_spans_ignores_malformed_entries():
    spans = track_spans(
        {"FaceDetect": {"tracks": [{"track_id": 1, "start": 0, "end": 2}, {"x": 1}]}}
    )
    assert spans == {1: (0.0, 2.0)}


def test_merge_spans_joins_overlaps():
    assert merge_spans([(3, 4), (0, 1), (0.5, 2)]) == ((0, 2), (3, 4))


@pytest.mark.postgres
def test_recognition_on_postgres(postgres_url, tmp_path, rng):
    library = migrated_library(postgres_url)
    settings = load_settings(environ={}, home=tmp_path)
    activity = FaceRecognizeActivity(settings, library=library)
    owner = add_user(library)
    ada = random_unit(rng)
    add_known_person(library, owner, "Ada", [ada])
    media = add_media(library, owner)
    add_track(
        library, owner, media, 1, [near(rng, ada) for _ in range(3)], start=0, end=2
    )
    add_track(
        library, owner, media, 2, [random_unit(rng) for _ in range(3)], start=0, end=2
    )

    first = _run(activity, media)
    second = _run(activity, media)

    with library.session() as session:
        count = len(session.scalars(select(Person)).all())
    assert count == 2
    assert sorted(str(p["name"]) for p in second["people"]) == sorted(
        str(p["name"]) for p in first["people"]
    )
    library.dispose()


def test_expired_turn_taken_over(library):
    owner = add_user(library)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    now = [start]
    turns = RecognitionTurns(library, lease=timedelta(seconds=5), clock=lambda: now[0])
    stale = turns.acquire(owner)
    now[0] = start + timedelta(seconds=6)

    fresh = turns.acquire(owner)
    turns.release(stale)

    assert fresh.token != stale.token
    with pytest.raises(UserBusyError, match="retry later"):
        turns.acquire(owner)


@pytest.mark.postgres
def test_turn_busy_on_postgres(postgres_url):
    library = migrated_library(postgres_url)
    owner = add_user(library)
    first = RecognitionTurns(library, holder="first")
    second = RecognitionTurns(library, holder="second")
    turn = first.acquire(owner)

    with pytest.raises(UserBusyError, match="first"):
        second.acquire(owner)
    first.release(turn)
    assert second.acquire(owner).owner_id == owner
    library.dispose()


def test_other_users_media_is_non_retryable(library, activity):
    owner = add_user(library, "ada@example.com")
    intruder = add_user(library, "eve@example.com")
    media = add_media(library, owner)

    with pytest.raises(NonRetryableError, match="not found"):
        activity(
            {"media_id": str(media), "user_id": str(intruder)},
            ActivityContext.detached(),
        )


def test_stage_recorded_with_counts(library, activity, rng):
    owner = add_user(library)
    media = add_media(library, owner)
    add_track(library, owner, media, 1, [random_unit(rng)] * 3, start=0, end=2)

    activity({"media_id": str(media)}, ActivityContext.detached(attempt=2))

    (stage,) = [
        s for s in library.media.stages(owner, media) if s.stage == "FaceRecognize"
    ]
    assert stage.attempt == 2
    assert stage.details["new_people"] == 1


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_turn_one_winner_among_racing_workers(request, backend):
    library = migrated_library(request.getfixturevalue(f"{backend}_url"))
    owner = add_user(library)
    barrier = threading.Barrier(4)
    outcomes = []

    def race(name: str) -> None:
        turns = RecognitionTurns(library, holder=name)
        barrier.wait(timeout=3)
        try:
            turns.acquire(owner)
            outcomes.append("acquired")
        except UserBusyError:
            outcomes.append("busy")

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(outcomes) == ["acquired", "busy", "busy", "busy"]
    library.dispose()


def test_lost_turn_rolls_back(library, tmp_path, rng):
    # The worker's lease expires during the run and another worker takes the
    # turn over; the late worker must not commit its decisions.
    owner = add_user(library)
    media = add_media(library, owner)
    add_track(library, owner, media, 1, [random_unit(rng)] * 3, start=0, end=2)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    settings = load_settings(environ={}, home=tmp_path)
    late = FaceRecognizeActivity(
        settings, library=library, lease=timedelta(minutes=15), clock=lambda: start
    )
    acquire = late._turns.acquire

    def acquire_then_lose(owner_id):
        turn = acquire(owner_id)
        later = start + timedelta(minutes=20)
        RecognitionTurns(library, clock=lambda: later).acquire(owner_id)
        return turn

    late._turns.acquire = acquire_then_lose

    with pytest.raises(TryLaterError, match="taken over"):
        _run(late, media)

    assert people_of(library, owner) == []
    assert all(face.recognition is None for face in faces_of(library, media))

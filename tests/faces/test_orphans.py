"""Tests of the orphan-faces job and its schedule, on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

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
from vwf.faces._orphans import OrphanFacesSchedule, run_orphan_faces
from vwf.faces._people import People
from vwf.faces._turn import RecognitionTurns
from vwf.library import RecognitionResult

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=4)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def library(request):
    library = migrated_library(request.getfixturevalue(f"{request.param}_url"))
    yield library
    library.dispose()


@pytest.fixture
def settings(tmp_path, library):
    return load_settings(environ={}, home=tmp_path, library_url=library.url)


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def _orphan_track(library, owner, rng, base, *, created_at=OLD, start=0, end=2):
    media = add_media(library, owner)
    add_track(
        library,
        owner,
        media,
        1,
        [near(rng, base, 0.4) for _ in range(2)],
        start=start,
        end=end,
        created_at=created_at,
    )
    return media


def _run(settings, library, **kwargs):
    return run_orphan_faces(
        settings, timedelta(hours=72), now=NOW, library=library, **kwargs
    )


def test_cluster_across_videos_becomes_one_person(settings, library, rng):
    owner = add_user(library)
    stranger = random_unit(rng)
    media = [_orphan_track(library, owner, rng, stranger) for _ in range(3)]

    (report,) = _run(settings, library)

    people = people_of(library, owner)
    assert len(people) == 1
    assert report.new_people == 1
    assert report.faces_assigned == 6
    for media_id in media:
        for face in faces_of(library, media_id):
            assert face.person_id == people[0].id
            assert face.recognition is RecognitionResult.NEW_FACE


def test_two_clusters_two_people(settings, library, rng):
    owner = add_user(library)
    first, second = random_unit(rng), random_unit(rng)
    for base in (first, first, second, second):
        _orphan_track(library, owner, rng, base)

    _run(settings, library)

    assert len(people_of(library, owner)) == 2


def test_isolated_track_stays_orphan(settings, library, rng):
    owner = add_user(library)
    media = _orphan_track(library, owner, rng, random_unit(rng))

    (report,) = _run(settings, library)

    assert report.orphan_faces == 2
    assert report.new_people == 0
    assert all(face.person_id is None for face in faces_of(library, media))


def test_second_run_changes_nothing(settings, library, rng):
    owner = add_user(library)
    stranger = random_unit(rng)
    for _ in range(3):
        _orphan_track(library, owner, rng, stranger)
    _run(settings, library)

    (report,) = _run(settings, library)

    assert report.orphan_faces == 0
    assert report.new_people == 0
    assert len(people_of(library, owner)) == 1


def test_cluster_matching_person_joins_it(settings, library, rng):
    owner = add_user(library)
    ada = random_unit(rng)
    ada_id = add_known_person(library, owner, "Ada", [ada])
    media = _orphan_track(library, owner, rng, ada)

    (report,) = _run(settings, library)

    assert report.joined_people == 1
    assert {face.person_id for face in faces_of(library, media)} == {ada_id}
    assert len(people_of(library, owner)) == 1


def test_excluded_person_not_joined(settings, library, rng):
    owner = add_user(library)
    ada = random_unit(rng)
    ada_id = add_known_person(library, owner, "Ada", [ada])
    media = _orphan_track(library, owner, rng, ada)
    People(library, owner).reject(faces_of(library, media)[0].id, ada_id)

    (report,) = _run(settings, library)

    assert report.joined_people == 0
    assert all(face.person_id != ada_id for face in faces_of(library, media))


def test_recent_faces_wait(settings, library, rng):
    owner = add_user(library)
    stranger = random_unit(rng)
    for _ in range(3):
        _orphan_track(
            library, owner, rng, stranger, created_at=NOW - timedelta(hours=1)
        )

    (report,) = _run(settings, library)

    assert report.orphan_faces == 0
    assert people_of(library, owner) == []


def test_same_moment_tracks_never_one_person(settings, library, rng):
    owner = add_user(library)
    twin = random_unit(rng)
    media = add_media(library, owner)
    for track_id in (1, 2):
        add_track(
            library,
            owner,
            media,
            track_id,
            [near(rng, twin, 0.3) for _ in range(2)],
            start=0,
            end=2,
            created_at=OLD,
        )
    _orphan_track(library, owner, rng, twin)

    _run(settings, library)

    faces = faces_of(library, media)
    first = {face.person_id for face in faces if face.track_id == 1}
    second = {face.person_id for face in faces if face.track_id == 2}
    assert len(first) == 1
    assert len(second) == 1
    assert first != second
    assert len(people_of(library, owner)) == 1


def test_busy_user_skipped(settings, library, rng):
    owner = add_user(library)
    stranger = random_unit(rng)
    for _ in range(3):
        _orphan_track(library, owner, rng, stranger)
    RecognitionTurns(library, holder="pipeline").acquire(owner)

    (report,) = _run(settings, library)

    assert report.skipped_busy is True
    assert people_of(library, owner) == []


def test_only_requested_user(settings, library, rng):
    ada = add_user(library, "ada@example.com")
    eve = add_user(library, "eve@example.com")
    for owner in (ada, eve):
        stranger = random_unit(rng)
        for _ in range(2):
            _orphan_track(library, owner, rng, stranger)

    reports = _run(settings, library, user_id=ada)

    assert [report.user_id for report in reports] == [ada]
    assert len(people_of(library, ada)) == 1
    assert people_of(library, eve) == []


def test_schedule_runs_every_interval():
    runs = []
    schedule = OrphanFacesSchedule(timedelta(hours=6), runs.append)

    results = [
        schedule.run_pending(NOW),
        schedule.run_pending(NOW + timedelta(hours=5)),
        schedule.run_pending(NOW + timedelta(hours=6)),
    ]

    assert results == [True, False, True]
    assert runs == [NOW, NOW + timedelta(hours=6)]


def test_schedule_survives_failing_job():
    def fail(now):
        raise RuntimeError("database unreachable")

    schedule = OrphanFacesSchedule(timedelta(hours=6), fail)

    assert schedule.run_pending(NOW) is True
    assert schedule.next_run == NOW + timedelta(hours=6)


def test_schedule_rejects_zero_interval():
    with pytest.raises(ValueError, match="positive"):
        OrphanFacesSchedule(timedelta(0), print)

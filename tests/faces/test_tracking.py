from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.faces import _clips
from vwf.faces import (
    DetectedFace,
    FaceModels,
    FaceTrack,
    FaceTracker,
    VideoAnalysis,
    analyze_video,
    cosine_similarity,
    iou,
    load_image,
)


def _face(x: float, y: float = 100, side: float = 80) -> DetectedFace:
    landmarks = (
        (x + 0.3 * side, y + 0.4 * side),
        (x + 0.7 * side, y + 0.4 * side),
        (x + 0.5 * side, y + 0.6 * side),
        (x + 0.35 * side, y + 0.8 * side),
        (x + 0.65 * side, y + 0.8 * side),
    )
    return DetectedFace(box=(x, y, side, side), landmarks=landmarks, score=0.9)


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(128).astype(np.float32)
    return vector / np.linalg.norm(vector)


class _Embeddings:
    """An ``embed`` callback that returns fixed vectors and counts its calls."""

    def __init__(self, *vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.calls: list[int] = []

    def __call__(self, index: int) -> np.ndarray:
        self.calls.append(index)
        return self.vectors[index]


def test_iou_of_identical_and_disjoint_boxes():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (20, 20, 10, 10)) == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)


def test_tracker_follows_moving_face():
    tracker = FaceTracker()
    person = _unit(1)

    ids = [
        tracker.update(step / 10, [_face(100 + 8 * step)], _Embeddings(person))[0]
        for step in range(10)
    ]

    assert set(ids) == {0}
    assert [(span.start, span.end) for span in tracker.finish()] == [(0.0, 0.9)]


def test_tracker_assigns_two_faces_optimally():
    tracker = FaceTracker()
    a, b = _unit(1), _unit(2)

    first = tracker.update(0.0, [_face(100), _face(300)], _Embeddings(a, b))
    swapped = tracker.update(0.1, [_face(305), _face(104)], _Embeddings(b, a))

    assert first == [0, 1]
    assert swapped == [1, 0]


def test_tracker_embeds_only_new_and_stale_tracks():
    tracker = FaceTracker(reference_interval=timedelta(seconds=1))
    embeddings = _Embeddings(_unit(1))

    for step in range(15):
        tracker.update(step / 10, [_face(100)], embeddings)

    # Once to start the track at 0.0 s, once to refresh it at 1.0 s.
    assert len(embeddings.calls) == 2


def test_tracker_splits_on_embedding_jump():
    tracker = FaceTracker()
    tracker.update(0.0, [_face(100)], _Embeddings(_unit(1)))

    same_place = tracker.update(
        0.1, [_face(100)], _Embeddings(_unit(2)), scene_changed=True
    )
    spans = tracker.finish()

    assert same_place == [1]
    assert [(span.start, span.end) for span in spans] == [(0.0, 0.0), (0.1, 0.1)]


def test_tracker_keeps_track_when_same_person_checked():
    tracker = FaceTracker()
    person = _unit(1)
    tracker.update(0.0, [_face(100)], _Embeddings(person))

    noisy = person + 0.02 * _unit(3)
    ids = tracker.update(0.1, [_face(102)], _Embeddings(noisy), scene_changed=True)

    assert ids == [0]


def test_tracker_ends_track_after_gap():
    tracker = FaceTracker(max_gap=timedelta(seconds=1))
    person = _unit(1)
    tracker.update(0.0, [_face(100)], _Embeddings(person))
    tracker.update(0.5, [], _Embeddings())

    later = tracker.update(2.0, [_face(100)], _Embeddings(person))

    assert later == [1]
    assert len(tracker.finish()) == 2


@pytest.fixture(scope="module")
def models() -> FaceModels:
    return FaceModels.default()


@pytest.mark.shared_data
def test_zooming_portrait_one_track(models, shared_data: Path, tmp_path: Path):
    clip = _clips.zooming_portrait(shared_data, tmp_path / "zoom.mp4", seconds=4)

    tracks = analyze_video(clip, models).tracks

    assert len(tracks) == 1
    assert tracks[0].start < 0.2
    assert tracks[0].end > 3.7


@pytest.mark.shared_data
def test_side_by_side_two_tracks(models, shared_data: Path, tmp_path: Path):
    clip = _clips.side_by_side(shared_data, tmp_path / "pair.mp4", seconds=3)

    tracks = analyze_video(clip, models).tracks

    assert len(tracks) == 2
    for track in tracks:
        assert track.start < 0.2
        assert track.end > 2.7
    similarity = cosine_similarity(
        tracks[0].faces[0].embedding, tracks[1].faces[0].embedding
    )
    assert similarity < 0.3


@pytest.mark.shared_data
def test_cut_between_people_splits(models, shared_data: Path, tmp_path: Path):
    clip = _clips.cut_between_people(shared_data, tmp_path / "cut.mp4", seconds=2)

    tracks = analyze_video(clip, models).tracks

    assert len(tracks) == 2
    assert tracks[0].end < 2.0
    assert tracks[1].start >= 2.0


def _reference(models: FaceModels, photo: Path) -> np.ndarray:
    image = load_image(photo)
    return models.embed(image, models.detect(image)[0])


def _best_track(reference: np.ndarray, tracks) -> tuple[FaceTrack, float]:
    """Return the track whose best face is most similar to ``reference``."""
    scored = [
        (track, cosine_similarity(reference, track.faces[0].embedding))
        for track in tracks
        if not track.too_small
    ]
    return max(scored, key=lambda pair: pair[1])


@pytest.fixture(scope="module")
def white_house(models: FaceModels, shared_data: Path) -> VideoAnalysis:
    return analyze_video(shared_data / "videos/white_house_music_10s.mp4", models)


@pytest.mark.shared_data
def test_white_house_front_row(models, shared_data: Path, white_house):
    # The audience shot starts at about 7.9 s: two women and Barack Obama sit
    # in the front row. 7 tracks start there today, some of blurred people
    # behind them, and the floor counts the front-row faces.
    audience = [track for track in white_house.tracks if track.start >= 7.5]
    obama = _reference(models, shared_data / "photos/people/barack_obama/01.jpg")

    track, similarity = _best_track(obama, audience)

    assert len(audience) >= 3
    assert similarity > 0.4


@pytest.mark.shared_data
def test_white_house_performer_one_track(models, shared_data: Path, white_house):
    # The performer is on screen from the cut at about 3.6 s to the cut at
    # about 7.9 s, in one shot, so one track should cover most of it.
    photo = shared_data / "photos/people/lin_manuel_miranda/01.png"
    performer = _reference(models, photo)

    track, similarity = _best_track(performer, white_house.tracks)

    assert similarity > 0.4
    assert track.end - track.start > 3.0
    for face in track.faces:
        assert cosine_similarity(performer, face.embedding) > 0.3


def test_tracker_ignores_single_outlier_without_cut():
    tracker = FaceTracker(reference_interval=timedelta(seconds=0))
    person = _unit(1)
    tracker.update(0.0, [_face(100)], _Embeddings(person))

    outlier = tracker.update(0.1, [_face(100)], _Embeddings(_unit(2)))
    back = tracker.update(0.2, [_face(100)], _Embeddings(person))

    assert outlier == [0]
    assert back == [0]
    assert len(tracker.finish()) == 1


def test_tracker_splits_after_two_outliers_without_cut():
    tracker = FaceTracker(reference_interval=timedelta(seconds=0))
    tracker.update(0.0, [_face(100)], _Embeddings(_unit(1)))
    other = _unit(2)

    first = tracker.update(0.1, [_face(100)], _Embeddings(other))
    second = tracker.update(0.2, [_face(100)], _Embeddings(other))

    assert first == [0]
    assert second == [1]


def test_cut_ends_tracks_without_face():
    tracker = FaceTracker()
    tracker.update(0.0, [_face(100), _face(400)], _Embeddings(_unit(1), _unit(2)))

    tracker.update(0.1, [_face(100)], _Embeddings(_unit(1)), scene_changed=True)
    spans = tracker.finish()

    assert [(span.track_id, span.end) for span in spans] == [(0, 0.1), (1, 0.0)]

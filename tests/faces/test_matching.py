"""Tests of person scoring and the one-to-one assignment."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from vwf.faces._matching import Gallery, Outcome, Thresholds, assign_people

THRESHOLDS = Thresholds(match=0.4, new_person=0.25)
P1, P2 = uuid.uuid4(), uuid.uuid4()


def _unit(*values: float) -> np.ndarray:
    vector = np.zeros(4, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def _no_conflicts(size: int) -> np.ndarray:
    return np.zeros((size, size), dtype=bool)


def test_gallery_score_mean_of_top_k():
    gallery = Gallery.build([(P1, _unit(1)), (P1, _unit(0, 1)), (P1, _unit(1, 1))])
    scores = gallery.score(np.array([_unit(1)]), top_k=2)
    assert scores[0, 0] == pytest.approx((1.0 + 2**-0.5) / 2)


def test_gallery_score_fewer_faces_than_k():
    gallery = Gallery.build([(P1, _unit(1)), (P2, _unit(0, 1))])
    scores = gallery.score(np.array([_unit(1)]), top_k=3)
    assert scores[0].tolist() == pytest.approx([1.0, 0.0])


def test_gallery_empty_scores_minus_one():
    scores = Gallery.build([]).score(np.array([_unit(1)]), top_k=3)
    assert scores.shape == (1, 0)


def test_assign_confident_unsure_new():
    scores = np.array([[0.6, 0.1], [0.3, 0.2], [0.1, 0.05]])
    decisions = assign_people(
        scores,
        [P1, P2],
        conflicts=_no_conflicts(3),
        barred=np.zeros((3, 2), dtype=bool),
        thresholds=THRESHOLDS,
    )
    assert [d.outcome for d in decisions] == [
        Outcome.MATCHED,
        Outcome.UNSURE,
        Outcome.NEW,
    ]
    assert decisions[0].person_id == P1


def test_assign_one_to_one_for_conflicting_clusters():
    # Both clusters prefer P1; they are on screen together, so the better
    # total gives P1 to cluster 1 and P2 to cluster 0.
    scores = np.array([[0.55, 0.5], [0.6, 0.1]])
    conflicts = np.array([[False, True], [True, False]])
    decisions = assign_people(
        scores,
        [P1, P2],
        conflicts=conflicts,
        barred=np.zeros((2, 2), dtype=bool),
        thresholds=THRESHOLDS,
    )
    assert decisions[0].person_id == P2
    assert decisions[1].person_id == P1


def test_assign_conflicting_clusters_never_share_person():
    scores = np.array([[0.7], [0.6]])
    conflicts = np.array([[False, True], [True, False]])
    decisions = assign_people(
        scores,
        [P1],
        conflicts=conflicts,
        barred=np.zeros((2, 1), dtype=bool),
        thresholds=THRESHOLDS,
    )
    assert decisions[0].person_id == P1
    assert decisions[1].person_id is None
    assert decisions[1].outcome == Outcome.UNSURE


def test_assign_disjoint_clusters_may_share_person():
    scores = np.array([[0.7], [0.6]])
    decisions = assign_people(
        scores,
        [P1],
        conflicts=_no_conflicts(2),
        barred=np.zeros((2, 1), dtype=bool),
        thresholds=THRESHOLDS,
    )
    assert [d.person_id for d in decisions] == [P1, P1]


def test_assign_barred_person_is_skipped():
    scores = np.array([[0.9, 0.1]])
    barred = np.array([[True, False]])
    decisions = assign_people(
        scores,
        [P1, P2],
        conflicts=_no_conflicts(1),
        barred=barred,
        thresholds=THRESHOLDS,
    )
    assert decisions[0].outcome == Outcome.NEW
    assert decisions[0].person_id is None


def test_assign_no_people_is_new():
    decisions = assign_people(
        np.zeros((1, 0)),
        [],
        conflicts=_no_conflicts(1),
        barred=np.zeros((1, 0), dtype=bool),
        thresholds=THRESHOLDS,
    )
    assert decisions[0].outcome == Outcome.NEW


def test_thresholds_reject_inverted_order():
    with pytest.raises(ValueError, match="new_person"):
        Thresholds(match=0.2, new_person=0.3)

"""Tests of track clustering: average linkage, density clustering, cannot-link."""

from __future__ import annotations

import numpy as np

from vwf.faces._cluster import (
    TrackPoint,
    cannot_link,
    cluster_tracks,
    density_clusters,
    mean_embedding,
)


def _unit(*values: float) -> np.ndarray:
    vector = np.zeros(8, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


def _point(key, vector, start, end, media="m1") -> TrackPoint:
    return TrackPoint(key, vector, media, start, end)


def test_cannot_link_overlap_same_media():
    a = _point("a", _unit(1), 0.0, 2.0)
    b = _point("b", _unit(1), 1.0, 3.0)
    assert cannot_link(a, b)


def test_cannot_link_other_media_or_disjoint_times():
    a = _point("a", _unit(1), 0.0, 2.0)
    assert not cannot_link(a, _point("b", _unit(1), 1.0, 3.0, media="m2"))
    assert not cannot_link(a, _point("c", _unit(1), 2.5, 3.0))


def test_cluster_tracks_merges_similar_disjoint_tracks():
    points = [
        _point("a", _unit(1, 0.1), 0, 1),
        _point("b", _unit(0, 1), 0, 1),
        _point("c", _unit(1, 0.2), 2, 3),
    ]
    assert cluster_tracks(points, max_distance=0.3) == [[0, 2], [1]]


def test_cluster_tracks_cannot_link_keeps_identical_apart():
    points = [_point("a", _unit(1), 0, 2), _point("b", _unit(1), 1, 3)]
    assert cluster_tracks(points, max_distance=0.3) == [[0], [1]]


def test_cluster_tracks_constraint_propagates_after_merge():
    # b overlaps c; a and b merge first, so c may not join the merged cluster
    # even though it is close to a.
    points = [
        _point("a", _unit(1, 0.0), 0, 1),
        _point("b", _unit(1, 0.05), 2, 3),
        _point("c", _unit(1, 0.1), 2.5, 4),
    ]
    clusters = cluster_tracks(points, max_distance=0.3)
    assert len(clusters) == 2
    assert [1, 2] not in clusters


def test_cluster_tracks_average_linkage_threshold():
    # a-b similar, c far from both: average distance from c to {a, b} is
    # above the threshold, so c stays alone.
    points = [
        _point("a", _unit(1, 0), 0, 1),
        _point("b", _unit(1, 0.3), 2, 3),
        _point("c", _unit(0.2, 1), 4, 5),
    ]
    assert cluster_tracks(points, max_distance=0.2) == [[0, 1], [2]]


def test_cluster_tracks_empty():
    assert cluster_tracks([], max_distance=0.5) == []


def test_density_clusters_core_and_border():
    # a, b, c are close (cores with min_samples=3); d is near c only (border);
    # e is far (noise).
    points = [
        _point("a", _unit(1, 0.0), 0, 1, media="m1"),
        _point("b", _unit(1, 0.1), 0, 1, media="m2"),
        _point("c", _unit(1, 0.25), 0, 1, media="m3"),
        _point("d", _unit(1, 0.7), 0, 1, media="m4"),
        _point("e", _unit(0, 1), 0, 1, media="m5"),
    ]
    clusters = density_clusters(points, eps=0.1, min_samples=3)
    assert clusters == [[0, 1, 2, 3]]


def test_density_clusters_noise_is_left_out():
    points = [
        _point("a", _unit(1, 0), 0, 1, media="m1"),
        _point("b", _unit(0, 1), 0, 1, media="m2"),
    ]
    assert density_clusters(points, eps=0.2, min_samples=2) == []


def test_density_clusters_cannot_link_splits_cluster():
    points = [
        _point("a", _unit(1, 0.0), 0, 2, media="m1"),
        _point("b", _unit(1, 0.05), 1, 3, media="m1"),
        _point("c", _unit(1, 0.1), 0, 1, media="m2"),
        _point("d", _unit(1, 0.02), 0, 1, media="m3"),
    ]
    clusters = density_clusters(points, eps=0.2, min_samples=2)

    # b is cut off from the only cluster and, alone, is noise.
    assert clusters == [[0, 2, 3]]


def test_mean_embedding_is_unit_length():
    mean = mean_embedding([_unit(1, 0), _unit(0, 1)])
    assert np.isclose(np.linalg.norm(mean), 1.0)

"""Grouping face tracks into people, with cannot-link constraints.

Two algorithms share one input, :class:`TrackPoint` (a track's embedding and
time range):

- :func:`cluster_tracks` is average-linkage agglomerative clustering, used
  inside one video, where every track is kept.
- :func:`density_clusters` is DBSCAN-style density clustering, used across
  videos for orphan faces: only tracks in dense regions form clusters, and
  isolated tracks stay unassigned until more evidence arrives.

Both use cosine distance (``1 - cosine similarity``) on L2-normalised vectors
and never put two tracks that :func:`cannot_link` into one cluster.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrackPoint:
    """One face track reduced to a point: its mean embedding and time range."""

    key: Hashable
    """Caller's identifier of the track, e.g. ``(media_id, track_id)``."""
    embedding: np.ndarray
    """L2-normalised ``float32`` vector."""
    media_id: Hashable
    start_seconds: float
    end_seconds: float


def cannot_link(a: TrackPoint, b: TrackPoint) -> bool:
    """Return whether two tracks are visible at the same moment of one video.

    Two faces on screen together are two people, so such tracks never merge.
    """
    if a.media_id != b.media_id:
        return False
    return a.start_seconds <= b.end_seconds and b.start_seconds <= a.end_seconds


def cannot_link_matrix(points: Sequence[TrackPoint]) -> np.ndarray:
    """Return the symmetric boolean matrix of :func:`cannot_link` over ``points``."""
    size = len(points)
    matrix = np.zeros((size, size), dtype=bool)
    for i in range(size):
        for j in range(i + 1, size):
            matrix[i, j] = matrix[j, i] = cannot_link(points[i], points[j])
    return matrix


def mean_embedding(vectors: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """Return the L2-normalised mean of unit vectors (a cluster's centroid)."""
    mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm == 0.0:
        return mean
    return mean / norm


def cluster_tracks(
    points: Sequence[TrackPoint], *, max_distance: float
) -> list[list[int]]:
    """Merge tracks of the same person by average-linkage clustering.

    The two clusters with the smallest average pairwise cosine distance merge
    while that distance is at most ``max_distance`` and no pair across them
    cannot link. Returns clusters as lists of indices into ``points``, each
    sorted, ordered by their first index.
    """
    if not points:
        return []
    embeddings = np.stack([point.embedding for point in points])
    distance = 1.0 - embeddings @ embeddings.T
    blocked = cannot_link_matrix(points)
    members: dict[int, list[int]] = {i: [i] for i in range(len(points))}

    while len(members) > 1:
        pair = _closest_pair(distance, blocked, list(members), max_distance)
        if pair is None:
            break
        _merge(distance, blocked, members, *pair)

    return sorted((sorted(group) for group in members.values()), key=lambda g: g[0])


def _closest_pair(
    distance: np.ndarray, blocked: np.ndarray, alive: list[int], max_distance: float
) -> tuple[int, int] | None:
    index = np.array(alive)
    sub = distance[np.ix_(index, index)].copy()
    sub[blocked[np.ix_(index, index)]] = np.inf
    np.fill_diagonal(sub, np.inf)
    flat = int(np.argmin(sub))
    i, j = divmod(flat, len(index))
    if sub[i, j] > max_distance:
        return None
    return int(index[i]), int(index[j])


def _merge(
    distance: np.ndarray,
    blocked: np.ndarray,
    members: dict[int, list[int]],
    keep: int,
    absorbed: int,
) -> None:
    # Lance-Williams update for average linkage: the distance from any
    # cluster k to the union is the size-weighted mean of its two distances.
    size_keep, size_absorbed = len(members[keep]), len(members[absorbed])
    merged = (size_keep * distance[keep] + size_absorbed * distance[absorbed]) / (
        size_keep + size_absorbed
    )
    distance[keep, :] = merged
    distance[:, keep] = merged
    blocked[keep, :] |= blocked[absorbed, :]
    blocked[:, keep] |= blocked[:, absorbed]
    members[keep].extend(members.pop(absorbed))


def density_clusters(
    points: Sequence[TrackPoint],
    *,
    eps: float,
    min_samples: int,
) -> list[list[int]]:
    """Group tracks DBSCAN-style: core tracks first, border tracks deferred.

    A core track has at least ``min_samples`` tracks (itself included) within
    cosine distance ``eps``. Clusters grow from core tracks through
    neighbouring core tracks; border tracks (within ``eps`` of a core but not
    core themselves) join the nearest cluster afterwards. A track that would
    join a cluster holding a track it cannot link to is left out of that
    cluster. Tracks in no cluster (noise) are not returned.
    """
    if not points:
        return []
    embeddings = np.stack([point.embedding for point in points])
    distance = 1.0 - embeddings @ embeddings.T
    blocked = cannot_link_matrix(points)
    neighbours = distance <= eps
    core = neighbours.sum(axis=1) >= min_samples
    labels = np.full(len(points), -1)

    for seed in np.flatnonzero(core):
        if labels[seed] == -1:
            _grow_cluster(
                int(seed), int(labels.max()) + 1, labels, core, neighbours, blocked
            )
    _attach_border_points(labels, core, distance, eps, blocked)

    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        if label >= 0:
            groups.setdefault(int(label), []).append(index)
    # A core track cut off from its neighbours by cannot-link constraints can
    # end up alone; like any group below min_samples it counts as noise.
    dense = [group for group in groups.values() if len(group) >= min_samples]
    return sorted(dense, key=lambda g: g[0])


def _grow_cluster(
    seed: int,
    label: int,
    labels: np.ndarray,
    core: np.ndarray,
    neighbours: np.ndarray,
    blocked: np.ndarray,
) -> None:
    labels[seed] = label
    frontier = [seed]
    while frontier:
        current = frontier.pop()
        for candidate in np.flatnonzero(neighbours[current] & core):
            if labels[candidate] != -1:
                continue
            if blocked[candidate, labels == label].any():
                continue
            labels[candidate] = label
            frontier.append(int(candidate))


def _attach_border_points(
    labels: np.ndarray,
    core: np.ndarray,
    distance: np.ndarray,
    eps: float,
    blocked: np.ndarray,
) -> None:
    for index in np.flatnonzero(labels == -1):
        near_cores = np.flatnonzero(core & (labels >= 0) & (distance[index] <= eps))
        for neighbour in near_cores[np.argsort(distance[index, near_cores])]:
            label = labels[neighbour]
            if not blocked[index, labels == label].any():
                labels[index] = label
                break

"""Matching clusters of faces against the user's known people.

A person's score for a cluster is the mean of the ``top_k`` highest cosine
similarities between the cluster's centroid and the person's gallery faces.
Clusters and people are then paired one-to-one with the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``), so two people visible together
never become the same person. The thresholds and how they were calibrated are
in ``docs/recognition.md``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class Thresholds:
    """Cosine-similarity thresholds of recognition (SFace embeddings)."""

    merge_tracks: float = 0.45
    """Minimum average-linkage similarity to merge two tracks of one video."""
    match: float = 0.38
    """Minimum person score to assign a cluster to an existing person."""
    new_person: float = 0.28
    """Below this best person score, a cluster is a new person."""
    top_k: int = 3
    """Gallery faces averaged into a person's score."""
    near_duplicate: float = 0.50
    """Similarity to an excluded face above which a cluster is kept away from
    the person that face was excluded from."""
    orphan_eps: float = 0.55
    """Cosine distance (``1 - similarity``) of neighbouring orphan tracks."""
    orphan_min_tracks: int = 2
    """Tracks (the track itself included) within ``orphan_eps`` of a core
    orphan track."""
    min_new_person_faces: int = 3
    """Usable faces a cluster needs before it may become a new person."""
    min_detection_score: float = 0.78
    """Faces the detector scored lower are rejected as ``not_face``."""
    min_sharpness: float = 8.0
    """Faces whose aligned crop has a lower variance of the Laplacian are
    rejected as ``bad_face``: heavily blurred faces embed unreliably."""

    def __post_init__(self) -> None:
        if not -1.0 <= self.new_person <= self.match <= 1.0:
            raise ValueError(
                f"invalid thresholds new_person={self.new_person}, "
                f"match={self.match}: need -1 <= new_person <= match <= 1"
            )
        if self.top_k < 1 or self.orphan_min_tracks < 1:
            raise ValueError(
                f"invalid top_k={self.top_k} or orphan_min_tracks="
                f"{self.orphan_min_tracks}: both must be at least 1"
            )


@dataclass(frozen=True)
class Gallery:
    """The faces of a user's people, as one matrix for vectorised scoring."""

    person_ids: tuple[uuid.UUID, ...]
    """Distinct people, in column order of :meth:`score`."""
    embeddings: np.ndarray
    """``(faces, 128)`` unit vectors."""
    owners: np.ndarray
    """``(faces,)`` index into ``person_ids`` of each face's person."""

    @classmethod
    def build(cls, faces: Sequence[tuple[uuid.UUID, np.ndarray]]) -> Gallery:
        """Build a gallery from ``(person_id, embedding)`` pairs."""
        person_ids = tuple(dict.fromkeys(person for person, _ in faces))
        column = {person: i for i, person in enumerate(person_ids)}
        if not faces:
            return cls((), np.zeros((0, 0), dtype=np.float32), np.zeros(0, int))
        embeddings = np.stack([vector for _, vector in faces]).astype(np.float32)
        owners = np.array([column[person] for person, _ in faces])
        return cls(person_ids, embeddings, owners)

    def score(self, centroids: np.ndarray, top_k: int) -> np.ndarray:
        """Return ``(clusters, people)`` scores: mean of the top-k similarities."""
        scores = np.full((len(centroids), len(self.person_ids)), -1.0)
        if len(self.person_ids) == 0 or len(centroids) == 0:
            return scores
        similarity = np.asarray(centroids, dtype=np.float32) @ self.embeddings.T
        for column in range(len(self.person_ids)):
            own = np.sort(similarity[:, self.owners == column], axis=1)[:, ::-1]
            scores[:, column] = own[:, :top_k].mean(axis=1)
        return scores


class Outcome(enum.StrEnum):
    """Outcome of recognition for one cluster."""

    MATCHED = "matched"
    NEW = "new"
    UNSURE = "unsure"


@dataclass(frozen=True)
class Decision:
    """The outcome for one cluster, its person (if matched) and its best score."""

    outcome: Outcome
    person_id: uuid.UUID | None
    score: float | None
    """Score of the assigned person, or of the best allowed person."""


def assign_people(
    scores: np.ndarray,
    person_ids: Sequence[uuid.UUID],
    *,
    conflicts: np.ndarray,
    barred: np.ndarray,
    thresholds: Thresholds,
) -> list[Decision]:
    """Decide each cluster's person with a one-to-one assignment.

    ``scores`` has shape ``(clusters, people)``. ``conflicts[i, j]`` is true
    when clusters ``i`` and ``j`` are visible together, so they never share a
    person. ``barred[i, p]`` forbids person ``p`` for cluster ``i`` (an
    exclusion).

    Clusters that do not conflict may share a person, because rounds of the
    Hungarian algorithm repeat until no further confident pair is found.
    """
    allowed = np.where(barred, -np.inf, scores)
    people_of = _assign_rounds(allowed, conflicts, thresholds.match)
    decisions = []
    for cluster, person in enumerate(people_of):
        if person is not None:
            score = float(allowed[cluster, person])
            decisions.append(Decision(Outcome.MATCHED, person_ids[person], score))
            continue
        best = float(allowed[cluster].max()) if allowed.shape[1] else -1.0
        best = max(best, -1.0)
        outcome = Outcome.NEW if best < thresholds.new_person else Outcome.UNSURE
        decisions.append(Decision(outcome, None, best))
    return decisions


def _assign_rounds(
    allowed: np.ndarray, conflicts: np.ndarray, match: float
) -> list[int | None]:
    clusters, people = allowed.shape
    people_of: list[int | None] = [None] * clusters
    while people:
        round_scores = allowed.copy()
        for cluster in range(clusters):
            if people_of[cluster] is not None:
                round_scores[cluster, :] = -np.inf
                continue
            for other in np.flatnonzero(conflicts[cluster]):
                if people_of[other] is not None:
                    round_scores[cluster, people_of[other]] = -np.inf
        pairs = _hungarian(round_scores, match)
        if not pairs:
            break
        for cluster, person in pairs:
            people_of[cluster] = person
    return people_of


def _hungarian(scores: np.ndarray, match: float) -> list[tuple[int, int]]:
    # Maximise the total score of confident pairs. Entries below the match
    # threshold cost the same as leaving a cluster unassigned, so the solver
    # never trades a confident pair for an unconfident one.
    gain = np.where(scores >= match, scores, 0.0)
    rows, columns = linear_sum_assignment(gain, maximize=True)
    return [
        (int(row), int(column))
        for row, column in zip(rows, columns, strict=True)
        if scores[row, column] >= match
    ]

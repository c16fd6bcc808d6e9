"""Recognition of the faces of one video: reject, cluster, match, record.

:func:`recognize_media` works inside the caller's transaction, so the caller
commits everything it decides for one video at once, or nothing. It first
undoes what an earlier attempt decided for the same video, which makes a
retry produce the same people and no duplicates.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vwf.faces._align import ALIGNED_SIZE
from vwf.faces._cluster import (
    TrackPoint,
    cannot_link_matrix,
    cluster_tracks,
    mean_embedding,
)
from vwf.faces._gallery import (
    barred_people,
    decode_embedding,
    load_exclusions,
    load_gallery,
    track_key,
)
from vwf.faces._matching import Decision, Outcome, Thresholds, assign_people
from vwf.faces._person_rows import (
    assign_faces,
    cover_crop_key,
    delete_empty_unnamed_people,
    refresh_cover,
)
from vwf.faces._quality import _SHARPNESS_KNEE as SHARPNESS_KNEE
from vwf.faces._quality import frontalness_from_landmarks
from vwf.library._models import Face, Person, RecognitionResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PersonFound:
    """One person recognised in a video."""

    person_id: uuid.UUID
    name: str | None
    is_new: bool
    face_count: int
    time_ranges: tuple[tuple[float, float], ...]
    """Merged ``(start, end)`` seconds of the person's tracks."""
    cover_crop_key: str | None
    """Storage key of the person's cover face crop, if one is stored."""

    def to_json(self) -> dict[str, object]:
        """Return the JSON form used in the stage result."""
        return {
            "person_id": str(self.person_id),
            "name": self.name,
            "new": self.is_new,
            "face_count": self.face_count,
            "time_ranges": [list(span) for span in self.time_ranges],
            "cover_crop_key": self.cover_crop_key,
        }


@dataclass(frozen=True)
class RecognitionSummary:
    """Decisions of one recognition run for one video."""

    media_id: uuid.UUID
    people: tuple[PersonFound, ...]
    unsure_faces: int
    rejected_faces: int

    def to_json(self) -> dict[str, object]:
        """Return the JSON form used as the stage result."""
        return {
            "media_id": str(self.media_id),
            "people": [person.to_json() for person in self.people],
            "unsure_faces": self.unsure_faces,
            "rejected_faces": self.rejected_faces,
        }


@dataclass
class _Cluster:
    faces: list[Face]
    spans: list[tuple[float, float]]
    centroid: np.ndarray
    tracks: set[tuple[uuid.UUID, object]]


def recognize_media(
    session: Session,
    owner_id: uuid.UUID,
    media_id: uuid.UUID,
    *,
    thresholds: Thresholds,
    track_spans: Mapping[int, tuple[float, float]] | None = None,
) -> RecognitionSummary:
    """Decide the person of every face of ``media_id`` and record it.

    ``track_spans`` gives each track's first and last time from detection;
    without it a track spans the times of its stored faces.
    """
    previous = undo_previous_attempt(session, owner_id, media_id)
    faces = _undecided_faces(session, owner_id, media_id)
    rejected = reject_poor_faces(faces, thresholds)
    usable = [face for face in faces if face.id not in rejected]

    clusters = _cluster_video(usable, track_spans or {}, thresholds)
    decisions = _match_clusters(session, owner_id, clusters, thresholds)
    people = _record_decisions(
        session, owner_id, clusters, decisions, previous, thresholds
    )
    session.flush()
    delete_empty_unnamed_people(session, owner_id, set(previous.values()))
    _refresh_missing_covers(session, owner_id)

    unsure = sum(len(c.faces) for c in clusters) - sum(
        len(c.faces) for found in people.values() for c in found.clusters
    )
    found = [_person_found(session, p, entry) for p, entry in people.items()]
    return RecognitionSummary(media_id, tuple(found), unsure, len(rejected))


@dataclass
class _Assigned:
    clusters: list[_Cluster]
    is_new: bool


def _record_decisions(
    session: Session,
    owner_id: uuid.UUID,
    clusters: Sequence[_Cluster],
    decisions: Sequence[Decision],
    previous: Mapping[uuid.UUID, uuid.UUID],
    thresholds: Thresholds,
) -> dict[uuid.UUID, _Assigned]:
    people: dict[uuid.UUID, _Assigned] = {}
    excluded = {(e.person_id, e.track) for e in load_exclusions(session, owner_id)}
    for cluster, decision in zip(clusters, decisions, strict=True):
        reuse = _previous_person(cluster, previous, set(people), excluded)
        person = _apply_decision(
            session, owner_id, cluster, decision, thresholds, reuse
        )
        if person is None:
            continue
        is_new = decision.outcome is Outcome.NEW
        entry = people.setdefault(person.id, _Assigned([], is_new))
        entry.clusters.append(cluster)
    return people


def _refresh_missing_covers(session: Session, owner_id: uuid.UUID) -> None:
    uncovered = session.scalars(
        select(Person).where(
            Person.owner_id == owner_id, Person.cover_face_id.is_(None)
        )
    ).all()
    for person in uncovered:
        refresh_cover(session, person)


def undo_previous_attempt(
    session: Session, owner_id: uuid.UUID, media_id: uuid.UUID
) -> dict[uuid.UUID, uuid.UUID]:
    """Clear machine decisions on the faces of ``media_id``, so a retry starts
    from detection's output; return the person each cleared ``new_face`` had.

    Faces a user assigned (``human_recognized``) are kept as they are.
    """
    machine = Face.recognition.is_(None) | (
        Face.recognition != RecognitionResult.HUMAN_RECOGNIZED
    )
    scope = (Face.owner_id == owner_id, Face.media_id == media_id, machine)
    rows = session.execute(
        select(Face.id, Face.person_id).where(
            *scope, Face.recognition == RecognitionResult.NEW_FACE
        )
    )
    previous = {face_id: person_id for face_id, person_id in rows}
    cleared = select(Face.id).where(*scope)
    session.execute(
        update(Person)
        .where(Person.owner_id == owner_id, Person.cover_face_id.in_(cleared))
        .values(cover_face_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Face)
        .where(*scope)
        .values(person_id=None, recognition=None, recognition_confidence=None)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return previous


def _previous_person(
    cluster: _Cluster,
    previous: Mapping[uuid.UUID, uuid.UUID],
    used: set[uuid.UUID],
    excluded: set[tuple[uuid.UUID, object]],
) -> uuid.UUID | None:
    # A retry gives a new cluster the person an earlier attempt created for
    # most of its faces, so person ids (and any name given since) survive.
    counts = Counter(previous[face.id] for face in cluster.faces if face.id in previous)
    for person_id, _ in counts.most_common():
        barred = any((person_id, track) in excluded for track in cluster.tracks)
        if person_id not in used and not barred:
            return person_id
    return None


def _undecided_faces(
    session: Session, owner_id: uuid.UUID, media_id: uuid.UUID
) -> list[Face]:
    return list(
        session.scalars(
            select(Face)
            .where(
                Face.owner_id == owner_id,
                Face.media_id == media_id,
                Face.recognition.is_(None),
            )
            .order_by(Face.time_seconds, Face.id)
        )
    )


def reject_poor_faces(
    faces: Sequence[Face], thresholds: Thresholds
) -> dict[uuid.UUID, RecognitionResult]:
    """Mark non-faces, poor faces and boxes containing two faces; return the marks.

    The marks are set on the rows too, which hides those faces from people.
    """
    marks = {
        face.id: result for face in faces if (result := _rejection(face, thresholds))
    }
    for face in _two_face_boxes(faces):
        marks[face.id] = RecognitionResult.TWO_FACE
    for face in faces:
        if face.id in marks:
            face.recognition = marks[face.id]
    return marks


def _rejection(face: Face, thresholds: Thresholds) -> RecognitionResult | None:
    score = face.detection_score
    if score is not None and score < thresholds.min_detection_score:
        return RecognitionResult.NOT_FACE
    if face.too_small or face.embedding is None:
        return RecognitionResult.BAD_FACE
    sharpness = estimated_sharpness(face)
    if sharpness is not None and sharpness < thresholds.min_sharpness:
        return RecognitionResult.BAD_FACE
    return None


def estimated_sharpness(face: Face) -> float | None:
    """Estimate the variance of the Laplacian of the face's aligned crop, or
    return ``None`` when the row lacks the values to compute it.

    The quality score multiplies detector score, size, sharpness and pose
    factors (:func:`vwf.faces._quality.assess_face`), so a sharp face in
    profile can score below a blurred frontal one. Dividing out the other
    factors, which the row stores, recovers the sharpness factor alone.
    """
    # NOTE: this inverts assess_face's formula and must change with it.
    if face.quality is None or not face.landmarks or not face.detection_score:
        return None
    landmarks = np.asarray(face.landmarks, dtype=np.float32)
    size_factor = min(1.0, min(face.box_w, face.box_h) / ALIGNED_SIZE)
    frontal_factor = 0.1 + 0.9 * frontalness_from_landmarks(landmarks)
    other_factors = face.detection_score * size_factor * frontal_factor
    if other_factors <= 0:
        return None
    sharpness_factor = min(face.quality / other_factors, 0.999999)
    return SHARPNESS_KNEE * sharpness_factor / (1.0 - sharpness_factor)


def _two_face_boxes(faces: Sequence[Face]) -> list[Face]:
    # A box that contains the centres of two other boxes of the same frame
    # covers two faces at once, e.g. two heads close together.
    by_time: dict[float, list[Face]] = {}
    for face in faces:
        by_time.setdefault(face.time_seconds, []).append(face)
    found = []
    for frame in by_time.values():
        for face in frame:
            inside = [
                other
                for other in frame
                if other is not face and _contains_centre(face, other)
            ]
            if len(inside) >= 2:
                found.append(face)
    return found


def _contains_centre(outer: Face, inner: Face) -> bool:
    x = inner.box_x + inner.box_w / 2
    y = inner.box_y + inner.box_h / 2
    return (
        outer.box_x <= x <= outer.box_x + outer.box_w
        and outer.box_y <= y <= outer.box_y + outer.box_h
    )


def _cluster_video(
    faces: Sequence[Face],
    track_spans: Mapping[int, tuple[float, float]],
    thresholds: Thresholds,
) -> list[_Cluster]:
    by_track: dict[tuple[uuid.UUID, object], list[Face]] = {}
    for face in faces:
        by_track.setdefault(track_key(face), []).append(face)
    points = [
        _track_point(key, members, track_spans) for key, members in by_track.items()
    ]
    groups = cluster_tracks(points, max_distance=1.0 - thresholds.merge_tracks)

    clusters = []
    for group in groups:
        members = [points[i] for i in group]
        clusters.append(
            _Cluster(
                faces=[face for p in members for face in by_track[p.key]],
                spans=[(p.start_seconds, p.end_seconds) for p in members],
                centroid=mean_embedding([p.embedding for p in members]),
                tracks={p.key for p in members},
            )
        )
    return clusters


def _track_point(
    key: tuple[uuid.UUID, object],
    faces: Sequence[Face],
    track_spans: Mapping[int, tuple[float, float]],
) -> TrackPoint:
    face_times = [face.time_seconds for face in faces]
    track_id = faces[0].track_id
    start, end = track_spans.get(track_id, (min(face_times), max(face_times)))
    embedding = mean_embedding([decode_embedding(face.embedding) for face in faces])
    return TrackPoint(key, embedding, key[0], start, end)


def _match_clusters(
    session: Session,
    owner_id: uuid.UUID,
    clusters: Sequence[_Cluster],
    thresholds: Thresholds,
) -> list[Decision]:
    if not clusters:
        return []
    # The faces of this media were cleared above, except those a user
    # assigned, which belong in the gallery.
    gallery = load_gallery(session, owner_id)
    centroids = np.stack([cluster.centroid for cluster in clusters])
    barred = barred_people(
        centroids,
        [cluster.tracks for cluster in clusters],
        gallery.person_ids,
        load_exclusions(session, owner_id),
        thresholds.near_duplicate,
    )
    return assign_people(
        gallery.score(centroids, thresholds.top_k),
        gallery.person_ids,
        conflicts=_cluster_conflicts(clusters),
        barred=barred,
        thresholds=thresholds,
    )


def _cluster_conflicts(clusters: Sequence[_Cluster]) -> np.ndarray:
    points = [
        TrackPoint(i, cluster.centroid, "video", start, end)
        for i, cluster in enumerate(clusters)
        for start, end in cluster.spans
    ]
    owners = [point.key for point in points]
    pairwise = cannot_link_matrix(points)
    conflicts = np.zeros((len(clusters), len(clusters)), dtype=bool)
    for i, j in zip(*np.nonzero(pairwise), strict=True):
        conflicts[owners[i], owners[j]] = True
    np.fill_diagonal(conflicts, False)
    return conflicts


def _apply_decision(
    session: Session,
    owner_id: uuid.UUID,
    cluster: _Cluster,
    decision: Decision,
    thresholds: Thresholds,
    reuse: uuid.UUID | None,
) -> Person | None:
    if decision.outcome is Outcome.MATCHED:
        person = session.get(Person, decision.person_id)
        result = RecognitionResult.MACHINE_RECOGNIZED
        assign_faces(cluster.faces, person, result, decision.score)
        return person
    enough_faces = len(cluster.faces) >= thresholds.min_new_person_faces
    if decision.outcome is not Outcome.NEW or not enough_faces:
        return None
    person = session.get(Person, reuse) if reuse is not None else None
    if person is None:
        person = Person(owner_id=owner_id)
        session.add(person)
        session.flush()
    assign_faces(cluster.faces, person, RecognitionResult.NEW_FACE, None)
    return person


def _person_found(
    session: Session, person_id: uuid.UUID, assigned: _Assigned
) -> PersonFound:
    person = session.get(Person, person_id)
    spans = [span for cluster in assigned.clusters for span in cluster.spans]
    return PersonFound(
        person_id=person.id,
        name=person.name,
        is_new=assigned.is_new,
        face_count=sum(len(cluster.faces) for cluster in assigned.clusters),
        time_ranges=merge_spans(spans),
        cover_crop_key=cover_crop_key(session, person),
    )


def merge_spans(
    spans: Sequence[tuple[float, float]],
) -> tuple[tuple[float, float], ...]:
    """Merge overlapping or touching ``(start, end)`` spans, sorted by start."""
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)

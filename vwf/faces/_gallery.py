"""Loading a user's people, their gallery faces and exclusions from the library.

Shared by the FaceRecognize stage and the orphan-faces job: both score groups
of tracks against the same gallery and respect the same "not this person"
corrections.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from vwf.faces._matching import Gallery
from vwf.faces._person_rows import VISIBLE_RESULTS
from vwf.faces._tables import PersonExclusion
from vwf.library._models import Face


def decode_embedding(data: bytes) -> np.ndarray:
    """Return the ``float32`` vector stored in ``faces.embedding``."""
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def encode_embedding(vector: np.ndarray) -> bytes:
    """Return the bytes stored in ``faces.embedding`` for ``vector``."""
    return np.asarray(vector, dtype="<f4").tobytes()


def track_key(face: Face) -> tuple[uuid.UUID, object]:
    """Return the key of the track ``face`` belongs to (itself when untracked)."""
    if face.track_id is None:
        return (face.media_id, face.id)
    return (face.media_id, face.track_id)


def load_gallery(
    session: Session, owner_id: uuid.UUID, *, exclude_media: uuid.UUID | None = None
) -> Gallery:
    """Build the gallery of every person of ``owner_id`` from their faces.

    Faces of ``exclude_media`` are left out, so a video is never matched
    against its own earlier results.
    """
    statement = select(Face.person_id, Face.embedding).where(
        Face.owner_id == owner_id,
        Face.person_id.is_not(None),
        Face.embedding.is_not(None),
        Face.recognition.in_(VISIBLE_RESULTS),
    )
    if exclude_media is not None:
        statement = statement.where(Face.media_id != exclude_media)
    rows = session.execute(statement.order_by(Face.person_id, Face.id)).all()
    # NOTE: the whole gallery is loaded per run; a library with hundreds of
    # thousands of faces would need a per-person sample or a vector index.
    return Gallery.build([(row[0], decode_embedding(row[1])) for row in rows])


@dataclass(frozen=True)
class Exclusion:
    """A face the user marked as not ``person_id``, with its track and embedding."""

    person_id: uuid.UUID
    face_id: uuid.UUID
    track: tuple[uuid.UUID, object]
    embedding: np.ndarray | None


def load_exclusions(session: Session, owner_id: uuid.UUID) -> list[Exclusion]:
    """Return every "not this person" correction of ``owner_id``."""
    rows = session.execute(
        select(PersonExclusion.person_id, Face)
        .join(Face, Face.id == PersonExclusion.face_id)
        .where(PersonExclusion.owner_id == owner_id)
    ).all()
    return [
        Exclusion(
            person_id=person_id,
            face_id=face.id,
            track=track_key(face),
            embedding=None
            if face.embedding is None
            else decode_embedding(face.embedding),
        )
        for person_id, face in rows
    ]


def barred_people(
    centroids: np.ndarray,
    cluster_tracks: Sequence[Iterable[tuple[uuid.UUID, object]]],
    person_ids: Sequence[uuid.UUID],
    exclusions: Sequence[Exclusion],
    near_duplicate: float,
) -> np.ndarray:
    """Return ``(clusters, people)``: which person each cluster may never join.

    A cluster is barred from a person when it contains the track of a face
    excluded from that person, or when its centroid's cosine similarity to
    such a face is at least ``near_duplicate``.
    """
    barred = np.zeros((len(centroids), len(person_ids)), dtype=bool)
    column = {person: i for i, person in enumerate(person_ids)}
    for exclusion in exclusions:
        if exclusion.person_id not in column:
            continue
        for cluster, tracks in enumerate(cluster_tracks):
            if _is_near(exclusion, tracks, centroids[cluster], near_duplicate):
                barred[cluster, column[exclusion.person_id]] = True
    return barred


def _is_near(
    exclusion: Exclusion,
    tracks: Iterable[tuple[uuid.UUID, object]],
    centroid: np.ndarray,
    near_duplicate: float,
) -> bool:
    if exclusion.track in set(tracks):
        return True
    if exclusion.embedding is None:
        return False
    return float(centroid @ exclusion.embedding) >= near_duplicate

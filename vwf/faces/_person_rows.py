"""Person rows shared by recognition, the orphan-faces job and the people API:
giving faces to a person, choosing its cover, deleting empty people."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vwf.library._models import Face, MediaAsset, Person, RecognitionResult

VISIBLE_RESULTS = (
    RecognitionResult.MACHINE_RECOGNIZED,
    RecognitionResult.HUMAN_RECOGNIZED,
    RecognitionResult.NEW_FACE,
)
"""Results of faces shown under their person and used as its gallery in
matching; rejected faces stay hidden."""


def assign_faces(
    faces: Sequence[Face],
    person: Person,
    result: RecognitionResult,
    confidence: float | None,
) -> None:
    """Give ``faces`` to ``person`` and make the best one its cover if it has none."""
    for face in faces:
        face.person_id = person.id
        face.recognition = result
        face.recognition_confidence = confidence
    if person.cover_face_id is None and faces:
        person.cover_face_id = max(faces, key=lambda f: f.quality or 0.0).id


def refresh_cover(session: Session, person: Person) -> None:
    """Point ``person``'s cover at its best visible face unless it has one."""
    if person.cover_face_id is not None:
        owner = session.scalar(
            select(Face.person_id).where(Face.id == person.cover_face_id)
        )
        if owner == person.id:
            return
    person.cover_face_id = session.scalar(
        select(Face.id)
        .where(Face.person_id == person.id, Face.recognition.in_(VISIBLE_RESULTS))
        .order_by(Face.quality.desc().nulls_last(), Face.id)
        .limit(1)
    )


def delete_empty_unnamed_people(
    session: Session, owner_id: uuid.UUID, person_ids: set[uuid.UUID]
) -> int:
    """Delete those of ``person_ids`` that have no name and no faces left."""
    has_faces = select(Face.id).where(Face.person_id == Person.id).exists()
    result = session.execute(
        delete(Person)
        .where(
            Person.owner_id == owner_id,
            Person.id.in_(person_ids),
            Person.name.is_(None),
            ~has_faces,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def cover_crop_key(session: Session, person: Person) -> str | None:
    """Return the storage key of the crop of ``person``'s cover face, if stored."""
    if person.cover_face_id is None:
        return None
    return session.scalar(
        select(MediaAsset.storage_key)
        .join(Face, Face.crop_asset_id == MediaAsset.id)
        .where(Face.id == person.cover_face_id)
    )

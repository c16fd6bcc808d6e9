"""People management: list, name, merge, move faces, split, reject, delete.

Every method of :class:`People` is scoped to one owner: ids of another user's
people or faces raise :class:`~vwf.library.NotFoundError`, exactly as unknown
ids do. Each call runs in one transaction.

Corrections teach recognition: a face moved away from a person, or rejected
with :meth:`People.reject`, is recorded in ``person_exclusions``, and later
matching keeps that face's track and its near-duplicates away from the person.
"""

from __future__ import annotations

import io
import logging
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from vwf.faces._person_rows import (
    VISIBLE_RESULTS,
    delete_empty_unnamed_people,
    refresh_cover,
)
from vwf.faces._tables import PersonExclusion
from vwf.faces.errors import PeopleError
from vwf.library import Library, NotFoundError
from vwf.library._models import Face, MediaAsset, Person, RecognitionResult, User
from vwf.library._scoping import as_uuid, get_owned
from vwf.storage import BlobStore, StorageError

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class PersonSummary:
    """One person with counts of their visible faces and videos."""

    id: uuid.UUID
    name: str | None
    email: str | None
    face_count: int
    media_count: int
    cover_face_id: uuid.UUID | None
    created_at: datetime


@dataclass(frozen=True)
class FaceSummary:
    """One face of a person, as shown by ``vwf people show``."""

    id: uuid.UUID
    media_id: uuid.UUID
    time_seconds: float
    box: tuple[float, float, float, float]
    recognition: RecognitionResult | None
    quality: float | None
    crop_key: str | None


@dataclass(frozen=True)
class PersonDetail:
    """A person and their visible faces, best quality first."""

    person: PersonSummary
    faces: tuple[FaceSummary, ...]


def find_user_id(library: Library, email: str) -> uuid.UUID:
    """Return the id of the user with ``email`` (case-insensitive)."""
    normalized = email.strip().lower()
    with library.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == normalized))
    if user_id is None:
        raise NotFoundError("user", email)
    return user_id


class People:
    """The people of one owner and the corrections they make to recognition."""

    def __init__(
        self,
        library: Library,
        owner_id: uuid.UUID,
        *,
        store: BlobStore | None = None,
    ) -> None:
        self._library = library
        self.owner_id = owner_id
        self._store = store

    def list(self) -> list[PersonSummary]:
        """Return every person, named people first, then by name and age."""
        with self._library.session() as session:
            people = session.scalars(
                select(Person)
                .where(Person.owner_id == self.owner_id)
                .order_by(Person.name.is_(None), Person.name, Person.created_at)
            ).all()
            return [_summary(session, person) for person in people]

    def get(self, person_id: uuid.UUID | str) -> PersonDetail:
        """Return one person and their visible faces."""
        with self._library.session() as session:
            person = get_owned(session, Person, self.owner_id, person_id)
            rows = session.execute(
                select(Face, MediaAsset.storage_key)
                .outerjoin(MediaAsset, MediaAsset.id == Face.crop_asset_id)
                .where(
                    Face.person_id == person.id, Face.recognition.in_(VISIBLE_RESULTS)
                )
                .order_by(Face.quality.desc().nulls_last(), Face.time_seconds)
            ).all()
            faces = tuple(_face_summary(face, key) for face, key in rows)
            return PersonDetail(_summary(session, person), faces)

    def rename(self, person_id: uuid.UUID | str, name: str | None) -> PersonSummary:
        """Set the name of a person (``None`` clears it); nothing else changes."""
        name = _clean_name(name)
        with self._library.session() as session:
            person = get_owned(session, Person, self.owner_id, person_id)
            person.name = name
            session.flush()
            logger.info("renamed person %s", person.id)
            return _summary(session, person)

    def merge(
        self, source_id: uuid.UUID | str, target_id: uuid.UUID | str
    ) -> PersonSummary:
        """Move every face and exclusion of ``source_id`` to ``target_id``, then
        delete ``source_id``. The target keeps its name unless it has none."""
        with self._library.session() as session:
            source = get_owned(session, Person, self.owner_id, source_id)
            target = get_owned(session, Person, self.owner_id, target_id)
            if source.id == target.id:
                raise PeopleError(
                    f"cannot merge person {source.id} into itself; pass two "
                    "different people"
                )
            _move_all_faces(session, source, target)
            _move_exclusions(session, source, target)
            if target.name is None:
                target.name = source.name
            session.delete(source)
            session.flush()
            refresh_cover(session, target)
            logger.info("merged person %s into %s", source.id, target.id)
            return _summary(session, target)

    def move_faces(
        self,
        face_ids: Sequence[uuid.UUID | str],
        target_id: uuid.UUID | str | None,
    ) -> PersonSummary:
        """Move only the faces ``face_ids`` to ``target_id``, or to a new
        unnamed person when it is ``None``.

        Each face is marked ``human_recognized`` and remembered as "not" its
        previous person. People left with no faces and no name are deleted.
        """
        with self._library.session() as session:
            faces = _owned_faces(session, self.owner_id, face_ids)
            target = self._target(session, target_id)
            previous = {face.person_id for face in faces} - {None, target.id}
            for face in faces:
                _remember_not(session, face, face.person_id, target.id)
                face.person_id = target.id
                face.recognition = RecognitionResult.HUMAN_RECOGNIZED
                face.recognition_confidence = None
            session.flush()
            _tidy_people(session, self.owner_id, previous | {target.id})
            logger.info("moved %d faces to person %s", len(faces), target.id)
            return _summary(session, target)

    def split(
        self, person_id: uuid.UUID | str, face_ids: Sequence[uuid.UUID | str]
    ) -> PersonSummary:
        """Move the given faces of ``person_id`` to a new unnamed person."""
        with self._library.session() as session:
            person = get_owned(session, Person, self.owner_id, person_id)
            faces = _owned_faces(session, self.owner_id, face_ids)
            strangers = [str(face.id) for face in faces if face.person_id != person.id]
            if strangers:
                raise PeopleError(
                    f"faces {', '.join(strangers)} do not belong to person "
                    f"{person.id}; split only that person's faces"
                )
        return self.move_faces(face_ids, None)

    def reject(self, face_id: uuid.UUID | str, person_id: uuid.UUID | str) -> None:
        """Record that ``face_id`` is not ``person_id``; unassign it if it was."""
        with self._library.session() as session:
            person = get_owned(session, Person, self.owner_id, person_id)
            face = get_owned(session, Face, self.owner_id, face_id)
            _remember_not(session, face, person.id, None)
            if face.person_id == person.id:
                face.person_id = None
                face.recognition = None
                face.recognition_confidence = None
                session.flush()
                _tidy_people(session, self.owner_id, {person.id})
            logger.info("face %s rejected from person %s", face.id, person.id)

    def delete(self, person_id: uuid.UUID | str, *, keep_faces: bool = False) -> int:
        """Delete a person and its faces with their crops, or with ``keep_faces``
        leave the faces unassigned for the orphan-faces job. Returns the
        number of faces."""
        with self._library.session() as session:
            person = get_owned(session, Person, self.owner_id, person_id)
            scope = (Face.owner_id == self.owner_id, Face.person_id == person.id)
            person.cover_face_id = None
            session.flush()
            if keep_faces:
                count = session.execute(
                    update(Face)
                    .where(*scope)
                    .values(
                        person_id=None, recognition=None, recognition_confidence=None
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
                crop_keys: list[str] = []
            else:
                count, crop_keys = _delete_faces(session, scope)
            session.delete(person)
            logger.info("deleted person %s with %d faces", person.id, count)
        self._delete_blobs(crop_keys)
        return count

    def delete_media_faces(
        self, media_id: uuid.UUID | str, person_id: uuid.UUID | str | None = None
    ) -> int:
        """Delete the faces of one video and their crops (only ``person_id``'s
        faces when given). Returns the number of faces."""
        media = as_uuid(media_id, "media")
        with self._library.session() as session:
            scope = [Face.owner_id == self.owner_id, Face.media_id == media]
            if person_id is not None:
                person = get_owned(session, Person, self.owner_id, person_id)
                scope.append(Face.person_id == person.id)
            affected = set(session.scalars(select(Face.person_id).where(*scope)))
            faces = select(Face.id).where(*scope)
            session.execute(
                update(Person)
                .where(
                    Person.owner_id == self.owner_id, Person.cover_face_id.in_(faces)
                )
                .values(cover_face_id=None)
                .execution_options(synchronize_session=False)
            )
            count, crop_keys = _delete_faces(session, scope)
            session.expire_all()
            _tidy_people(session, self.owner_id, affected - {None})
            logger.info("deleted %d faces of media %s", count, media)
        self._delete_blobs(crop_keys)
        return count

    def contact_sheet(
        self,
        person_id: uuid.UUID | str,
        path: Path,
        read_blob: Callable[[str], bytes],
        *,
        tile: int = 112,
        columns: int = 8,
        limit: int = 64,
    ) -> int:
        """Write a PNG grid of the person's face crops to ``path``.

        ``read_blob(key) -> bytes`` reads a crop from the blob store. Returns
        the number of crops drawn; faces without a stored crop are skipped.
        """
        detail = self.get(person_id)
        keys = [face.crop_key for face in detail.faces if face.crop_key][:limit]
        if not keys:
            raise PeopleError(
                f"person {detail.person.id} has no stored face crops to draw; "
                "process a video or import photos first"
            )
        sheet = _draw_sheet([read_blob(key) for key in keys], tile, columns)
        path.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(path, format="PNG")
        return len(keys)

    def _delete_blobs(self, crop_keys: Sequence[str]) -> None:
        # After the commit: a crash in between leaves unreferenced blobs,
        # never rows pointing at missing ones.
        if self._store is None:
            return
        for key in crop_keys:
            try:
                self._store.delete(key)
            except StorageError as exc:
                logger.warning("failed to delete face crop %s: %s", key, exc)

    def _target(self, session: Session, target_id: uuid.UUID | str | None) -> Person:
        if target_id is not None:
            return get_owned(session, Person, self.owner_id, target_id)
        person = Person(owner_id=self.owner_id)
        session.add(person)
        session.flush()
        return person


def _delete_faces(
    session: Session, scope: Sequence[ColumnElement[bool]]
) -> tuple[int, list[str]]:
    """Delete the faces matching ``scope`` and their crop assets; return the
    number of faces and the crops' blob keys."""
    assets = select(Face.crop_asset_id).where(*scope, Face.crop_asset_id.is_not(None))
    asset_ids = list(session.scalars(assets))
    crop_keys = list(
        session.scalars(
            select(MediaAsset.storage_key).where(MediaAsset.id.in_(asset_ids))
        )
    )
    count = session.execute(
        delete(Face).where(*scope).execution_options(synchronize_session=False)
    ).rowcount
    session.execute(
        delete(MediaAsset)
        .where(MediaAsset.id.in_(asset_ids))
        .execution_options(synchronize_session=False)
    )
    return count, crop_keys


def _tidy_people(
    session: Session, owner_id: uuid.UUID, person_ids: set[uuid.UUID]
) -> None:
    delete_empty_unnamed_people(session, owner_id, person_ids)
    session.expire_all()
    people = session.scalars(select(Person).where(Person.id.in_(person_ids))).all()
    for person in people:
        refresh_cover(session, person)
    session.flush()


def _owned_faces(
    session: Session, owner_id: uuid.UUID, face_ids: Sequence[uuid.UUID | str]
) -> list[Face]:
    if not face_ids:
        raise PeopleError("no face ids given; pass at least one face id")
    return [
        get_owned(session, Face, owner_id, face_id)
        for face_id in dict.fromkeys(face_ids)
    ]


def _remember_not(
    session: Session,
    face: Face,
    excluded: uuid.UUID | None,
    confirmed: uuid.UUID | None,
) -> None:
    # Record "face is not `excluded`" and forget any "face is not `confirmed`".
    if confirmed is not None:
        session.execute(
            delete(PersonExclusion).where(
                PersonExclusion.face_id == face.id,
                PersonExclusion.person_id == confirmed,
            )
        )
    if excluded is None or excluded == confirmed:
        return
    exists = session.scalar(
        select(PersonExclusion.id).where(
            PersonExclusion.face_id == face.id, PersonExclusion.person_id == excluded
        )
    )
    if exists is None:
        session.add(
            PersonExclusion(owner_id=face.owner_id, person_id=excluded, face_id=face.id)
        )


def _move_all_faces(session: Session, source: Person, target: Person) -> None:
    # The merge confirms the source's machine decisions, so those faces
    # become human_recognized; the target's own faces keep their results.
    session.execute(
        update(Face)
        .where(
            Face.person_id == source.id,
            Face.recognition.in_(
                (RecognitionResult.MACHINE_RECOGNIZED, RecognitionResult.NEW_FACE)
            ),
        )
        .values(recognition=RecognitionResult.HUMAN_RECOGNIZED)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Face)
        .where(Face.person_id == source.id)
        .values(person_id=target.id)
        .execution_options(synchronize_session=False)
    )
    source.cover_face_id = None


def _move_exclusions(session: Session, source: Person, target: Person) -> None:
    already = select(PersonExclusion.face_id).where(
        PersonExclusion.person_id == target.id
    )
    session.execute(
        update(PersonExclusion)
        .where(
            PersonExclusion.person_id == source.id,
            PersonExclusion.face_id.not_in(already),
        )
        .values(person_id=target.id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(PersonExclusion)
        .where(PersonExclusion.person_id == source.id)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def _summary(session: Session, person: Person) -> PersonSummary:
    counts = session.execute(
        select(func.count(Face.id), func.count(func.distinct(Face.media_id))).where(
            Face.person_id == person.id, Face.recognition.in_(VISIBLE_RESULTS)
        )
    ).one()
    return PersonSummary(
        id=person.id,
        name=person.name,
        email=person.email,
        face_count=int(counts[0]),
        media_count=int(counts[1]),
        cover_face_id=person.cover_face_id,
        created_at=person.created_at,
    )


def _face_summary(face: Face, crop_key: str | None) -> FaceSummary:
    return FaceSummary(
        id=face.id,
        media_id=face.media_id,
        time_seconds=face.time_seconds,
        box=(face.box_x, face.box_y, face.box_w, face.box_h),
        recognition=face.recognition,
        quality=face.quality,
        crop_key=crop_key,
    )


def _clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH:
        raise PeopleError(
            f"invalid person name {name!r}: use 1 to {MAX_NAME_LENGTH} characters"
        )
    return cleaned


def _draw_sheet(crops: Sequence[bytes], tile: int, columns: int) -> Image.Image:
    from PIL import Image, ImageOps

    columns = min(columns, len(crops))
    rows = math.ceil(len(crops) / columns)
    sheet = Image.new("RGB", (columns * tile, rows * tile), "white")
    for index, data in enumerate(crops):
        with Image.open(io.BytesIO(data)) as crop:
            fitted = ImageOps.fit(crop.convert("RGB"), (tile, tile))
        row, column = divmod(index, columns)
        sheet.paste(fitted, (column * tile, row * tile))
    return sheet

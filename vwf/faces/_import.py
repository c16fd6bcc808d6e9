"""Importing labelled photos of known people into a user's library.

An :class:`ImportSource` yields :class:`LabelledPhoto` items; the largest face
of each photo joins the named person's gallery as ``human_recognized``.
:class:`DirectorySource` reads one folder per person. Each imported photo is
stored as a media item keyed by the SHA-256 of its bytes, so importing the
same photos again adds nothing.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vwf.faces._detector import DetectedFace
from vwf.faces._gallery import encode_embedding
from vwf.faces._images import load_image
from vwf.faces._models import FaceModels
from vwf.faces._person_rows import refresh_cover
from vwf.faces.errors import ImageError, ImportSourceError
from vwf.library import Library
from vwf.library._models import (
    AssetType,
    Face,
    Media,
    MediaAsset,
    MediaStatus,
    Person,
    RecognitionResult,
)
from vwf.storage import BlobStore, keys

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})


@dataclass(frozen=True)
class LabelledPhoto:
    """One photo of a named person, as an import source yields it."""

    person_name: str
    source: str
    """Origin of the photo, e.g. its path, shown in reports."""
    data: bytes


class ImportSource(Protocol):
    """Anything that yields labelled photos, e.g. a folder or a data export."""

    def __iter__(self) -> Iterator[LabelledPhoto]: ...


class DirectorySource:
    """Photos in ``root/<person name>/<photo>``; the folder name is the name.

    Names are taken verbatim (runs of whitespace collapsed), and matched to
    existing people case-insensitively. Hidden folders are skipped, and
    photos directly in ``root`` are skipped with a warning.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __iter__(self) -> Iterator[LabelledPhoto]:
        if not self.root.is_dir():
            raise ImportSourceError(
                f"import folder {self.root} not found; pass a folder holding one "
                "subfolder of photos per person"
            )
        loose = [p.name for p in self.root.iterdir() if _is_photo(p)]
        if loose:
            logger.warning(
                "skipped %d photos directly in %s (%s); put each person's photos "
                "in a folder named after the person",
                len(loose),
                self.root,
                ", ".join(sorted(loose)[:5]),
            )
        folders = [p for p in self.root.iterdir() if p.is_dir()]
        for folder in sorted(f for f in folders if not f.name.startswith(".")):
            name = " ".join(folder.name.split())
            for path in sorted(folder.iterdir()):
                if _is_photo(path):
                    yield LabelledPhoto(name, str(path), path.read_bytes())


def _is_photo(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()


@dataclass
class ImportReport:
    """Outcome of an import, photo by photo."""

    imported: list[str] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)
    without_face: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    people_created: list[str] = field(default_factory=list)


class PeopleImporter:
    """Adds labelled photos to the named people of one owner."""

    def __init__(
        self,
        library: Library,
        store: BlobStore,
        owner_id: uuid.UUID,
        *,
        models: FaceModels | None = None,
    ) -> None:
        self._library = library
        self._store = store
        self._owner_id = owner_id
        self._models = models

    def run(self, source: ImportSource) -> ImportReport:
        """Import every photo of ``source``; bad photos are reported, not fatal."""
        report = ImportReport()
        for photo in source:
            self._import_one(photo, report)
        logger.info(
            "imported %d photos (%d already present, %d without a face, "
            "%d unreadable) for user %s",
            len(report.imported),
            len(report.already_imported),
            len(report.without_face),
            len(report.unreadable),
            self._owner_id,
        )
        return report

    def _import_one(self, photo: LabelledPhoto, report: ImportReport) -> None:
        digest = hashlib.sha256(photo.data).hexdigest()
        if self._already_imported(digest):
            report.already_imported.append(photo.source)
            return
        try:
            image = load_image(photo.data)
        except ImageError as exc:
            logger.warning("skipped unreadable photo %s: %s", photo.source, exc)
            report.unreadable.append(photo.source)
            return
        models = self._models or FaceModels.default()
        faces = models.detect(image)
        if not faces:
            logger.warning("no face found in photo %s", photo.source)
            report.without_face.append(photo.source)
            return
        face = max(faces, key=lambda f: f.box[2] * f.box[3])
        found = _FoundFace(
            face=face,
            embedding=models.embed(image, face),
            embedding_model=models.embedding_model,
            crop=_face_crop_jpeg(image, face.box),
            image_size=(int(image.shape[1]), int(image.shape[0])),
        )
        self._store_photo(photo, digest, found, report)
        report.imported.append(photo.source)

    def _already_imported(self, digest: str) -> bool:
        with self._library.session() as session:
            found = session.scalar(
                select(Media.id).where(
                    Media.owner_id == self._owner_id, Media.content_hash == digest
                )
            )
        return found is not None

    def _store_photo(
        self,
        photo: LabelledPhoto,
        digest: str,
        found: _FoundFace,
        report: ImportReport,
    ) -> None:
        media_id, face_id = uuid.uuid4(), uuid.uuid4()
        crop_key = keys.face_key(self._owner_id, media_id, face_id)
        suffix = Path(photo.source).suffix or ".jpg"
        original_key = keys.original_key(self._owner_id, media_id, suffix)
        # Blobs first: a crash after them leaves only unreferenced files,
        # never a row pointing at a missing blob.
        self._store.put_bytes(original_key, photo.data)
        self._store.put_bytes(crop_key, found.crop)

        with self._library.session() as session:
            person = self._person(session, photo.person_name, report)
            session.add(
                Media(
                    id=media_id,
                    owner_id=self._owner_id,
                    content_hash=digest,
                    source=photo.source,
                    title=Path(photo.source).name,
                    width=found.image_size[0],
                    height=found.image_size[1],
                    skip_faces=True,
                    status=MediaStatus.COMPLETE,
                )
            )
            session.add(
                MediaAsset(
                    media_id=media_id,
                    type=AssetType.ORIGINAL,
                    storage_key=original_key,
                    byte_size=len(photo.data),
                )
            )
            crop = MediaAsset(
                media_id=media_id,
                type=AssetType.FACE_CROP,
                storage_key=crop_key,
                byte_size=len(found.crop),
            )
            session.add(crop)
            session.flush()
            session.add(
                found.to_row(face_id, self._owner_id, media_id, crop.id, person.id)
            )
            session.flush()
            refresh_cover(session, person)

    def _person(self, session: Session, name: str, report: ImportReport) -> Person:
        person = session.scalars(
            select(Person)
            .where(
                Person.owner_id == self._owner_id,
                func.lower(Person.name) == name.lower(),
            )
            .order_by(Person.created_at)
            .limit(1)
        ).first()
        if person is None:
            person = Person(owner_id=self._owner_id, name=name)
            session.add(person)
            session.flush()
            report.people_created.append(name)
        return person


@dataclass(frozen=True)
class _FoundFace:
    face: DetectedFace
    embedding: np.ndarray
    embedding_model: str
    crop: bytes
    """JPEG bytes of the face crop."""
    image_size: tuple[int, int]

    def to_row(
        self,
        face_id: uuid.UUID,
        owner_id: uuid.UUID,
        media_id: uuid.UUID,
        crop_asset_id: uuid.UUID,
        person_id: uuid.UUID,
    ) -> Face:
        x, y, width, height = (float(value) for value in self.face.box)
        return Face(
            id=face_id,
            owner_id=owner_id,
            media_id=media_id,
            time_seconds=0.0,
            box_x=x,
            box_y=y,
            box_w=width,
            box_h=height,
            landmarks=[list(point) for point in self.face.landmarks],
            detection_score=float(self.face.score),
            embedding=encode_embedding(self.embedding),
            embedding_model=self.embedding_model,
            recognition=RecognitionResult.HUMAN_RECOGNIZED,
            person_id=person_id,
            crop_asset_id=crop_asset_id,
        )


def _face_crop_jpeg(image: np.ndarray, box) -> bytes:
    # A square crop around the box with a fifth of margin on each side.
    x, y, width, height = box
    side = max(width, height) * 1.4
    centre_x, centre_y = x + width / 2, y + height / 2
    left = int(max(0, centre_x - side / 2))
    top = int(max(0, centre_y - side / 2))
    right = int(min(image.shape[1], centre_x + side / 2))
    bottom = int(min(image.shape[0], centre_y + side / 2))
    ok, encoded = cv2.imencode(
        ".jpg", image[top:bottom, left:right], [cv2.IMWRITE_JPEG_QUALITY, 90]
    )
    if not ok:
        raise ImageError(f"cannot encode the face crop of box {box} as JPEG")
    return encoded.tobytes()

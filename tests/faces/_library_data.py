"""Helpers that fill a real library database with users, media and faces.

Synthetic embeddings are random unit vectors: in 128 dimensions two random
vectors have a cosine similarity near 0, and ``near(base, noise)`` makes a
vector whose similarity to ``base`` falls as ``noise`` grows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from vwf.faces._gallery import encode_embedding
from vwf.faces._tables import PersonExclusion  # noqa: F401  (registers the table)
from vwf.library import Face, Library, Media, MediaStatus, Person, RecognitionResult

DIMENSIONS = 128


def migrated_library(url: str) -> Library:
    library = Library(url)
    library.migrate()
    return library


def add_user(library: Library, email: str = "ada@example.com") -> uuid.UUID:
    return library.users.get_or_create(email).id


def add_media(library: Library, owner_id: uuid.UUID) -> uuid.UUID:
    media_id = uuid.uuid4()
    with library.session() as session:
        session.add(
            Media(
                id=media_id,
                owner_id=owner_id,
                content_hash=media_id.hex,
                status=MediaStatus.VISIBLE,
            )
        )
    return media_id


def random_unit(rng: np.random.Generator) -> np.ndarray:
    vector = rng.normal(size=DIMENSIONS).astype(np.float32)
    return vector / np.linalg.norm(vector)


def near(rng: np.random.Generator, base: np.ndarray, noise: float = 0.5) -> np.ndarray:
    vector = base + noise * random_unit(rng)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def add_track(
    library: Library,
    owner_id: uuid.UUID,
    media_id: uuid.UUID,
    track_id: int,
    embeddings: Sequence[np.ndarray],
    *,
    start: float,
    end: float,
    quality: float = 0.5,
    detection_score: float = 0.9,
    too_small: bool = False,
    box: tuple[float, float, float, float] = (100, 100, 80, 100),
    created_at: datetime | None = None,
) -> list[uuid.UUID]:
    """Store one track's faces, spread evenly over ``start``..``end``."""
    times = np.linspace(start, end, num=len(embeddings))
    ids = []
    with library.session() as session:
        for time, embedding in zip(times, embeddings, strict=True):
            face = Face(
                owner_id=owner_id,
                media_id=media_id,
                track_id=track_id,
                time_seconds=float(time),
                box_x=box[0],
                box_y=box[1],
                box_w=box[2],
                box_h=box[3],
                landmarks=frontal_landmarks(box),
                detection_score=detection_score,
                quality=quality,
                too_small=too_small,
                embedding=encode_embedding(embedding),
                embedding_model="test",
            )
            if created_at is not None:
                face.created_at = created_at
            session.add(face)
            session.flush()
            ids.append(face.id)
    return ids


def frontal_landmarks(box: tuple[float, float, float, float]) -> list[list[float]]:
    """Eyes, nose and mouth corners of a face looking straight at the camera."""
    x, y, width, height = box
    relative = [(0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8)]
    return [[x + dx * width, y + dy * height] for dx, dy in relative]


def add_known_person(
    library: Library,
    owner_id: uuid.UUID,
    name: str,
    embeddings: Sequence[np.ndarray],
) -> uuid.UUID:
    """Store a named person whose gallery contains ``embeddings`` (one photo each)."""
    media_id = add_media(library, owner_id)
    with library.session() as session:
        person = Person(owner_id=owner_id, name=name)
        session.add(person)
        session.flush()
        for embedding in embeddings:
            session.add(
                Face(
                    owner_id=owner_id,
                    media_id=media_id,
                    time_seconds=0.0,
                    box_x=0,
                    box_y=0,
                    box_w=100,
                    box_h=100,
                    detection_score=0.95,
                    embedding=encode_embedding(embedding),
                    embedding_model="test",
                    recognition=RecognitionResult.HUMAN_RECOGNIZED,
                    person_id=person.id,
                )
            )
        return person.id


def faces_of(library: Library, media_id: uuid.UUID) -> list[Face]:
    from sqlalchemy import select

    with library.session() as session:
        return list(
            session.scalars(
                select(Face)
                .where(Face.media_id == media_id)
                .order_by(Face.time_seconds)
            )
        )


def people_of(library: Library, owner_id: uuid.UUID) -> list[Person]:
    from sqlalchemy import select

    with library.session() as session:
        return list(
            session.scalars(
                select(Person)
                .where(Person.owner_id == owner_id)
                .order_by(Person.created_at)
            )
        )

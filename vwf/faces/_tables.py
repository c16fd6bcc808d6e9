"""ORM models of the recognition tables added by library migration ``0002``.

They share the library's metadata, so foreign keys to ``users``, ``people``
and ``faces`` resolve, and every row carries ``owner_id`` for scoping.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vwf.library._models import Base, UTCDateTime, utcnow


class PersonExclusion(Base):
    """A "not this person" correction: ``face_id`` must never join ``person_id``.

    Matching and clustering also keep the face's track and its near-duplicates
    away from that person.
    """

    __tablename__ = "person_exclusions"
    __table_args__ = (UniqueConstraint("person_id", "face_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE")
    )
    face_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("faces.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecognitionLock(Base):
    """The per-user recognition turn: a lease held by one worker until it expires.

    At most one row exists per owner. A holder that dies without releasing it
    is replaced once ``expires_at`` has passed.
    """

    __tablename__ = "recognition_locks"

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

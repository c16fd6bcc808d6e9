"""SQLAlchemy ORM models of the application database.

The tables use their own :class:`Base` metadata, so they never mix with the
workflow engine's tables even when both live in one database. Every row that
belongs to a person's library carries ``owner_id`` (directly or through its
media) so queries can be scoped to one user.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite stores datetimes without an offset, so values are converted to UTC
    on the way in and marked as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class MediaStatus(enum.StrEnum):
    """Lifecycle of one media item.

    ``pending`` -> ``visible`` (watchable) -> ``complete`` (faces done); any
    status may become ``failed``, and ``failed`` returns to ``pending`` when
    the same file is submitted again.
    """

    PENDING = "pending"
    VISIBLE = "visible"
    COMPLETE = "complete"
    FAILED = "failed"


class AssetType(enum.StrEnum):
    """Kind of file stored for a media item."""

    ORIGINAL = "original"
    MAIN_VIDEO = "main_video"
    POSTER = "poster"
    ANIMATED_POSTER = "animated_poster"
    THUMBNAIL = "thumbnail"
    FACE_CROP = "face_crop"


class RecognitionResult(enum.StrEnum):
    """Outcome of recognising one face; ``NULL`` in the table means undecided."""

    NEW_FACE = "new_face"
    MACHINE_RECOGNIZED = "machine_recognized"
    HUMAN_RECOGNIZED = "human_recognized"
    NOT_FACE = "not_face"
    BAD_FACE = "bad_face"
    TWO_FACE = "two_face"


def _enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored as VARCHAR of the enum values (not names) on every backend, so a
    # new value needs no ALTER TYPE on PostgreSQL.
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Media(Base):
    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("owner_id", "content_hash"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    content_hash: Mapped[str | None] = mapped_column(String(64))
    """Hex SHA-256 of the original file; ``NULL`` until a remote source is
    uploaded."""
    source: Mapped[str | None] = mapped_column(Text)
    """Origin of the original: a local path, ``s3://`` or ``http(s)://``."""
    title: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    skip_faces: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[MediaStatus] = mapped_column(
        _enum_column(MediaStatus, "media_status"), default=MediaStatus.PENDING
    )
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    assets: Mapped[list[MediaAsset]] = relationship(
        back_populates="media", cascade="all, delete-orphan", passive_deletes=True
    )
    stages: Mapped[list[MediaStage]] = relationship(
        back_populates="media", cascade="all, delete-orphan", passive_deletes=True
    )


class MediaAsset(Base):
    __tablename__ = "media_assets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    media_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[AssetType] = mapped_column(_enum_column(AssetType, "asset_type"))
    storage_key: Mapped[str] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    time_code_seconds: Mapped[float | None] = mapped_column(Float)
    """Position in the video the asset was taken from (thumbnails, crops)."""
    byte_size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    media: Mapped[Media] = relationship(back_populates="assets")


class Person(Base):
    """Someone the user knows or who appeared in their videos ("contact")."""

    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    cover_face_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("faces.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


class Face(Base):
    """One kept face: a detection on a track, its embedding and recognition."""

    __tablename__ = "faces"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    media_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int | None] = mapped_column(Integer)
    time_seconds: Mapped[float] = mapped_column(Float)
    box_x: Mapped[float] = mapped_column(Float)
    box_y: Mapped[float] = mapped_column(Float)
    box_w: Mapped[float] = mapped_column(Float)
    box_h: Mapped[float] = mapped_column(Float)
    """Box in pixels of the upright transcoded frame."""
    landmarks: Mapped[Any | None] = mapped_column(JSON)
    detection_score: Mapped[float | None] = mapped_column(Float)
    quality: Mapped[float | None] = mapped_column(Float)
    too_small: Mapped[bool] = mapped_column(Boolean, default=False)
    """The face is below the minimum size for recognition; kept for display only."""
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Little-endian float32 vector, as ``numpy.ndarray.astype('<f4').tobytes()``."""
    embedding_model: Mapped[str | None] = mapped_column(String(100))
    recognition: Mapped[RecognitionResult | None] = mapped_column(
        _enum_column(RecognitionResult, "recognition_result")
    )
    recognition_confidence: Mapped[float | None] = mapped_column(Float)
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    crop_asset_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("media_assets.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaStage(Base):
    """Completion of one pipeline stage for one media item."""

    __tablename__ = "media_stages"
    __table_args__ = (UniqueConstraint("media_id", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    media_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    details: Mapped[Any | None] = mapped_column(JSON)

    media: Mapped[Media] = relationship(back_populates="stages")

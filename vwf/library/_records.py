"""Frozen snapshots of library rows, safe to pass between threads and stages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vwf.library._models import AssetType, Media, MediaAsset, MediaStage, MediaStatus
from vwf.library._models import User as UserRow


@dataclass(frozen=True)
class UserRecord:
    id: uuid.UUID
    email: str
    display_name: str | None

    @classmethod
    def from_row(cls, row: UserRow) -> UserRecord:
        return cls(id=row.id, email=row.email, display_name=row.display_name)


@dataclass(frozen=True)
class MediaRecord:
    id: uuid.UUID
    owner_id: uuid.UUID
    status: MediaStatus
    content_hash: str | None
    source: str | None
    title: str | None
    skip_faces: bool
    recorded_at: datetime | None
    latitude: float | None
    longitude: float | None
    duration_seconds: float | None
    width: int | None
    height: int | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Media) -> MediaRecord:
        return cls(
            id=row.id,
            owner_id=row.owner_id,
            status=MediaStatus(row.status),
            content_hash=row.content_hash,
            source=row.source,
            title=row.title,
            skip_faces=row.skip_faces,
            recorded_at=row.recorded_at,
            latitude=row.latitude,
            longitude=row.longitude,
            duration_seconds=row.duration_seconds,
            width=row.width,
            height=row.height,
            failure_reason=row.failure_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True)
class MediaMetadata:
    """Metadata of a media item, found by probing its original."""

    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    recorded_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class NewAsset:
    """A stored file to attach to a media item."""

    type: AssetType
    storage_key: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    time_code_seconds: float | None = None
    byte_size: int | None = None


@dataclass(frozen=True)
class AssetRecord:
    id: uuid.UUID
    media_id: uuid.UUID
    type: AssetType
    storage_key: str
    width: int | None
    height: int | None
    duration_seconds: float | None
    time_code_seconds: float | None
    byte_size: int | None

    @classmethod
    def from_row(cls, row: MediaAsset) -> AssetRecord:
        return cls(
            id=row.id,
            media_id=row.media_id,
            type=AssetType(row.type),
            storage_key=row.storage_key,
            width=row.width,
            height=row.height,
            duration_seconds=row.duration_seconds,
            time_code_seconds=row.time_code_seconds,
            byte_size=row.byte_size,
        )


@dataclass(frozen=True)
class StageRecord:
    media_id: uuid.UUID
    stage: str
    completed_at: datetime
    attempt: int
    details: Any

    @classmethod
    def from_row(cls, row: MediaStage) -> StageRecord:
        return cls(
            media_id=row.media_id,
            stage=row.stage,
            completed_at=row.completed_at,
            attempt=row.attempt,
            details=row.details,
        )

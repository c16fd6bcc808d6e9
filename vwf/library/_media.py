"""Owner-scoped operations on users, media, assets and stage records."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from vwf.library._models import (
    Face,
    Media,
    MediaAsset,
    MediaStage,
    MediaStatus,
    User,
    utcnow,
)
from vwf.library._notifications import Notification
from vwf.library._records import (
    AssetRecord,
    MediaMetadata,
    MediaRecord,
    NewAsset,
    StageRecord,
    UserRecord,
)
from vwf.library._scoping import as_uuid, get_owned
from vwf.library.errors import InvalidTransitionError, LibraryError, NotFoundError

if TYPE_CHECKING:
    from vwf.library._database import Library

logger = logging.getLogger(__name__)

ALLOWED_TRANSITIONS: dict[MediaStatus, frozenset[MediaStatus]] = {
    MediaStatus.PENDING: frozenset({MediaStatus.VISIBLE, MediaStatus.FAILED}),
    MediaStatus.VISIBLE: frozenset({MediaStatus.COMPLETE, MediaStatus.FAILED}),
    MediaStatus.COMPLETE: frozenset({MediaStatus.FAILED}),
    MediaStatus.FAILED: frozenset({MediaStatus.PENDING}),
}
"""Status changes :meth:`MediaRepository.set_status` accepts. Setting the
current status again is also accepted, so a retried stage is harmless."""


class UserRepository:
    """Users of the library, keyed by email."""

    def __init__(self, library: Library) -> None:
        self._library = library

    def get_or_create(self, email: str, display_name: str | None = None) -> UserRecord:
        """Return the user with ``email`` (case-insensitive), creating it if new."""
        normalized = _normalize_email(email)
        with self._library.session() as session:
            row = session.scalars(select(User).where(User.email == normalized)).first()
            if row is None:
                row = User(email=normalized, display_name=display_name)
                session.add(row)
                session.flush()
                logger.info("created user %s", row.id)
            return UserRecord.from_row(row)

    def get(self, user_id: uuid.UUID | str) -> UserRecord:
        with self._library.session() as session:
            row = session.get(User, as_uuid(user_id, "user"))
            if row is None:
                raise NotFoundError("user", user_id)
            return UserRecord.from_row(row)


class MediaRepository:
    """Media items, their assets and stage records, always scoped to an owner."""

    def __init__(self, library: Library) -> None:
        self._library = library

    def create(
        self,
        owner_id: uuid.UUID | str,
        *,
        content_hash: str | None,
        source: str | None,
        title: str | None = None,
        skip_faces: bool = False,
        media_id: uuid.UUID | None = None,
    ) -> MediaRecord:
        """Insert a ``pending`` media item for ``owner_id``."""
        with self._library.session() as session:
            owner = session.get(User, as_uuid(owner_id, "user"))
            if owner is None:
                raise NotFoundError("user", owner_id)
            row = Media(
                id=media_id or uuid.uuid4(),
                owner_id=owner.id,
                content_hash=content_hash,
                source=source,
                title=title,
                skip_faces=skip_faces,
                status=MediaStatus.PENDING,
            )
            session.add(row)
            session.flush()
            return MediaRecord.from_row(row)

    def get(self, owner_id: uuid.UUID | str, media_id: uuid.UUID | str) -> MediaRecord:
        with self._library.session() as session:
            return MediaRecord.from_row(get_owned(session, Media, owner_id, media_id))

    def find_by_hash(
        self, owner_id: uuid.UUID | str, content_hash: str
    ) -> MediaRecord | None:
        """Return the owner's media whose original has ``content_hash``, if any."""
        statement = select(Media).where(
            Media.owner_id == as_uuid(owner_id, "user"),
            Media.content_hash == content_hash,
        )
        with self._library.session() as session:
            row = session.scalars(statement).first()
            return None if row is None else MediaRecord.from_row(row)

    def list(
        self, owner_id: uuid.UUID | str, *, status: MediaStatus | None = None
    ) -> list[MediaRecord]:
        """Return the owner's media, newest first."""
        statement = select(Media).where(Media.owner_id == as_uuid(owner_id, "user"))
        if status is not None:
            statement = statement.where(Media.status == status)
        statement = statement.order_by(Media.created_at.desc(), Media.id)
        with self._library.session() as session:
            return [MediaRecord.from_row(row) for row in session.scalars(statement)]

    def set_status(
        self,
        owner_id: uuid.UUID | str,
        media_id: uuid.UUID | str,
        status: MediaStatus,
        reason: str | None = None,
    ) -> MediaRecord:
        """Move the media to ``status``; ``reason`` is required for ``failed``.

        Raises :class:`InvalidTransitionError` for a change outside
        :data:`ALLOWED_TRANSITIONS`.
        """
        with self._library.session() as session:
            row = get_owned(session, Media, owner_id, media_id, for_update=True)
            apply_status(row, MediaStatus(status), reason)
            session.flush()
            return MediaRecord.from_row(row)

    def reset_for_resubmission(
        self,
        owner_id: uuid.UUID | str,
        media_id: uuid.UUID | str,
        *,
        source: str | None,
        title: str | None,
        skip_faces: bool,
    ) -> MediaRecord:
        """Return a ``failed`` media item to ``pending`` for a new attempt.

        The row keeps its uuid, so links to it stay valid. Its assets, faces,
        stage records and sent notifications from the failed attempt are
        deleted, so the new attempt notifies the owner again.
        """
        with self._library.session() as session:
            row = get_owned(session, Media, owner_id, media_id, for_update=True)
            if row.status is not MediaStatus.FAILED:
                raise InvalidTransitionError(
                    f"media {row.id} is {row.status.value}; only failed media "
                    "can be submitted again"
                )
            apply_status(row, MediaStatus.PENDING, None)
            row.source = source
            row.title = title if title is not None else row.title
            row.skip_faces = skip_faces
            for model in (Face, MediaAsset, MediaStage, Notification):
                session.execute(delete(model).where(model.media_id == row.id))
            session.flush()
            return MediaRecord.from_row(row)

    def update(
        self, owner_id: uuid.UUID | str, media_id: uuid.UUID | str, **fields: Any
    ) -> MediaRecord:
        """Set ``title`` or ``content_hash``; use :meth:`set_status` for status."""
        unknown = set(fields) - {"title", "content_hash"}
        if unknown:
            raise LibraryError(
                f"cannot update media fields {sorted(unknown)}: only title and "
                "content_hash may change here"
            )
        with self._library.session() as session:
            row = get_owned(session, Media, owner_id, media_id)
            for name, value in fields.items():
                setattr(row, name, value)
            session.flush()
            return MediaRecord.from_row(row)

    def set_metadata(
        self,
        owner_id: uuid.UUID | str,
        media_id: uuid.UUID | str,
        metadata: MediaMetadata,
    ) -> MediaRecord:
        """Store what probing found; ``None`` fields leave the column unchanged."""
        with self._library.session() as session:
            row = get_owned(session, Media, owner_id, media_id)
            for name, value in asdict(metadata).items():
                if value is not None:
                    setattr(row, name, value)
            session.flush()
            return MediaRecord.from_row(row)

    def delete(self, owner_id: uuid.UUID | str, media_id: uuid.UUID | str) -> None:
        """Delete the media row with its assets, faces and stage records.

        Stored files are not removed; delete them from the blob store first.
        """
        with self._library.session() as session:
            row = get_owned(session, Media, owner_id, media_id)
            session.delete(row)

    def replace_assets(
        self,
        owner_id: uuid.UUID | str,
        media_id: uuid.UUID | str,
        assets: list[NewAsset],
    ) -> list[AssetRecord]:
        """Attach ``assets``, first removing existing ones with the same keys.

        Replacing by key keeps a retried stage from adding duplicate rows.
        """
        keys = [asset.storage_key for asset in assets]
        with self._library.session() as session:
            row = get_owned(session, Media, owner_id, media_id)
            session.execute(
                delete(MediaAsset).where(
                    MediaAsset.media_id == row.id, MediaAsset.storage_key.in_(keys)
                )
            )
            rows = [MediaAsset(media_id=row.id, **asdict(asset)) for asset in assets]
            session.add_all(rows)
            session.flush()
            return [AssetRecord.from_row(asset_row) for asset_row in rows]

    def assets(
        self, owner_id: uuid.UUID | str, media_id: uuid.UUID | str
    ) -> list[AssetRecord]:
        with self._library.session() as session:
            row = get_owned(session, Media, owner_id, media_id)
            return [AssetRecord.from_row(asset) for asset in row.assets]

    def record_stage(
        self,
        owner_id: uuid.UUID | str,
        media_id: uuid.UUID | str,
        stage: str,
        *,
        attempt: int = 1,
        details: Any = None,
    ) -> StageRecord:
        """Record that ``stage`` completed; a later completion overwrites it."""
        with self._library.session() as session:
            media = get_owned(session, Media, owner_id, media_id)
            statement = select(MediaStage).where(
                MediaStage.media_id == media.id, MediaStage.stage == stage
            )
            row = session.scalars(statement).first()
            if row is None:
                row = MediaStage(media_id=media.id, stage=stage)
                session.add(row)
            row.attempt = attempt
            row.details = details
            row.completed_at = utcnow()
            session.flush()
            return StageRecord.from_row(row)

    def stages(
        self, owner_id: uuid.UUID | str, media_id: uuid.UUID | str
    ) -> list[StageRecord]:
        with self._library.session() as session:
            row = get_owned(session, Media, owner_id, media_id)
            return [StageRecord.from_row(stage) for stage in row.stages]


def apply_status(row: Media, status: MediaStatus, reason: str | None) -> None:
    current = MediaStatus(row.status)
    if status is MediaStatus.FAILED and not reason:
        raise LibraryError(f"failing media {row.id} needs a reason; pass reason=...")
    if status is not current and status not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransitionError(
            f"media {row.id} cannot go from {current.value} to {status.value}; "
            "allowed: pending -> visible -> complete, any -> failed, "
            "failed -> pending"
        )
    row.status = status
    row.failure_reason = reason if status is MediaStatus.FAILED else None
    if status is not current:
        logger.info("media %s: %s -> %s", row.id, current.value, status.value)


# One "@" between a local part and a domain (``localhost`` is allowed), with
# no whitespace, control characters or separators that mail headers misread.
_EMAIL_PART = r"[^@\s,;<>\"\x00-\x1f\x7f]+"
_EMAIL = re.compile(f"{_EMAIL_PART}@{_EMAIL_PART}")
MAX_EMAIL_LENGTH = 254
"""Maximum address length SMTP can carry (RFC 5321 limits a path to 256
octets, including the angle brackets)."""


def _normalize_email(email: str) -> str:
    normalized = email.strip().lower()
    shown_email = repr(email) if len(email) <= 80 else f"{email[:77]!r}..."
    if len(normalized) > MAX_EMAIL_LENGTH:
        raise LibraryError(
            f"invalid email {shown_email}: longer than {MAX_EMAIL_LENGTH} characters"
        )
    if not _EMAIL.fullmatch(normalized):
        raise LibraryError(f"invalid email {shown_email}: use name@example.com")
    return normalized

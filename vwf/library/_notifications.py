"""Record of every notification delivered, so each is sent once per channel."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vwf.library._models import Base, UTCDateTime, utcnow


class Notification(Base):
    """One delivered notification: a media item's outcome on one channel."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("media_id", "outcome", "channel"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    media_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    """``completed`` or ``failed``."""
    channel: Mapped[str] = mapped_column(String(16))
    """``email`` or ``webhook``."""
    recipient: Mapped[str] = mapped_column(String(2000))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

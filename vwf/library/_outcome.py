"""Media status from the close status of its workflow (the decider's hook)."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select

from vwf.library._media import apply_status
from vwf.library._models import Media, MediaStatus
from vwf.library._records import MediaRecord
from vwf.library._scoping import as_uuid
from vwf.library.errors import LibraryError, NotFoundError

if TYPE_CHECKING:
    from vwf.library._database import Library

logger = logging.getLogger(__name__)

WorkflowOutcome = Literal["completed", "failed", "canceled", "timed_out", "terminated"]
OUTCOMES = ("completed", "failed", "canceled", "timed_out", "terminated")


def record_workflow_outcome(
    library: Library,
    media_id: uuid.UUID | str,
    outcome: WorkflowOutcome,
    reason: str | None = None,
) -> MediaRecord:
    """Set the status of ``media_id`` from how its workflow closed.

    ``completed`` makes visible media ``complete``. Every other outcome makes
    the media ``failed`` with a reason naming the outcome. A workflow that
    completed while its media was still ``pending`` also fails the media,
    because the video never became watchable.
    """
    if outcome not in OUTCOMES:
        raise LibraryError(
            f"invalid workflow outcome {outcome!r}: use one of {OUTCOMES}"
        )
    with library.session() as session:
        statement = select(Media).where(Media.id == as_uuid(media_id, "media"))
        row = session.scalars(statement.with_for_update()).one_or_none()
        if row is None:
            raise NotFoundError("media", media_id)
        status, failure = _target_status(MediaStatus(row.status), outcome, reason)
        if status is MediaStatus.FAILED and row.status is MediaStatus.FAILED:
            # Keep the first, most specific reason (e.g. from Transcode).
            failure = row.failure_reason or failure
        apply_status(row, status, failure)
        session.flush()
        logger.info("media %s: workflow %s", row.id, outcome)
        return MediaRecord.from_row(row)


def _target_status(
    current: MediaStatus, outcome: str, reason: str | None
) -> tuple[MediaStatus, str | None]:
    if outcome == "completed" and current in (
        MediaStatus.VISIBLE,
        MediaStatus.COMPLETE,
    ):
        return MediaStatus.COMPLETE, None
    if outcome == "completed":
        return MediaStatus.FAILED, (
            f"workflow completed while the media was {current.value}"
        )
    words = outcome.replace("_", " ")
    return (
        MediaStatus.FAILED,
        f"workflow {words}: {reason}" if reason else f"workflow {words}",
    )

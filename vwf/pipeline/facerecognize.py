"""The FaceRecognize stage: decide who is in a video from FaceDetect's faces.

The stage takes the owner's recognition turn, so one user's videos are
recognised one at a time and people in videos uploaded together are matched
against each other. A busy user makes the stage raise
:class:`~vwf.workflow.errors.TryLaterError`; the decider retries it after a
durable timer. Everything one run decides is written in one transaction.

Input: the workflow input with ``media_id`` and ``user_id``, plus
FaceDetect's result under the stage name. When ``user_id`` is present it must
be the media's owner. FaceDetect's ``tracks`` list gives each track's
``track_id``, ``start`` and ``end`` seconds. The faces themselves are read
from the library's ``faces`` table.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vwf.config import Settings
from vwf.faces._matching import Thresholds
from vwf.faces._recognize import RecognitionSummary, recognize_media
from vwf.faces._turn import DEFAULT_LEASE, RecognitionTurns
from vwf.faces.errors import UserBusyError
from vwf.library import Library, Media, MediaStage
from vwf.library._models import utcnow
from vwf.logcontext import log_context
from vwf.workflow import ActivityContext
from vwf.workflow.errors import NonRetryableError, TryLaterError

logger = logging.getLogger(__name__)

STAGE = "FaceRecognize"


class FaceRecognizeActivity:
    """Activity of the FaceRecognize stage; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        *,
        library: Library | None = None,
        thresholds: Thresholds | None = None,
        lease: timedelta = DEFAULT_LEASE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._library = library or Library(settings.library_url)
        self._thresholds = thresholds or Thresholds()
        self._turns = RecognitionTurns(self._library, lease=lease, clock=clock)

    def __call__(self, input: dict[str, Any], context: ActivityContext) -> dict:
        media_id = _media_id(input)
        with log_context(
            workflow_id=context.workflow_id,
            run_id=context.run_id,
            activity_id=context.activity_id,
            media_id=str(media_id),
        ):
            owner_id = self._owner_of(media_id, input.get("user_id"))
            with log_context(user_id=str(owner_id)):
                spans = track_spans(input)
                return self._recognize(owner_id, media_id, spans, context.attempt)

    def _recognize(
        self,
        owner_id: uuid.UUID,
        media_id: uuid.UUID,
        spans: Mapping[int, tuple[float, float]],
        attempt: int,
    ) -> dict:
        try:
            turn = self._turns.acquire(owner_id)
        except UserBusyError as exc:
            logger.info("user busy, retrying later: %s", exc)
            raise TryLaterError(str(exc), exc.retry_after) from exc
        logger.info("%s started, attempt %d", STAGE, attempt)
        try:
            with self._library.session() as session:
                summary = recognize_media(
                    session,
                    owner_id,
                    media_id,
                    thresholds=self._thresholds,
                    track_spans=spans,
                )
                _record_stage(session, media_id, attempt, summary)
                self._turns.confirm(session, turn)
        except UserBusyError as exc:
            logger.warning("lost the recognition turn, retrying later: %s", exc)
            raise TryLaterError(str(exc), exc.retry_after) from exc
        finally:
            self._turns.release(turn)
        logger.info(
            "%s finished: %d people (%d new), %d unsure faces, %d rejected faces",
            STAGE,
            len(summary.people),
            sum(person.is_new for person in summary.people),
            summary.unsure_faces,
            summary.rejected_faces,
        )
        return summary.to_json()

    def _owner_of(self, media_id: uuid.UUID, user_id: object) -> uuid.UUID:
        with self._library.session() as session:
            media = session.get(Media, media_id)
        # Another user's media is reported exactly like a missing one.
        if media is None or (user_id is not None and str(media.owner_id) != user_id):
            raise NonRetryableError(
                f"media {media_id} of user {user_id} not found in the library; "
                "it was deleted after the workflow started or belongs to "
                "another user"
            )
        return media.owner_id


def _record_stage(
    session: Session, media_id: uuid.UUID, attempt: int, summary: RecognitionSummary
) -> None:
    # In the recognition's own transaction, so the stage is recorded exactly
    # when its decisions are.
    row = session.scalars(
        select(MediaStage).where(
            MediaStage.media_id == media_id, MediaStage.stage == STAGE
        )
    ).first()
    if row is None:
        row = MediaStage(media_id=media_id, stage=STAGE)
        session.add(row)
    row.attempt = attempt
    row.completed_at = utcnow()
    row.details = {
        "people": len(summary.people),
        "new_people": sum(person.is_new for person in summary.people),
        "unsure_faces": summary.unsure_faces,
        "rejected_faces": summary.rejected_faces,
    }


def _media_id(input: Mapping[str, Any]) -> uuid.UUID:
    value = input.get("media_id")
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NonRetryableError(
            f"invalid media_id {value!r} in the FaceRecognize input: pass the "
            "UUID of a media item"
        ) from exc


def track_spans(input: Mapping[str, Any]) -> dict[int, tuple[float, float]]:
    """Return ``track_id -> (start, end)`` from the FaceDetect result in ``input``."""
    spans: dict[int, tuple[float, float]] = {}
    for value in input.values():
        if not isinstance(value, Mapping) or not isinstance(value.get("tracks"), list):
            continue
        for track in value["tracks"]:
            try:
                track_id = int(track["track_id"])
                spans[track_id] = (float(track["start"]), float(track["end"]))
            except (KeyError, TypeError, ValueError):
                logger.warning("ignored malformed track entry %r", track)
    return spans

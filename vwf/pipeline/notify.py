"""The NotifyComplete stage: tell the owner that a video is done.

Input: the workflow input (``media_id``, ``user_id``) plus the results of the
earlier stages, which this stage does not need: it reads the media item and
the people found in it from the library. It returns::

    {"channels": ["email", "webhook"], "people": 3}

where ``channels`` lists the channels delivered by this attempt. A delivery
failure raises a retryable error, so the workflow retries the stage; the
channels that already succeeded are skipped then.
"""

from __future__ import annotations

import logging
from typing import Any

from vwf.config import Settings
from vwf.library import Library, NotFoundError
from vwf.logcontext import log_context
from vwf.notify import Notifier, build_report, notifier_from_settings
from vwf.notify._report import people_time_ranges
from vwf.workflow import ActivityContext
from vwf.workflow.errors import NonRetryableError

logger = logging.getLogger(__name__)

STAGE = "NotifyComplete"


class NotifyCompleteActivity:
    """The NotifyComplete activity; one instance serves many tasks."""

    def __init__(
        self,
        settings: Settings,
        *,
        library: Library | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self._library = library or Library(settings.library_url)
        self._notifier = notifier or notifier_from_settings(settings, self._library)

    def __call__(self, input: dict[str, Any], context: ActivityContext) -> dict:
        media_id, user_id = _ids(input)
        with log_context(
            workflow_id=context.workflow_id,
            activity_id=context.activity_id,
            media_id=media_id,
            user_id=user_id,
        ):
            try:
                report = build_report(
                    self._library,
                    user_id,
                    media_id,
                    time_ranges=people_time_ranges(input.get("FaceRecognize")),
                )
            except NotFoundError as exc:
                raise NonRetryableError(
                    f"media {media_id} of user {user_id} is not in the library: {exc}"
                ) from exc

            if not self._notifier.channels:
                logger.info("no notification channel is configured")
            channels = self._notifier.notify(report)
            logger.info(
                "%s finished: %d people, delivered on %s",
                STAGE,
                len(report.people),
                ", ".join(channels) or "no channel",
            )
            return {"channels": list(channels), "people": len(report.people)}


def _ids(input: dict[str, Any]) -> tuple[str, str]:
    try:
        return str(input["media_id"]), str(input["user_id"])
    except KeyError as exc:
        raise NonRetryableError(
            f"stage input has no {exc.args[0]}; submit the video again"
        ) from None

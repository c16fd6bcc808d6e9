"""The pipeline's decider and workers, wired to the library and the blob store."""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from vwf.config import Settings
from vwf.library import Library, NotFoundError, record_workflow_outcome
from vwf.pipeline._definition import video_processing
from vwf.pipeline._registry import load_activity
from vwf.storage import open_store
from vwf.workflow import Activity, ActivityWorker, Decider, WorkflowDefinition

logger = logging.getLogger(__name__)


def pipeline_definitions(settings: Settings) -> list[WorkflowDefinition]:
    """Both video workflow types of ``settings``' domain and deployment, with
    stage timeouts scaled by ``timeout_scale``; the last one has every stage."""
    definitions = []
    for remote in (False, True):
        definition = video_processing(remote_source=remote, domain=settings.domain)
        definition = definition.for_deployment(settings.deployment)
        definitions.append(scale_timeouts(definition, settings.timeout_scale))
    return definitions


def scale_timeouts(definition: WorkflowDefinition, factor: float) -> WorkflowDefinition:
    """Return ``definition`` with every stage's activity timeouts and busy
    retry times multiplied by ``factor``, rounded up to whole seconds (SWF's
    unit) and at least 1 second."""
    if factor == 1:
        return definition
    stages = tuple(
        dataclasses.replace(
            stage,
            **{name: _scaled(value, factor) for name, value in stage.durations()},
            busy_retry_delay=_scaled(stage.busy_retry_delay, factor),
            busy_deadline=_scaled(stage.busy_deadline, factor),
        )
        for stage in definition.stages
    )
    return dataclasses.replace(definition, stages=stages)


def _scaled(value: timedelta | None, factor: float) -> timedelta | None:
    if value is None:
        return None
    return timedelta(seconds=max(1, math.ceil(value.total_seconds() * factor)))


class MediaCloseHook:
    """Set a media item's status from how its workflow closes.

    The decider calls it just before it sends the close decision, so the
    library and the history agree. If the library cannot be written, the
    decision is not sent and the decision task is retried.
    """

    def __init__(self, library: Library) -> None:
        self._library = library

    def __call__(
        self,
        workflow_id: str,
        workflow_input: dict[str, Any],
        outcome: str,
        detail: Any,
    ) -> None:
        media_id = workflow_input.get("media_id", workflow_id)
        reason = detail if outcome != "completed" else None
        try:
            record_workflow_outcome(self._library, media_id, outcome, reason)
        except NotFoundError:
            # A workflow whose media row was deleted: nothing left to update.
            logger.warning("media %s of workflow %s not found", media_id, workflow_id)


def build_decider(
    settings: Settings, client: Any, *, library: Library | None = None
) -> Decider:
    """Return the decider of the video workflows with the media close hook."""
    library = library or Library(settings.library_url)
    return Decider(
        client,
        pipeline_definitions(settings),
        on_close=MediaCloseHook(library),
        store=open_store(settings.storage_url),
    )


def build_worker(
    settings: Settings,
    client: Any,
    stages: Iterable[str],
    *,
    concurrency: int = 1,
    instrument: Callable[[str, Activity], Activity] | None = None,
) -> ActivityWorker:
    """Return a worker running ``stages`` of the video workflow; ``instrument``
    may wrap each stage's activity, e.g. to count its tasks."""
    activities = {stage: load_activity(stage, settings) for stage in stages}
    if instrument is not None:
        activities = {stage: instrument(stage, a) for stage, a in activities.items()}
    return ActivityWorker(
        client,
        pipeline_definitions(settings)[-1],
        activities,
        concurrency=concurrency,
        store=open_store(settings.storage_url),
    )

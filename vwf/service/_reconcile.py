"""The reconciler: media status from executions that closed without the
decider's close hook.

The decider updates a media item in the same step as its close decision.
Executions that close in other ways (a workflow start-to-close timeout,
TerminateWorkflowExecution, a decider that was not running) leave the media
``pending`` or ``visible``. The reconciler reads SWF's close status of such
executions and applies it; it never infers an outcome from elapsed time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from vwf.library import Library, Media, MediaStatus, record_workflow_outcome
from vwf.logcontext import log_context
from vwf.service._executions import ExecutionRef, list_executions

logger = logging.getLogger(__name__)

# SWF close status -> the library's workflow outcome.
OUTCOME_OF_CLOSE_STATUS = {
    "COMPLETED": "completed",
    "FAILED": "failed",
    "CANCELED": "canceled",
    "TERMINATED": "terminated",
    "TIMED_OUT": "timed_out",
}
_UNFINISHED = (MediaStatus.PENDING, MediaStatus.VISIBLE)


@dataclass(frozen=True)
class Reconciled:
    """One media item whose status the reconciler changed."""

    media_id: str
    close_status: str
    status: str


def reconcile(
    client: Any,
    library: Library,
    domain: str,
    *,
    since: timedelta = timedelta(days=7),
    now: datetime | None = None,
) -> list[Reconciled]:
    """Apply SWF's close status to the media of closed executions and return
    what changed.

    Only executions started within ``since`` count, only the newest run of
    each workflow id, and only media that is still pending or visible.
    """
    # Open runs are listed too: a newer open run (a resubmitted video) owns
    # the media status, so an older closed run must not change it.
    runs = list_executions(client, domain, since=since, now=now)
    latest = _latest_run_per_workflow(runs)
    changed = []
    for ref in latest.values():
        outcome = OUTCOME_OF_CLOSE_STATUS.get(ref.status)
        if outcome is None or not _unfinished(library, ref.workflow_id):
            continue
        with log_context(workflow_id=ref.workflow_id, media_id=ref.workflow_id):
            record = record_workflow_outcome(
                library, ref.workflow_id, outcome, f"found closed as {ref.status}"
            )
            logger.info(
                "media set to %s from close status %s", record.status, ref.status
            )
            changed.append(Reconciled(ref.workflow_id, ref.status, record.status.value))
    return changed


def _latest_run_per_workflow(refs: list[ExecutionRef]) -> dict[str, ExecutionRef]:
    latest: dict[str, ExecutionRef] = {}
    for ref in refs:
        known = latest.get(ref.workflow_id)
        if known is None or ref.started_at > known.started_at:
            latest[ref.workflow_id] = ref
    return latest


def _unfinished(library: Library, workflow_id: str) -> bool:
    try:
        media_id = uuid.UUID(workflow_id)
    except ValueError:
        return False
    with library.session() as session:
        media = session.get(Media, media_id)
        return media is not None and media.status in _UNFINISHED

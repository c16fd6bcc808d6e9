"""Looking up and steering executions of the video workflow by id."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from vwf.errors import VwfError
from vwf.library import Library
from vwf.workflow import WorkflowDefinition, resume_input


class ExecutionNotFoundError(VwfError):
    """No execution with the workflow id exists in the domain."""


@dataclass(frozen=True)
class ExecutionRef:
    """One run of a workflow, as SWF's visibility API lists it."""

    workflow_id: str
    run_id: str
    workflow_type: str
    status: str
    """``OPEN`` or SWF's close status, e.g. ``COMPLETED``."""
    started_at: datetime
    closed_at: datetime | None

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> ExecutionRef:
        execution = info["execution"]
        return cls(
            workflow_id=execution["workflowId"],
            run_id=execution["runId"],
            workflow_type=info["workflowType"]["name"],
            status=info.get("closeStatus") or info["executionStatus"],
            started_at=info["startTimestamp"],
            closed_at=info.get("closeTimestamp"),
        )


def list_executions(
    client: Any,
    domain: str,
    *,
    since: timedelta,
    open_only: bool = False,
    closed_only: bool = False,
    workflow_id: str | None = None,
    now: datetime | None = None,
) -> list[ExecutionRef]:
    """Return the executions started within ``since``, newest first."""
    oldest = (now or datetime.now(UTC)) - since
    request: dict[str, Any] = {
        "domain": domain,
        "startTimeFilter": {"oldestDate": oldest},
        "reverseOrder": True,
    }
    if workflow_id is not None:
        request["executionFilter"] = {"workflowId": workflow_id}
    found = []
    if not closed_only:
        found += _pages(client.list_open_workflow_executions, request)
    if not open_only:
        found += _pages(client.list_closed_workflow_executions, request)
    refs = [ExecutionRef.from_info(info) for info in found]
    return sorted(refs, key=lambda ref: ref.started_at, reverse=True)


def latest_execution(
    client: Any, domain: str, workflow_id: str, *, since: timedelta = timedelta(days=90)
) -> ExecutionRef:
    """Return the newest run of ``workflow_id``, raising when there is none."""
    runs = list_executions(client, domain, since=since, workflow_id=workflow_id)
    if not runs:
        raise ExecutionNotFoundError(
            f"no execution with workflow id {workflow_id} in domain {domain} in the "
            f"last {since.days} days; check the id with `vwf list`"
        )
    return runs[0]


def _pages(operation: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    page = operation(**request)
    yield from page["executionInfos"]
    while page.get("nextPageToken"):
        page = operation(**request, nextPageToken=page["nextPageToken"])
        yield from page["executionInfos"]


def request_cancel(client: Any, domain: str, ref: ExecutionRef) -> None:
    """Ask the decider to cancel the open execution ``ref``."""
    _call_on_open(
        client.request_cancel_workflow_execution,
        ref,
        domain=domain,
        workflowId=ref.workflow_id,
        runId=ref.run_id,
    )


def restart_from_stage(
    client: Any, definition: WorkflowDefinition, ref: ExecutionRef, stage: str
) -> str:
    """Start a new run of the closed execution ``ref`` and return its run id.

    The new run runs ``stage`` and the stages after it again, and reuses the
    other stages' results.
    """
    from vwf.service._history import read_history

    execution = {"workflowId": ref.workflow_id, "runId": ref.run_id}
    events = read_history(client, definition.domain, ref.workflow_id, ref.run_id)
    workflow_input = resume_input(definition, execution, events, stage)
    response = client.start_workflow_execution(
        domain=definition.domain,
        workflowId=ref.workflow_id,
        workflowType={"name": definition.name, "version": definition.version},
        taskList={"name": definition.decider_task_list},
        input=json.dumps(workflow_input),
    )
    return response["runId"]


def signal_retry(client: Any, domain: str, ref: ExecutionRef, stage: str) -> None:
    """Send the ``retry`` signal for ``stage`` to the open execution ``ref``."""
    _call_on_open(
        client.signal_workflow_execution,
        ref,
        domain=domain,
        workflowId=ref.workflow_id,
        runId=ref.run_id,
        signalName="retry",
        input=json.dumps({"stage": stage}),
    )


def _call_on_open(operation: Any, ref: ExecutionRef, **request: Any) -> None:
    if ref.status != "OPEN":
        raise VwfError(
            f"execution {ref.workflow_id} is closed ({ref.status}), so there is "
            "nothing to change; `vwf retry STAGE ID` starts a new run from a stage"
        )
    try:
        operation(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UnknownResourceFault":
            raise
        raise VwfError(f"execution {ref.workflow_id} closed meanwhile: {exc}") from exc


def reopen_media(library: Library, media_id: str, *, transcoded: bool) -> None:
    """Move the media of a restarted run back from ``failed``: to ``visible``
    when its transcoded video is kept, else to ``pending``."""
    from vwf.library import Media, MediaStatus
    from vwf.library._media import apply_status

    with library.session() as session:
        media = session.get(Media, uuid.UUID(media_id))
        if media is None or media.status is not MediaStatus.FAILED:
            return
        apply_status(media, MediaStatus.PENDING, None)
        if transcoded and media.duration_seconds is not None:
            apply_status(media, MediaStatus.VISIBLE, None)

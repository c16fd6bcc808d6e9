"""Reading an execution's history: every page, and per-stage progress."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vwf.workflow import RESUMED_KEY, WorkflowDefinition

CLOSE_EVENTS = {
    "WorkflowExecutionCompleted": "COMPLETED",
    "WorkflowExecutionFailed": "FAILED",
    "WorkflowExecutionCanceled": "CANCELED",
    "WorkflowExecutionTerminated": "TERMINATED",
    "WorkflowExecutionTimedOut": "TIMED_OUT",
    "WorkflowExecutionContinuedAsNew": "CONTINUED_AS_NEW",
}


@dataclass(frozen=True)
class StageProgress:
    """The state of one stage of one execution, read from its history."""

    stage: str
    status: str
    """``waiting``, ``scheduled``, ``running``, ``completed``, ``failed``,
    ``timed_out`` or ``canceled`` (of its latest attempt), or ``resumed`` for
    a stage whose result a restarted run took over from an earlier run."""
    attempts: int
    started_at: datetime | None
    """When the first attempt was scheduled."""
    finished_at: datetime | None
    """When the stage completed."""

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def read_history(
    client: Any, domain: str, workflow_id: str, run_id: str
) -> list[dict[str, Any]]:
    """Return every event of the execution, oldest first."""
    request = {
        "domain": domain,
        "execution": {"workflowId": workflow_id, "runId": run_id},
    }
    page = client.get_workflow_execution_history(**request)
    events = list(page["events"])
    while page.get("nextPageToken"):
        page = client.get_workflow_execution_history(
            **request, nextPageToken=page["nextPageToken"]
        )
        events.extend(page["events"])
    return events


def close_status(events: Sequence[dict[str, Any]]) -> str | None:
    """Return SWF's close status of the execution, or ``None`` while open."""
    if events and events[-1]["eventType"] in CLOSE_EVENTS:
        return CLOSE_EVENTS[events[-1]["eventType"]]
    return None


def stage_progress(
    definition: WorkflowDefinition, events: Sequence[dict[str, Any]]
) -> list[StageProgress]:
    """Return the progress of each stage of ``definition``, in stage order."""
    tracker = _Tracker.replay(definition, events)
    return [tracker.progress(stage.name) for stage in definition.stages]


_ATTEMPT_OUTCOMES = {
    "ActivityTaskStarted": "running",
    "ActivityTaskCompleted": "completed",
    "ActivityTaskFailed": "failed",
    "ActivityTaskTimedOut": "timed_out",
    "ActivityTaskCanceled": "canceled",
}


class _Tracker:
    def __init__(self, definition: WorkflowDefinition) -> None:
        self._definition = definition
        self._stage_of_event: dict[int, str] = {}
        self._status: dict[str, str] = {}
        self._attempts: dict[str, int] = {}
        self._started: dict[str, datetime] = {}
        self._finished: dict[str, datetime] = {}
        self.results: dict[str, Any] = {}
        """Each completed stage's last result, decoded from JSON."""

    @classmethod
    def replay(
        cls, definition: WorkflowDefinition, events: Sequence[dict[str, Any]]
    ) -> _Tracker:
        tracker = cls(definition)
        for event in events:
            tracker.apply(event)
        return tracker

    def apply(self, event: dict[str, Any]) -> None:
        event_type = event["eventType"]
        if event_type == "WorkflowExecutionStarted":
            self._execution_started(event)
            return
        if event_type == "ActivityTaskScheduled":
            self._scheduled(event)
            return
        status = _ATTEMPT_OUTCOMES.get(event_type)
        if status is not None:
            self._attempt_event(event, status)

    def _execution_started(self, event: dict[str, Any]) -> None:
        attributes = event["workflowExecutionStartedEventAttributes"]
        workflow_input = _decode(attributes.get("input"))
        if not isinstance(workflow_input, dict):
            return
        for stage in workflow_input.get(RESUMED_KEY) or {}:
            self._status[stage] = "resumed"

    def _scheduled(self, event: dict[str, Any]) -> None:
        attributes = event["activityTaskScheduledEventAttributes"]
        type_name = attributes["activityType"]["name"]
        stage = self._definition.stage_for_activity_type(type_name)
        if stage is None:
            return
        self._stage_of_event[event["eventId"]] = stage.name
        self._status[stage.name] = "scheduled"
        self._attempts[stage.name] = self._attempts.get(stage.name, 0) + 1
        self._started.setdefault(stage.name, event["eventTimestamp"])

    def _attempt_event(self, event: dict[str, Any], status: str) -> None:
        attributes = next(v for k, v in event.items() if k.endswith("EventAttributes"))
        stage = self._stage_of_event.get(attributes.get("scheduledEventId"))
        if stage is None:
            return
        self._status[stage] = status
        if status == "completed":
            self._finished[stage] = event["eventTimestamp"]
            self.results[stage] = _decode(attributes.get("result"))

    def progress(self, stage: str) -> StageProgress:
        return StageProgress(
            stage=stage,
            status=self._status.get(stage, "waiting"),
            attempts=self._attempts.get(stage, 0),
            started_at=self._started.get(stage),
            finished_at=self._finished.get(stage),
        )


def stage_results(
    definition: WorkflowDefinition, events: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Return each completed stage's last result, decoded from JSON."""
    return _Tracker.replay(definition, events).results


def _decode(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text

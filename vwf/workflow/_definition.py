"""Workflows as data: stages, their order and their timeouts.

A :class:`WorkflowDefinition` is a DAG of :class:`Stage` values. The generic
decider runs any definition, so adding a stage only needs an edit of the
definition and an activity that implements it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from vwf.workflow.errors import DefinitionError

CHILD_POLICIES = ("TERMINATE", "REQUEST_CANCEL", "ABANDON")

# Characters SWF rejects in domain, type and task list names.
_FORBIDDEN_NAME_CHARACTERS = set(":/|")


@dataclass(frozen=True)
class Stage:
    """One activity of a workflow and the policy for running it.

    Timeouts of ``None`` mean no limit. After the k-th timeout of a stage the
    next attempt multiplies every timeout by ``timeout_retry_multipliers[k]``,
    so ``(1, 2, 4)`` allows two retries after timeouts. A busy stage (the
    activity raised ``TryLaterError``) is retried after ``busy_retry_delay``
    until ``busy_deadline`` after its first attempt, or until the execution
    times out when ``busy_deadline`` is ``None``.
    """

    name: str
    task_list: str
    prerequisites: tuple[str, ...] = ()
    schedule_to_start_timeout: timedelta | None = None
    start_to_close_timeout: timedelta | None = None
    schedule_to_close_timeout: timedelta | None = None
    heartbeat_timeout: timedelta | None = None
    failure_retries: int = 0
    timeout_retry_multipliers: tuple[float, ...] = (1.0,)
    heartbeats: bool = False
    """Whether the worker heartbeats from a background thread while the task runs."""
    busy_retry_delay: timedelta = timedelta(minutes=5)
    busy_deadline: timedelta | None = None
    version: str = "1"
    activity_type_name: str = ""
    """SWF activity type name; empty means the stage name."""

    def __post_init__(self) -> None:
        if not self.activity_type_name:
            object.__setattr__(self, "activity_type_name", self.name)
        object.__setattr__(self, "prerequisites", tuple(self.prerequisites))
        object.__setattr__(
            self, "timeout_retry_multipliers", tuple(self.timeout_retry_multipliers)
        )
        _check_name(f"stage name {self.name!r}", self.name)
        _check_name(f"task_list of stage {self.name!r}", self.task_list)
        for field_name, value in self.durations():
            _check_duration(f"{field_name} of stage {self.name!r}", value)
        _check_duration(
            f"busy_retry_delay of stage {self.name!r}", self.busy_retry_delay
        )
        _check_duration(f"busy_deadline of stage {self.name!r}", self.busy_deadline)
        self._check_retries()

    def durations(self) -> Iterator[tuple[str, timedelta | None]]:
        """Yield each activity timeout's field name and value."""
        for field_name in _ACTIVITY_TIMEOUTS:
            yield field_name, getattr(self, field_name)

    def timeouts_for(self, timeouts_so_far: int) -> dict[str, timedelta | None]:
        """Return the timeouts of the attempt that follows ``timeouts_so_far``
        timeouts, each multiplied by that attempt's factor."""
        factor = self.timeout_retry_multipliers[timeouts_so_far]
        return {
            field_name: None if value is None else value * factor
            for field_name, value in self.durations()
        }

    @property
    def timeout_retries(self) -> int:
        """Number of attempts allowed after timeouts."""
        return len(self.timeout_retry_multipliers) - 1

    def _check_retries(self) -> None:
        if self.failure_retries < 0:
            raise DefinitionError(
                f"failure_retries of stage {self.name!r} is {self.failure_retries}; "
                "use 0 or more"
            )
        if not self.timeout_retry_multipliers or any(
            factor < 1 for factor in self.timeout_retry_multipliers
        ):
            raise DefinitionError(
                f"timeout_retry_multipliers of stage {self.name!r} is "
                f"{self.timeout_retry_multipliers}; use one factor of 1 or more per "
                "attempt, e.g. (1, 2, 4)"
            )
        if self.heartbeats and self.heartbeat_timeout is None:
            raise DefinitionError(
                f"stage {self.name!r} has heartbeats=True but no heartbeat_timeout; "
                "set heartbeat_timeout or heartbeats=False"
            )


_ACTIVITY_TIMEOUTS = (
    "schedule_to_start_timeout",
    "start_to_close_timeout",
    "schedule_to_close_timeout",
    "heartbeat_timeout",
)


@dataclass(frozen=True)
class WorkflowDefinition:
    """A workflow type and the DAG of stages its decider runs.

    Stages run as soon as all their prerequisites completed, so stages
    without a path between them run in parallel.
    """

    name: str
    version: str
    domain: str
    decider_task_list: str
    execution_start_to_close_timeout: timedelta
    task_start_to_close_timeout: timedelta
    stages: tuple[Stage, ...]
    child_policy: str = "TERMINATE"

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        _check_name(f"workflow name {self.name!r}", self.name)
        _check_name(f"domain {self.domain!r}", self.domain)
        _check_name(
            f"decider_task_list {self.decider_task_list!r}", self.decider_task_list
        )
        for field_name in (
            "execution_start_to_close_timeout",
            "task_start_to_close_timeout",
        ):
            value = getattr(self, field_name)
            if value is None:
                raise DefinitionError(
                    f"{field_name} of workflow {self.name!r} is missing; "
                    "set a timedelta"
                )
            _check_duration(f"{field_name} of workflow {self.name!r}", value)
        if self.child_policy not in CHILD_POLICIES:
            raise DefinitionError(
                f"child_policy {self.child_policy!r} of workflow {self.name!r} is "
                f"invalid; use one of {CHILD_POLICIES}"
            )
        _check_graph(self.name, self.stages)

    def stage(self, name: str) -> Stage:
        """Return the stage called ``name``; raise ``KeyError`` when unknown."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def stage_for_activity_type(self, activity_type_name: str) -> Stage | None:
        """Return the stage whose activity type is ``activity_type_name``."""
        for stage in self.stages:
            if stage.activity_type_name == activity_type_name:
                return stage
        return None

    def for_deployment(self, deployment: str) -> WorkflowDefinition:
        """Return a copy whose type names and task lists end with the deployment's
        name, e.g. ``FaceDetectStaging`` for ``staging``, so that several
        deployments share one domain. An empty name returns ``self``."""
        if not deployment:
            return self
        if not deployment.isalnum():
            raise DefinitionError(
                f"invalid deployment {deployment!r}: use letters and digits only, "
                "e.g. staging"
            )
        suffix = deployment[:1].upper() + deployment[1:].lower()
        stages = tuple(
            dataclasses.replace(
                stage,
                task_list=stage.task_list + suffix,
                activity_type_name=stage.activity_type_name + suffix,
            )
            for stage in self.stages
        )
        return dataclasses.replace(
            self,
            name=self.name + suffix,
            decider_task_list=self.decider_task_list + suffix,
            stages=stages,
        )


def _check_name(label: str, value: str) -> None:
    if not value or len(value) > 256:
        raise DefinitionError(f"{label} is invalid: use 1 to 256 characters")
    if _FORBIDDEN_NAME_CHARACTERS & set(value) or not value.isprintable():
        raise DefinitionError(
            f"{label} is invalid: SWF names may not contain ':', '/', '|' or "
            "control characters"
        )


def _check_duration(label: str, value: timedelta | None) -> None:
    if value is None:
        return
    if value <= timedelta(0):
        raise DefinitionError(f"{label} is {value}; use a positive timedelta or None")
    if value.microseconds:
        raise DefinitionError(
            f"{label} is {value}; SWF counts whole seconds, so round it to seconds"
        )


def _check_graph(workflow: str, stages: tuple[Stage, ...]) -> None:
    if not stages:
        raise DefinitionError(f"workflow {workflow!r} has no stages; add at least one")
    by_name: dict[str, Stage] = {}
    for stage in stages:
        if stage.name in by_name:
            raise DefinitionError(
                f"stage name {stage.name!r} appears twice in workflow {workflow!r}; "
                "give each stage its own name"
            )
        by_name[stage.name] = stage
    for stage in stages:
        for prerequisite in stage.prerequisites:
            if prerequisite not in by_name:
                raise DefinitionError(
                    f"stage {stage.name!r} needs unknown stage {prerequisite!r}; "
                    f"use one of {sorted(by_name)}"
                )
    _check_acyclic(by_name)


def _check_acyclic(by_name: dict[str, Stage]) -> None:
    """Raise when the prerequisites form a cycle (depth-first search)."""
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            cycle = " -> ".join(path[path.index(name) :] + (name,))
            raise DefinitionError(
                f"stages form a cycle {cycle}; remove one of these prerequisites"
            )
        if name in done:
            return
        for prerequisite in by_name[name].prerequisites:
            visit(prerequisite, path + (name,))
        done.add(name)

    for name in by_name:
        visit(name, ())

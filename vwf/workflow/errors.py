"""Errors of the workflow framework.

Tree::

    VwfError
    +-- WorkflowError              any error of vwf.workflow
        +-- DefinitionError        a workflow definition is invalid
        +-- RegistrationError      a domain or type cannot be registered as defined
        |   +-- TypeConflictError  a type exists with other defaults
        +-- StageNotAvailableError a stage's implementation cannot be loaded
        +-- PayloadError           a payload reference cannot be stored or read
        +-- ActivityError          raised by an activity to steer its outcome
            +-- NonRetryableError  fail the task; the decider does not retry it
            +-- TryLaterError      the stage is busy; retry after a delay
            +-- ActivityCancelled  the task was cancelled; stop the work

An activity that raises any other exception fails its task as retryable.
"""

from __future__ import annotations

from datetime import timedelta

from vwf.errors import VwfError


class WorkflowError(VwfError):
    """Base class of the workflow framework's errors."""


class DefinitionError(WorkflowError):
    """A workflow definition is invalid; the message names the stage and the fix."""


class RegistrationError(WorkflowError):
    """A domain or type cannot be registered as the definition describes."""


class TypeConflictError(RegistrationError):
    """A workflow or activity type is registered with defaults other than ours."""


class StageNotAvailableError(WorkflowError):
    """The module or factory that implements a stage cannot be loaded."""


class PayloadError(WorkflowError):
    """A payload too large for SWF cannot be stored in or read from the blob store."""


class ActivityError(WorkflowError):
    """Base class of the exceptions an activity raises to choose its outcome."""


class NonRetryableError(ActivityError):
    """The task fails for good, e.g. on invalid input; the workflow fails."""


class TryLaterError(ActivityError):
    """The stage cannot run now (a resource is busy); the decider retries later.

    ``retry_after`` overrides the stage's ``busy_retry_delay`` when set. Busy
    retries use neither the failure nor the timeout retries of the stage.
    """

    def __init__(self, reason: str, retry_after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class ActivityCancelled(ActivityError):
    """The task was cancelled, timed out elsewhere, or the worker is shutting down."""

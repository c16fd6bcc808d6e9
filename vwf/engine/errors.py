"""Exceptions raised by the workflow engine.

Tree::

    VwfError
    +-- EngineError                      any engine failure
        +-- SwfFault                     an SWF fault returned to the caller
        |   +-- UnknownResourceFault
        |   +-- TypeAlreadyExistsFault
        |   +-- TypeDeprecatedFault
        |   +-- TypeNotDeprecatedFault
        |   +-- DomainAlreadyExistsFault
        |   +-- DomainDeprecatedFault
        |   +-- WorkflowExecutionAlreadyStartedFault
        |   +-- DefaultUndefinedFault
        |   +-- OperationNotPermittedFault
        |   +-- LimitExceededFault
        |   +-- TooManyTagsFault
        |   +-- ValidationException        a request breaks SWF's constraints
        |   +-- SerializationException     the request body is not valid JSON
        |   +-- UnknownOperationException  the operation name is not SWF's
        +-- StoreError                   the database is unusable (schema, URL)

Every :class:`SwfFault` carries ``fault_name``, the name SWF uses on the wire
and the name boto3 gives the matching ``client.exceptions`` class.
"""

from __future__ import annotations

from typing import ClassVar

from vwf.errors import VwfError

__all__ = [
    "DefaultUndefinedFault",
    "DomainAlreadyExistsFault",
    "DomainDeprecatedFault",
    "EngineError",
    "LimitExceededFault",
    "OperationNotPermittedFault",
    "SerializationException",
    "StoreError",
    "SwfFault",
    "TooManyTagsFault",
    "TypeAlreadyExistsFault",
    "TypeDeprecatedFault",
    "TypeNotDeprecatedFault",
    "UnknownOperationException",
    "UnknownResourceFault",
    "ValidationException",
    "WorkflowExecutionAlreadyStartedFault",
]

_SWF_FAULT_PREFIX = "com.amazonaws.swf.base.model#"
_CORAL_VALIDATE_PREFIX = "com.amazon.coral.validate#"
_CORAL_SERVICE_PREFIX = "com.amazon.coral.service#"


class EngineError(VwfError):
    """Base class of every error the engine raises."""


class StoreError(EngineError):
    """The database cannot be used: bad URL or an unknown schema version."""


class SwfFault(EngineError):
    """A fault that SWF itself would return for the request."""

    fault_name: ClassVar[str] = "SwfFault"
    type_prefix: ClassVar[str] = _SWF_FAULT_PREFIX

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def wire_type(self) -> str:
        """The ``__type`` member of the JSON error body."""
        return self.type_prefix + self.fault_name


class UnknownResourceFault(SwfFault):
    """The named domain, type, execution or task does not exist or is closed."""

    fault_name = "UnknownResourceFault"


class TypeAlreadyExistsFault(SwfFault):
    """The workflow or activity type is already registered (or not deprecated)."""

    fault_name = "TypeAlreadyExistsFault"


class TypeDeprecatedFault(SwfFault):
    """The workflow or activity type is deprecated."""

    fault_name = "TypeDeprecatedFault"


class TypeNotDeprecatedFault(SwfFault):
    """A type must be deprecated before it can be deleted."""

    fault_name = "TypeNotDeprecatedFault"


class DomainAlreadyExistsFault(SwfFault):
    """The domain is already registered (or not deprecated)."""

    fault_name = "DomainAlreadyExistsFault"


class DomainDeprecatedFault(SwfFault):
    """The domain is deprecated."""

    fault_name = "DomainDeprecatedFault"


class WorkflowExecutionAlreadyStartedFault(SwfFault):
    """An open execution with the same workflowId exists in the domain."""

    fault_name = "WorkflowExecutionAlreadyStartedFault"


class DefaultUndefinedFault(SwfFault):
    """A value is missing from both the request and the registered type."""

    fault_name = "DefaultUndefinedFault"


class OperationNotPermittedFault(SwfFault):
    """The operation is not available on this engine."""

    fault_name = "OperationNotPermittedFault"


class LimitExceededFault(SwfFault):
    """A per-domain or per-execution limit was reached."""

    fault_name = "LimitExceededFault"


class TooManyTagsFault(SwfFault):
    """More resource tags than SWF allows."""

    fault_name = "TooManyTagsFault"


class ValidationException(SwfFault):
    """A request member breaks SWF's constraints; the message names the member."""

    fault_name = "ValidationException"
    type_prefix = _CORAL_VALIDATE_PREFIX


class SerializationException(SwfFault):
    """The request body is not a JSON object."""

    fault_name = "SerializationException"
    type_prefix = _CORAL_SERVICE_PREFIX


class UnknownOperationException(SwfFault):
    """The X-Amz-Target names no SWF operation."""

    fault_name = "UnknownOperationException"
    type_prefix = _CORAL_SERVICE_PREFIX

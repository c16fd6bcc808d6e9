"""Registration of a definition's domain, workflow type and activity types."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from vwf.workflow._definition import Stage, WorkflowDefinition
from vwf.workflow._wire import duration_to_swf
from vwf.workflow.errors import RegistrationError, TypeConflictError

logger = logging.getLogger(__name__)

# SWF keeps closed executions for at most 90 days.
MAX_RETENTION_DAYS = 90


def register(
    client: Any,
    definition: WorkflowDefinition,
    retention: timedelta | Literal["NONE"],
) -> None:
    """Register the domain, the workflow type and every activity type of
    ``definition``.

    Registering again is harmless. A type that already exists with other
    defaults raises :class:`TypeConflictError`, because SWF cannot change a
    registered type; bump the version in the definition instead.
    ``retention`` is how long SWF keeps closed executions, in whole days.
    """
    _register_domain(client, definition.domain, _retention_to_swf(retention))
    _register_type(
        client,
        kind="workflow",
        domain=definition.domain,
        name=definition.name,
        version=definition.version,
        defaults=_workflow_defaults(definition),
    )
    for stage in definition.stages:
        _register_type(
            client,
            kind="activity",
            domain=definition.domain,
            name=stage.activity_type_name,
            version=stage.version,
            defaults=_activity_defaults(stage),
        )


def _retention_to_swf(retention: timedelta | Literal["NONE"]) -> str:
    if retention == "NONE":
        return "NONE"
    if not isinstance(retention, timedelta):
        raise RegistrationError(
            f"retention {retention!r} is invalid; use a timedelta of whole days "
            'or "NONE"'
        )
    days, rest = divmod(retention, timedelta(days=1))
    if rest or not 0 <= days <= MAX_RETENTION_DAYS:
        raise RegistrationError(
            f"retention {retention} is invalid; use whole days from 0 to "
            f"{MAX_RETENTION_DAYS}"
        )
    return str(days)


def _register_domain(client: Any, domain: str, retention: str) -> None:
    try:
        client.register_domain(
            name=domain, workflowExecutionRetentionPeriodInDays=retention
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "DomainAlreadyExistsFault":
            raise RegistrationError(
                f"cannot register domain {domain!r}: {exc}"
            ) from exc
        _warn_on_other_retention(client, domain, retention)
        return
    logger.info("registered domain %s (retention %s days)", domain, retention)


def _warn_on_other_retention(client: Any, domain: str, retention: str) -> None:
    described = client.describe_domain(name=domain)
    existing = described["configuration"]["workflowExecutionRetentionPeriodInDays"]
    if existing != retention:
        # SWF cannot change a domain's retention after registration.
        logger.warning(
            "domain %s exists with retention %s days, not %s; SWF keeps the "
            "existing value",
            domain,
            existing,
            retention,
        )


def _workflow_defaults(definition: WorkflowDefinition) -> dict[str, Any]:
    return {
        "defaultTaskList": {"name": definition.decider_task_list},
        "defaultExecutionStartToCloseTimeout": duration_to_swf(
            definition.execution_start_to_close_timeout
        ),
        "defaultTaskStartToCloseTimeout": duration_to_swf(
            definition.task_start_to_close_timeout
        ),
        "defaultChildPolicy": definition.child_policy,
    }


# Stage field -> the activity type default it sets.
_ACTIVITY_DEFAULT_KEYS = {
    "schedule_to_start_timeout": "defaultTaskScheduleToStartTimeout",
    "start_to_close_timeout": "defaultTaskStartToCloseTimeout",
    "schedule_to_close_timeout": "defaultTaskScheduleToCloseTimeout",
    "heartbeat_timeout": "defaultTaskHeartbeatTimeout",
}


def _activity_defaults(stage: Stage) -> dict[str, Any]:
    """Return the defaults the stage sets; a timeout of ``None`` sends nothing."""
    defaults: dict[str, Any] = {"defaultTaskList": {"name": stage.task_list}}
    for field_name, value in stage.durations():
        if value is not None:
            defaults[_ACTIVITY_DEFAULT_KEYS[field_name]] = duration_to_swf(value)
    return defaults


def _register_type(
    client: Any, *, kind: str, domain: str, name: str, version: str, defaults: dict
) -> None:
    register_call = getattr(client, f"register_{kind}_type")
    try:
        register_call(domain=domain, name=name, version=version, **defaults)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TypeAlreadyExistsFault":
            raise RegistrationError(
                f"cannot register {kind} type {name} version {version}: {exc}"
            ) from exc
        _check_existing_type(client, kind, domain, name, version, defaults)
        logger.debug("%s type %s version %s already registered", kind, name, version)
        return
    logger.info("registered %s type %s version %s", kind, name, version)


def _check_existing_type(
    client: Any, kind: str, domain: str, name: str, version: str, defaults: dict
) -> None:
    describe_call = getattr(client, f"describe_{kind}_type")
    type_key = f"{kind}Type"
    described = describe_call(
        domain=domain, **{type_key: {"name": name, "version": version}}
    )
    if described["typeInfo"]["status"] != "REGISTERED":
        raise TypeConflictError(
            f"{kind} type {name} version {version} is deprecated in domain {domain}; "
            "bump the version in the workflow definition"
        )
    configuration = described["configuration"]
    differences = [
        f"{key}: registered {configuration.get(key)!r}, defined {defaults.get(key)!r}"
        for key in sorted(set(defaults) | _default_keys(configuration))
        if configuration.get(key) != defaults.get(key)
    ]
    if differences:
        raise TypeConflictError(
            f"{kind} type {name} version {version} exists in domain {domain} with "
            f"other defaults ({'; '.join(differences)}); bump the version in the "
            "workflow definition to register the new defaults"
        )


def _default_keys(configuration: dict[str, Any]) -> set[str]:
    # Only the defaults this module sends; SWF also returns e.g. defaultTaskPriority.
    known = {
        "defaultTaskList",
        "defaultChildPolicy",
        "defaultExecutionStartToCloseTimeout",
    }
    known |= set(_ACTIVITY_DEFAULT_KEYS.values())
    return {key for key in configuration if key in known}

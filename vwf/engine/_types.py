"""Workflow and activity type operations.

Both kinds share one implementation, parametrised by a :class:`TypeKind`:
register, describe, list, deprecate, undeprecate and delete (which SWF allows
only for a deprecated type).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from vwf.engine import _schema as t
from vwf.engine._domains import (
    DEPRECATED,
    REGISTERED,
    get_domain,
    get_registered_domain,
)
from vwf.engine._pagination import keyset_page
from vwf.engine._services import Services
from vwf.engine._sql import Prepared
from vwf.engine._store import Tx
from vwf.engine.errors import (
    TypeAlreadyExistsFault,
    TypeDeprecatedFault,
    TypeNotDeprecatedFault,
    UnknownResourceFault,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TypeKind:
    """The table, member names and defaults of workflow or activity types."""

    label: str  # "Workflow" or "Activity", as in SWF's operation names
    table: Table
    member: str  # request and response member naming the type
    defaults: tuple[str, ...]  # default* members of the registration

    @functools.cached_property
    def find(self) -> Prepared:
        """The status and configuration of one type, by domain, name and version."""
        columns = self.table.c
        return Prepared(
            select(columns.status, columns.configuration).where(
                columns.domain == bindparam("domain"),
                columns.name == bindparam("name"),
                columns.version == bindparam("version"),
            )
        )


WORKFLOW = TypeKind(
    label="Workflow",
    table=t.workflow_types,
    member="workflowType",
    defaults=(
        "defaultTaskStartToCloseTimeout",
        "defaultExecutionStartToCloseTimeout",
        "defaultTaskList",
        "defaultTaskPriority",
        "defaultChildPolicy",
        "defaultLambdaRole",
    ),
)
ACTIVITY = TypeKind(
    label="Activity",
    table=t.activity_types,
    member="activityType",
    defaults=(
        "defaultTaskStartToCloseTimeout",
        "defaultTaskHeartbeatTimeout",
        "defaultTaskList",
        "defaultTaskPriority",
        "defaultTaskScheduleToStartTimeout",
        "defaultTaskScheduleToCloseTimeout",
    ),
)


@dataclass(frozen=True)
class RegisteredType:
    """A type's registration status and its default configuration."""

    status: str
    configuration: dict[str, Any]


def find_type(
    conn: Connection | Tx, kind: TypeKind, domain: str, name: str, version: str
) -> RegisteredType | None:
    """Return the type, or ``None`` when it is not registered."""
    row = kind.find.first(conn, domain=domain, name=name, version=version)
    if row is None:
        return None
    return RegisteredType(row.status, json.loads(row.configuration))


def _get_row(conn: Connection | Tx, kind: TypeKind, domain: str, type_: dict) -> Row:
    get_domain(conn, domain)
    columns = kind.table.c
    row = conn.execute(
        select(kind.table).where(
            columns.domain == domain,
            columns.name == type_["name"],
            columns.version == type_["version"],
        )
    ).one_or_none()
    if row is None:
        raise UnknownResourceFault(
            f"Unknown type: {kind.label}Type=[name={type_['name']}, "
            f"version={type_['version']}] in domain {domain}; register it first"
        )
    return row


def register(kind: TypeKind, services: Services, request: dict) -> dict:
    domain, name, version = request["domain"], request["name"], request["version"]
    configuration = {k: request[k] for k in kind.defaults if request.get(k) is not None}

    def work(tx: Tx) -> None:
        get_registered_domain(tx, domain)
        if find_type(tx, kind, domain, name, version) is not None:
            raise TypeAlreadyExistsFault(
                f"{kind.label}Type=[name={name}, version={version}] is already "
                f"registered in domain {domain}; register a new version instead"
            )
        tx.execute(
            insert(kind.table),
            {
                "domain": domain,
                "name": name,
                "version": version,
                "status": REGISTERED,
                "description": request.get("description"),
                "created_at": services.now(),
                "configuration": json.dumps(configuration),
            },
        )

    services.store.write(work)
    logger.info("registered %s type %s %s in %s", kind.label, name, version, domain)
    return {}


def describe(kind: TypeKind, services: Services, request: dict) -> dict:
    row = services.store.read(
        lambda conn: _get_row(conn, kind, request["domain"], request[kind.member])
    )
    return {
        "typeInfo": _type_info(kind, row),
        "configuration": json.loads(row.configuration),
    }


def list_types(kind: TypeKind, services: Services, request: dict) -> dict:
    columns = kind.table.c
    query = select(kind.table).where(
        columns.domain == request["domain"],
        columns.status == request["registrationStatus"],
    )
    if request.get("name"):
        query = query.where(columns.name == request["name"])

    def page(conn: Connection) -> tuple[list[Row], str | None]:
        get_domain(conn, request["domain"])
        return keyset_page(
            conn,
            query,
            [columns.name, columns.version],
            request,
            f"List{kind.label}Types",
            maximum=services.settings.max_page_size,
            descending=False,
        )

    rows, token = services.store.read(page)
    response: dict[str, Any] = {"typeInfos": [_type_info(kind, row) for row in rows]}
    if token:
        response["nextPageToken"] = token
    return response


def deprecate(kind: TypeKind, services: Services, request: dict) -> dict:
    def work(tx: Tx) -> None:
        row = _get_row(tx, kind, request["domain"], request[kind.member])
        if row.status == DEPRECATED:
            raise TypeDeprecatedFault(f"{_describe(kind, row)} is already deprecated")
        _update(tx, kind, row, status=DEPRECATED, deprecated_at=services.now())

    services.store.write(work)
    return {}


def undeprecate(kind: TypeKind, services: Services, request: dict) -> dict:
    def work(tx: Tx) -> None:
        row = _get_row(tx, kind, request["domain"], request[kind.member])
        if row.status == REGISTERED:
            raise TypeAlreadyExistsFault(f"{_describe(kind, row)} is not deprecated")
        _update(tx, kind, row, status=REGISTERED, deprecated_at=None)

    services.store.write(work)
    return {}


def delete_type(kind: TypeKind, services: Services, request: dict) -> dict:
    def work(tx: Tx) -> None:
        row = _get_row(tx, kind, request["domain"], request[kind.member])
        if row.status != DEPRECATED:
            raise TypeNotDeprecatedFault(
                f"{_describe(kind, row)} is not deprecated; deprecate it before "
                "deleting it"
            )
        tx.execute(delete(kind.table).where(*_key(kind, row)))

    services.store.write(work)
    return {}


def _update(tx: Tx, kind: TypeKind, row: Row, **values: Any) -> None:
    tx.execute(update(kind.table).where(*_key(kind, row)).values(**values))


def _key(kind: TypeKind, row: Row) -> list:
    columns = kind.table.c
    return [
        columns.domain == row.domain,
        columns.name == row.name,
        columns.version == row.version,
    ]


def _describe(kind: TypeKind, row: Row) -> str:
    return f"{kind.label}Type=[name={row.name}, version={row.version}]"


def _type_info(kind: TypeKind, row: Row) -> dict[str, Any]:
    info: dict[str, Any] = {
        kind.member: {"name": row.name, "version": row.version},
        "status": row.status,
        "creationDate": row.created_at,
    }
    if row.description is not None:
        info["description"] = row.description
    if row.deprecated_at is not None:
        info["deprecationDate"] = row.deprecated_at
    return info


def _operations(kind: TypeKind) -> dict[str, Callable[[Services, dict], dict]]:
    label = kind.label
    return {
        f"Register{label}Type": partial(register, kind),
        f"Describe{label}Type": partial(describe, kind),
        f"List{label}Types": partial(list_types, kind),
        f"Deprecate{label}Type": partial(deprecate, kind),
        f"Undeprecate{label}Type": partial(undeprecate, kind),
        f"Delete{label}Type": partial(delete_type, kind),
    }


OPERATIONS = {**_operations(WORKFLOW), **_operations(ACTIVITY)}

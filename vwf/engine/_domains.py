"""Domain operations: register, describe, list, deprecate, undeprecate."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from vwf.engine import _schema as t
from vwf.engine._pagination import keyset_page
from vwf.engine._services import Services
from vwf.engine._sql import Prepared
from vwf.engine._store import Tx
from vwf.engine.errors import (
    DomainAlreadyExistsFault,
    DomainDeprecatedFault,
    UnknownResourceFault,
)

logger = logging.getLogger(__name__)

REGISTERED = "REGISTERED"
DEPRECATED = "DEPRECATED"
_ARN_PREFIX = "arn:aws:swf:local:000000000000:/domain/"


_SELECT_DOMAIN = Prepared(
    select(t.domains).where(t.domains.c.name == bindparam("name"))
)


def get_domain(conn: Connection | Tx, name: str) -> Row:
    """Return the domain row, or raise :class:`UnknownResourceFault`."""
    row = _SELECT_DOMAIN.first(conn, name=name)
    if row is None:
        raise UnknownResourceFault(
            f"Unknown domain: {name}; register it with RegisterDomain first"
        )
    return row


def get_registered_domain(conn: Connection | Tx, name: str) -> Row:
    """Return the domain row if it is not deprecated."""
    row = get_domain(conn, name)
    if row.status == DEPRECATED:
        raise DomainDeprecatedFault(
            f"domain {name} is deprecated; undeprecate it with UndeprecateDomain"
        )
    return row


def register_domain(services: Services, request: dict[str, Any]) -> dict[str, Any]:
    name = request["name"]
    values = {
        "name": name,
        "description": request.get("description"),
        "retention_days": request["workflowExecutionRetentionPeriodInDays"],
        "status": REGISTERED,
        "created_at": services.now(),
    }

    def register(tx: Tx) -> None:
        if tx.execute(select(t.domains.c.name).where(t.domains.c.name == name)).first():
            raise DomainAlreadyExistsFault(f"domain {name} is already registered")
        tx.execute(insert(t.domains), values)

    try:
        services.store.write(register)
    except IntegrityError as exc:
        raise DomainAlreadyExistsFault(f"domain {name} is already registered") from exc
    logger.info("registered domain %s", name)
    return {}


def describe_domain(services: Services, request: dict[str, Any]) -> dict[str, Any]:
    row = services.store.read(lambda conn: get_domain(conn, request["name"]))
    return {
        "domainInfo": _domain_info(row),
        "configuration": {"workflowExecutionRetentionPeriodInDays": row.retention_days},
    }


def list_domains(services: Services, request: dict[str, Any]) -> dict[str, Any]:
    query = select(t.domains).where(t.domains.c.status == request["registrationStatus"])

    def page(conn: Connection) -> tuple[list[Row], str | None]:
        return keyset_page(
            conn,
            query,
            [t.domains.c.name],
            request,
            "ListDomains",
            maximum=services.settings.max_page_size,
            descending=False,
        )

    rows, token = services.store.read(page)
    response: dict[str, Any] = {"domainInfos": [_domain_info(row) for row in rows]}
    if token:
        response["nextPageToken"] = token
    return response


def deprecate_domain(services: Services, request: dict[str, Any]) -> dict[str, Any]:
    name = request["name"]

    def deprecate(tx: Tx) -> None:
        if get_domain(tx, name).status == DEPRECATED:
            raise DomainDeprecatedFault(f"domain {name} is already deprecated")
        _set_status(tx, name, DEPRECATED)

    services.store.write(deprecate)
    logger.info("deprecated domain %s", name)
    return {}


def undeprecate_domain(services: Services, request: dict[str, Any]) -> dict[str, Any]:
    name = request["name"]

    def undeprecate(tx: Tx) -> None:
        if get_domain(tx, name).status == REGISTERED:
            raise DomainAlreadyExistsFault(f"domain {name} is not deprecated")
        _set_status(tx, name, REGISTERED)

    services.store.write(undeprecate)
    logger.info("undeprecated domain %s", name)
    return {}


def _set_status(tx: Tx, name: str, status: str) -> None:
    tx.execute(update(t.domains).where(t.domains.c.name == name).values(status=status))


def _domain_info(row: Row) -> dict[str, Any]:
    info = {"name": row.name, "status": row.status, "arn": _ARN_PREFIX + row.name}
    if row.description is not None:
        info["description"] = row.description
    return info


OPERATIONS = {
    "RegisterDomain": register_domain,
    "DescribeDomain": describe_domain,
    "ListDomains": list_domains,
    "DeprecateDomain": deprecate_domain,
    "UndeprecateDomain": undeprecate_domain,
}

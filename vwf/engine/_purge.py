"""Deleting closed executions past their domain's retention period.

A retention of "NONE" or 0 days keeps no closed execution: it is deleted at
the next purge after it closes, as SWF documents for those values.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from vwf.engine import _schema as t
from vwf.engine._durations import NONE
from vwf.engine._services import Services

logger = logging.getLogger(__name__)

_BATCH = 500
_DAY_SECONDS = 86_400


def purge_expired(services: Services) -> int:
    """Delete every expired closed execution with its history; return the count."""
    domains = services.store.read(
        lambda conn: list(
            conn.execute(select(t.domains.c.name, t.domains.c.retention_days))
        )
    )
    purged = 0
    for name, retention in domains:
        days = 0 if retention == NONE else int(retention)
        cutoff = services.now() - days * _DAY_SECONDS
        purged += _purge_domain(services, name, cutoff)
    if purged:
        logger.info("purged %d closed executions past retention", purged)
    return purged


def _purge_domain(services: Services, domain: str, cutoff: float) -> int:
    columns = t.executions.c
    expired = (
        select(columns.pk)
        .where(
            columns.domain == domain,
            columns.is_open.is_(False),
            columns.closed_at <= cutoff,
        )
        .limit(_BATCH)
    )
    purged = 0
    while True:

        def work(tx) -> int:
            pks = list(tx.execute(expired).scalars())
            if pks:
                tx.execute(delete(t.executions).where(columns.pk.in_(pks)))
            return len(pks)

        count = services.store.write(work)
        purged += count
        if count < _BATCH:
            return purged

"""Prepared statements on SQLite and PostgreSQL: binding, rows, errors, locks."""

from __future__ import annotations

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.dialects.sqlite import pysqlite
from sqlalchemy.exc import IntegrityError

from vwf.engine import _schema as t
from vwf.engine._sql import LOCK_ROW, LOCK_SKIP_LOCKED, Prepared
from vwf.engine._store import Store, Tx

_domains = t.domains.c
INSERT_DOMAIN = Prepared(
    insert(t.domains),
    columns=("name", "description", "retention_days", "status", "created_at"),
)
REGISTERED_DOMAIN = Prepared(
    select(t.domains).where(
        _domains.name == bindparam("name"), _domains.status == "REGISTERED"
    )
)
DEPRECATE = Prepared(
    update(t.domains)
    .where(_domains.name == bindparam("key_name"))
    .values(status="DEPRECATED")
)
# A table of the tests' own, with a Boolean column that SQLite stores as 0 or 1.
FLAGS = Table(
    "test_flags",
    MetaData(),
    Column("pk", Integer, primary_key=True),
    Column("enabled", Boolean, nullable=False),
)
INSERT_FLAG = Prepared(insert(FLAGS).returning(FLAGS.c.pk), columns=("enabled",))
SELECT_FLAG = Prepared(select(FLAGS.c.enabled).where(FLAGS.c.pk == bindparam("pk")))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'engine.db'}"
    store = Store(url)
    yield store
    store.close()


def _add_domain(tx: Tx, name: str) -> int:
    return INSERT_DOMAIN.run(
        tx,
        name=name,
        description=None,
        retention_days="1",
        status="REGISTERED",
        created_at=1.5,
    )


def test_rows_carry_column_names_and_literals_bind(store):
    def work(tx: Tx):
        _add_domain(tx, "photos")
        return REGISTERED_DOMAIN.rows(tx, name="photos")

    rows = store.write(work)

    assert [(row.name, row.retention_days, row.created_at) for row in rows] == [
        ("photos", "1", 1.5)
    ]


def test_first_and_scalar_return_none_without_rows(store):
    def work(tx: Tx):
        return REGISTERED_DOMAIN.first(tx, name="none"), REGISTERED_DOMAIN.scalar(
            tx, name="none"
        )

    assert store.write(work) == (None, None)


def test_run_returns_the_affected_row_count(store):
    def work(tx: Tx):
        _add_domain(tx, "photos")
        changed = DEPRECATE.run(tx, key_name="photos")
        unchanged = DEPRECATE.run(tx, key_name="none")
        return changed, unchanged, REGISTERED_DOMAIN.first(tx, name="photos")

    assert store.write(work) == (1, 0, None)


def test_booleans_read_as_bool(store):
    FLAGS.metadata.create_all(store.engine)

    def work(tx: Tx):
        pk = INSERT_FLAG.scalar(tx, enabled=True)
        return pk, SELECT_FLAG.first(tx, pk=pk)

    pk, row = store.write(work)

    assert isinstance(pk, int)
    assert row.enabled is True


def test_driver_errors_raise_sqlalchemy_errors_and_roll_back(store):
    store.write(lambda tx: _add_domain(tx, "photos"))

    def work(tx: Tx):
        _add_domain(tx, "videos")
        _add_domain(tx, "photos")

    with pytest.raises(IntegrityError):
        store.write(work)

    assert store.write(lambda tx: REGISTERED_DOMAIN.first(tx, name="videos")) is None


@pytest.mark.parametrize(
    ("lock", "clause"),
    [(LOCK_ROW, "FOR UPDATE"), (LOCK_SKIP_LOCKED, "FOR UPDATE SKIP LOCKED")],
)
def test_locks_render_on_postgresql_only(lock, clause):
    statement = Prepared(
        select(t.domains).where(_domains.name == bindparam("name")), lock=lock
    )

    postgres_sql = statement._for(psycopg.dialect()).sql
    sqlite_sql = statement._for(pysqlite.dialect()).sql

    assert postgres_sql.endswith(clause)
    assert "FOR UPDATE" not in sqlite_sql

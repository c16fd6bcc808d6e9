"""Database access: transactions, retries and the SQLite/PostgreSQL differences.

SQLite runs in WAL mode with ``synchronous=NORMAL``: in WAL mode a committed
transaction survives a crash of the process (only an operating system crash or
power loss can drop the last commits), which is the durability the engine
promises. Writers start with ``BEGIN IMMEDIATE`` so concurrent writers, also in
other processes, serialise on the database lock instead of failing at commit.
Inside one process a lock queues them first, which is cheaper than SQLite's
busy-wait. PostgreSQL uses row locks (``SELECT ... FOR UPDATE``) on the
execution row, so work on different executions runs in parallel; a deadlock
or serialization failure is retried.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from vwf.engine import _schema
from vwf.engine._sql import execute_on_driver
from vwf.engine.errors import StoreError

logger = logging.getLogger(__name__)

T = TypeVar("T")

_BUSY_TIMEOUT_MS = 30_000
_MAX_ATTEMPTS = 5
# Rounds of before-commit hooks in one transaction. Each round lets the runs
# changed by the previous one write, and a parent and child chain is short.
_MAX_SETTLE_ROUNDS = 100
# PostgreSQL SQLSTATEs worth retrying: serialization failure and deadlock.
_RETRY_SQLSTATES = {"40001", "40P01"}


class Tx:
    """One open write transaction and the work to run around its commit."""

    def __init__(self, conn: Connection, store: Store) -> None:
        self.conn = conn
        self.store = store
        # Executions loaded in this transaction, by primary key, so every
        # change to one execution goes through one object.
        self.runs: dict[int, Any] = {}
        # Hooks return whether they wrote anything. They run until none does,
        # because one execution's final writes may change another's.
        self.before_commit: list[Callable[[], bool]] = []
        self.after_commit: list[Callable[[], None]] = []

    def execute(self, statement: Any, *args: Any) -> sqlalchemy.CursorResult:
        """Run a Core statement built for this call.

        Hot paths use :class:`~vwf.engine._sql.Prepared` statements instead,
        which skip SQLAlchemy's per-call statement work.
        """
        return self.conn.execute(statement, *args)


class Store:
    """The engine's database: one SQLAlchemy engine and its schema."""

    def __init__(self, url: str) -> None:
        try:
            parsed = sqlalchemy.engine.make_url(url)
        except ArgumentError as exc:
            raise StoreError(
                f"invalid engine database URL {url!r}: use "
                "sqlite:///path/engine.db or postgresql+psycopg://user@host/db"
            ) from exc
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise StoreError(
                f"engine database URL {url!r} uses {backend}; the engine supports "
                "sqlite:/// and postgresql+psycopg:// URLs"
            )
        self.is_sqlite = backend == "sqlite"
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self.engine = self._create_engine(parsed)
        self._create_schema()

    def _create_engine(self, url: sqlalchemy.URL) -> sqlalchemy.Engine:
        if self.is_sqlite:
            engine = sqlalchemy.create_engine(url, pool_size=10, max_overflow=40)
            event.listen(engine, "connect", _configure_sqlite)
            event.listen(engine, "begin", _begin_sqlite)
            return engine
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return sqlalchemy.create_engine(url, pool_size=10, max_overflow=40)

    def _create_schema(self) -> None:
        def create(tx: Tx) -> None:
            _schema.metadata.create_all(tx.conn)
            found = tx.execute(select(_schema.engine_schema.c.version)).scalars()
            versions = list(found)
            if not versions:
                tx.execute(
                    _schema.engine_schema.insert(), {"version": _schema.SCHEMA_VERSION}
                )
            elif versions != [_schema.SCHEMA_VERSION]:
                raise StoreError(
                    f"engine database has schema version {versions}, this vwf "
                    f"expects {_schema.SCHEMA_VERSION}: use a new database file"
                )

        try:
            self.write(create)
        except OperationalError as exc:
            raise StoreError(
                f"cannot open the engine database {self.engine.url!r}: {exc.orig}"
            ) from exc

    def write(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in a write transaction, retrying transient conflicts.

        ``work`` may run more than once, so it must not have effects outside
        the transaction except through ``tx.after_commit``.
        """
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                return self._write_once(work)
            except DBAPIError as exc:
                if attempt == _MAX_ATTEMPTS or not self._is_transient(exc):
                    raise
                logger.info("retrying a write after a conflict: %s", exc.orig)
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    def _write_once(self, work: Callable[[Tx], T]) -> T:
        with self._serialised(), self.engine.connect() as conn:
            conn = conn.execution_options(vwf_write=True)
            with conn.begin():
                tx = Tx(conn, self)
                result = work(tx)
                _run_until_settled(tx.before_commit)
        for callback in tx.after_commit:
            callback()
        return result

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a read-only transaction."""
        with self.engine.connect() as conn, conn.begin():
            return work(conn)

    @contextlib.contextmanager
    def _serialised(self) -> Iterator[None]:
        if self._write_lock is None:
            yield
            return
        with self._write_lock:
            yield

    def _is_transient(self, exc: DBAPIError) -> bool:
        if self.is_sqlite:
            return "locked" in str(exc.orig) or "busy" in str(exc.orig)
        return getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES

    def close(self) -> None:
        self.engine.dispose()


def _run_until_settled(hooks: list[Callable[[], bool]]) -> None:
    for _ in range(_MAX_SETTLE_ROUNDS):
        if not any([hook() for hook in list(hooks)]):
            return
    # Hooks that keep writing are a bug; failing the transaction beats spinning.
    raise RuntimeError(
        f"before-commit hooks still wrote after {_MAX_SETTLE_ROUNDS} rounds; "
        "the transaction is rolled back"
    )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN instead of the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable against a crash of the process in WAL mode.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite(conn: Connection) -> None:
    # The driver's own execute: going through SQLAlchemy here would cost more
    # than the BEGIN itself.
    immediate = conn.get_execution_options().get("vwf_write")
    execute_on_driver(conn, "BEGIN IMMEDIATE" if immediate else "BEGIN")

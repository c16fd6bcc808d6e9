"""Statements compiled once per database dialect and run on the driver's cursor.

The engine's hot paths (polls, starts, responds) run a dozen statements per
call. Building a SQLAlchemy Core statement, computing its cache key and
setting up an execution context cost several times more than SQLite needs to
run it. A :class:`Prepared` statement is built once at import, compiled on
first use for the dialect at hand, and then executed with the DB-API
connection of the current SQLAlchemy transaction. Statements stay written in
SQLAlchemy Core, so the SQL follows the schema and each dialect's rules
(parameter style, ``FOR UPDATE``, ``RETURNING``).

Bound values must be plain ``int``, ``float``, ``str``, ``bool`` or ``None``:
no bind processors run. On SQLite, result values go through the column
types' result processors, so a ``Boolean`` column reads as ``bool`` as it does
from psycopg.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

if TYPE_CHECKING:
    from vwf.engine._store import Tx

# Row lock to add on dialects that lock rows (PostgreSQL); SQLite locks the
# whole database when the write transaction begins.
LOCK_ROW = "row"
LOCK_SKIP_LOCKED = "skip_locked"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Parameter names in order for positional styles (SQLite's "?"), else None.
    order: tuple[str, ...] | None
    # Values of the literals written into the statement, by parameter name.
    literals: dict[str, Any]
    row: Callable[[Sequence[Any]], Any] | None


class Prepared:
    """One SQL statement, compiled lazily for each dialect it runs on.

    ``columns`` names the columns an ``INSERT`` or ``UPDATE`` sets; each is
    bound by its own name. ``lock`` adds ``FOR UPDATE`` (:data:`LOCK_ROW`) or
    ``FOR UPDATE SKIP LOCKED`` (:data:`LOCK_SKIP_LOCKED`) where the dialect
    supports row locks.
    """

    def __init__(
        self,
        statement: ClauseElement,
        *,
        columns: Sequence[str] = (),
        lock: str | None = None,
    ) -> None:
        self._statement = statement
        self._columns = list(columns)
        self._lock = lock
        self._compiled: dict[str, _Compiled] = {}
        self._compile_lock = threading.Lock()

    def rows(self, conn: Connection | Tx, **params: Any) -> list[Any]:
        """Run the statement and return every row as a named tuple."""
        compiled, cursor = self._execute(conn, params)
        return [compiled.row(values) for values in cursor.fetchall()]

    def first(self, conn: Connection | Tx, **params: Any) -> Any | None:
        """Run the statement and return its first row, or ``None``."""
        compiled, cursor = self._execute(conn, params)
        values = cursor.fetchone()
        return None if values is None else compiled.row(values)

    def scalar(self, conn: Connection | Tx, **params: Any) -> Any | None:
        """Run the statement and return the first column of its first row."""
        row = self.first(conn, **params)
        return None if row is None else row[0]

    def run(self, conn: Connection | Tx, **params: Any) -> int:
        """Run a statement that returns no rows; return the affected row count."""
        _, cursor = self._execute(conn, params)
        return cursor.rowcount

    def _execute(self, conn: Connection | Tx, params: dict[str, Any]) -> tuple:
        sa_conn = conn if isinstance(conn, Connection) else conn.conn
        compiled = self._for(sa_conn.dialect)
        if compiled.literals:
            params = {**compiled.literals, **params}
        if compiled.order is not None:
            bound: Any = tuple([params[name] for name in compiled.order])
        else:
            bound = params
        return compiled, execute_on_driver(sa_conn, compiled.sql, bound)

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            with self._compile_lock:
                compiled = self._compiled.get(dialect.name)
                if compiled is None:
                    compiled = self._compile(dialect)
                    self._compiled[dialect.name] = compiled
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        statement = self._statement
        if self._lock is not None and dialect.name != "sqlite":
            skip = self._lock == LOCK_SKIP_LOCKED
            statement = statement.with_for_update(skip_locked=skip)
        compiled = statement.compile(dialect=dialect, column_keys=self._columns or None)
        order = tuple(compiled.positiontup) if compiled.positional else None
        sql = str(compiled)
        used = set(order) if order is not None else _named_parameters(sql, compiled)
        literals = {
            name: bind.value
            for name, bind in compiled.binds.items()
            if name in used and not bind.required and name not in self._columns
        }
        row = _row_maker(statement, dialect)
        return _Compiled(sql, order, literals, row)


def execute_on_driver(conn: Connection, sql: str, params: Any = ()) -> Any:
    """Execute ``sql`` on the DB-API connection under ``conn``; return the cursor.

    A driver error is raised as the error SQLAlchemy would raise, so callers
    and the store's retries see IntegrityError, OperationalError and so on.
    """
    cursor = conn.connection.dbapi_connection.cursor()
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        cursor.execute(sql, params)
    except driver_error as exc:
        raise DBAPIError.instance(sql, params, exc, driver_error) from exc
    return cursor


def _named_parameters(sql: str, compiled: Any) -> set[str]:
    return {name for name in compiled.binds if f"%({name})s" in sql}


def _row_maker(
    statement: ClauseElement, dialect: Dialect
) -> Callable[[Sequence[Any]], Any] | None:
    exported = getattr(statement, "exported_columns", None)
    if not exported:
        return None
    columns = list(exported)
    names = [column.key for column in columns]
    row_type = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    if dialect.name != "sqlite":
        # psycopg returns native bool, float and str values already.
        return row_type._make
    processors = [
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in columns
    ]
    if not any(processors):
        return row_type._make
    steps = list(enumerate(processors))

    def make(values: Sequence[Any]) -> Any:
        values = list(values)
        for index, process in steps:
            if process is not None and values[index] is not None:
                values[index] = process(values[index])
        return row_type._make(values)

    return make

"""The :class:`Library`: a lazily opened connection to the application database."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from vwf.library._media import MediaRepository, UserRepository
from vwf.library.errors import LibraryError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Library:
    """The application database at ``url`` (SQLite or PostgreSQL).

    Nothing connects until the first :meth:`session` or :meth:`migrate` call.
    A SQLite file runs in WAL mode with foreign keys enforced.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self._echo = echo
        self._engine: sqlalchemy.Engine | None = None
        self._sessionmaker: sessionmaker[Session] | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> sqlalchemy.Engine:
        return self._open()[0]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session in a transaction, committed when the block succeeds."""
        with self._open()[1].begin() as session:
            yield session

    def _open(self) -> tuple[sqlalchemy.Engine, sessionmaker[Session]]:
        with self._lock:
            if self._engine is None or self._sessionmaker is None:
                self._engine = _create_engine(self.url, self._echo)
                self._sessionmaker = sessionmaker(self._engine, expire_on_commit=False)
            return self._engine, self._sessionmaker

    @functools.cached_property
    def users(self) -> UserRepository:
        return UserRepository(self)

    @functools.cached_property
    def media(self) -> MediaRepository:
        return MediaRepository(self)

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to ``revision`` (the newest by default)."""
        from alembic import command

        logger.info("migrating library database to %s", revision)
        with self.engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)

    def current_revision(self) -> str | None:
        """Return the applied migration revision, or ``None`` for an empty database."""
        from alembic.runtime.migration import MigrationContext

        from vwf.library.migrations import VERSION_TABLE

        with self.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE}
            )
            return context.get_current_revision()

    def dispose(self) -> None:
        """Close every pooled connection."""
        if self._engine is not None:
            self._engine.dispose()

    def __repr__(self) -> str:
        return f"Library({sqlalchemy.engine.make_url(self.url)!r})"


def _alembic_config(connection: sqlalchemy.Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _create_engine(url: str, echo: bool) -> sqlalchemy.Engine:
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except sqlalchemy.exc.ArgumentError as exc:
        raise LibraryError(
            f"invalid library_url {url!r}: use sqlite:///path or "
            "postgresql+psycopg://user@host/database"
        ) from exc
    if parsed.get_backend_name() != "sqlite":
        return sqlalchemy.create_engine(parsed, echo=echo, pool_pre_ping=True)
    if parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sqlalchemy.create_engine(parsed, echo=echo, connect_args={"timeout": 30})
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

from __future__ import annotations

import sqlalchemy

from vwf.library import Base, Library

LIBRARY_TABLES = {"users", "media", "media_assets", "faces", "people", "media_stages"}


def test_migrate_from_empty_creates_tables(library_url: str) -> None:
    library = Library(library_url)

    library.migrate()

    tables = set(sqlalchemy.inspect(library.engine).get_table_names())
    assert LIBRARY_TABLES <= tables
    assert "library_alembic_version" in tables
    library.dispose()


def test_migrate_twice_is_noop(library_url: str) -> None:
    library = Library(library_url)
    library.migrate()
    first = library.current_revision()

    library.migrate()

    assert library.current_revision() == first
    library.dispose()


def test_migration_matches_models(library: Library) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with library.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": _is_library_table}
        )
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def _is_library_table(name, type_, parent_names) -> bool:
    return type_ != "table" or name in Base.metadata.tables


def test_library_opens_lazily(tmp_path) -> None:
    path = tmp_path / "sub" / "library.db"

    library = Library(f"sqlite:///{path}")

    assert not path.exists()
    library.dispose()


def test_sqlite_uses_wal(sqlite_url: str) -> None:
    library = Library(sqlite_url)
    library.migrate()

    with library.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()

    assert mode == "wal"
    library.dispose()


def test_library_shares_database_with_engine(library_url: str) -> None:
    from vwf.engine import Engine

    engine = Engine(library_url)
    engine.start()
    inspected = sqlalchemy.create_engine(library_url)
    engine_tables = set(sqlalchemy.inspect(inspected).get_table_names())
    inspected.dispose()
    library = Library(library_url)

    library.migrate()

    tables = set(sqlalchemy.inspect(library.engine).get_table_names())
    assert engine_tables
    assert engine_tables | LIBRARY_TABLES <= tables
    assert not engine_tables & LIBRARY_TABLES
    engine.close()
    library.dispose()

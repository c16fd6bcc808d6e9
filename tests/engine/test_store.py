"""Opening the engine database: URLs, schema version and SQLite settings."""

from __future__ import annotations

import pytest
import sqlalchemy

from vwf.engine import Engine
from vwf.engine.errors import StoreError


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://host/db", "sqlite:////missing/dir/engine.db"]
)
def test_unusable_url_raises_store_error(url):
    with pytest.raises(StoreError) as excinfo:
        Engine(url)

    assert url in str(excinfo.value)


def test_other_schema_version_raises_store_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'engine.db'}"
    Engine(url).close()
    database = sqlalchemy.create_engine(url)
    with database.begin() as conn:
        conn.execute(sqlalchemy.text("update engine_schema set version = 99"))
    database.dispose()

    with pytest.raises(StoreError) as excinfo:
        Engine(url)

    assert "99" in str(excinfo.value)


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    engine = Engine(f"sqlite:///{tmp_path / 'engine.db'}")
    try:
        with engine._store.engine.connect() as conn:
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    finally:
        engine.close()

    assert journal == "wal"
    assert foreign_keys == 1

"""A migrated library on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vwf.library import Library


@pytest.fixture(params=["sqlite", "postgres"])
def library_url(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
def library(library_url: str) -> Iterator[Library]:
    library = Library(library_url)
    library.migrate()
    yield library
    library.dispose()

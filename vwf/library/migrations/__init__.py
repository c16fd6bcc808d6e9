"""Alembic migrations of the application database, run by ``Library.migrate``."""

VERSION_TABLE = "library_alembic_version"
"""Alembic's version table, named apart from any engine migrations."""

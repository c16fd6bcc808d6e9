"""Owner-scoped row lookup shared by every repository."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vwf.library.errors import NotFoundError

RowT = TypeVar("RowT")

# Model class name -> the word used in "... not found" messages.
KIND_NAMES = {"Media": "media", "Person": "person", "Face": "face", "User": "user"}


def as_uuid(value: uuid.UUID | str, kind: str) -> uuid.UUID:
    """Parse ``value`` as a UUID, raising :class:`NotFoundError` when invalid."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFoundError(kind, value) from exc


def get_owned(
    session: Session,
    model: type[RowT],
    owner_id: uuid.UUID | str,
    row_id: uuid.UUID | str,
    *,
    for_update: bool = False,
) -> RowT:
    """Load the ``model`` row ``row_id`` of ``owner_id``.

    Raises :class:`NotFoundError` when the row does not exist or belongs to
    another owner, with the same message in both cases. ``model`` must have
    ``id`` and ``owner_id`` columns.
    """
    kind = KIND_NAMES.get(model.__name__, model.__name__.lower())
    columns: Any = model
    statement = select(model).where(
        columns.id == as_uuid(row_id, kind),
        columns.owner_id == as_uuid(owner_id, "user"),
    )
    if for_update:
        statement = statement.with_for_update()
    row = session.scalars(statement).one_or_none()
    if row is None:
        raise NotFoundError(kind, row_id)
    return row

"""Errors of the application database.

Tree::

    VwfError
    +-- LibraryError                 the library database cannot do the request
        +-- NotFoundError            no such row for this owner (also raised for
        |                            another user's row, so existence never leaks)
        +-- InvalidTransitionError   a media status change that is not allowed
        +-- DuplicateMediaError      the owner already has media with this content
"""

from __future__ import annotations

import uuid

from vwf.errors import VwfError


class LibraryError(VwfError):
    """The application database cannot do the request."""


class NotFoundError(LibraryError):
    """No row with this id exists for this owner."""

    def __init__(self, kind: str, row_id: uuid.UUID | str) -> None:
        super().__init__(f"{kind} {row_id} not found")
        self.kind = kind
        self.row_id = row_id


class InvalidTransitionError(LibraryError):
    """A media status change outside pending -> visible -> complete, any ->
    failed, failed -> pending."""


class DuplicateMediaError(LibraryError):
    """The owner already has media with the same content hash."""

    def __init__(self, media_id: uuid.UUID, status: str) -> None:
        super().__init__(
            f"this video was already submitted as media {media_id} "
            f"(status {status}); open that media instead of submitting it again"
        )
        self.media_id = media_id
        self.status = status

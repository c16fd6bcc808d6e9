"""The application database: users, media, assets, faces and people.

Open it with :class:`Library`, create the schema with :meth:`Library.migrate`,
and work through the owner-scoped repositories::

    library = Library("sqlite:///library.db")
    library.migrate()
    user = library.users.get_or_create("ada@example.com")
    media = library.media.create(user.id, content_hash=digest, source=path)

The face stages use the ORM models directly with :meth:`Library.session` and
:func:`get_owned` for owner-scoped lookups.
"""

from vwf.library._database import Library
from vwf.library._media import ALLOWED_TRANSITIONS, MediaRepository, UserRepository
from vwf.library._models import (
    AssetType,
    Base,
    Face,
    Media,
    MediaAsset,
    MediaStage,
    MediaStatus,
    Person,
    RecognitionResult,
    User,
)
from vwf.library._outcome import OUTCOMES, WorkflowOutcome, record_workflow_outcome
from vwf.library._records import (
    AssetRecord,
    MediaMetadata,
    MediaRecord,
    NewAsset,
    StageRecord,
    UserRecord,
)
from vwf.library._scoping import get_owned
from vwf.library.errors import (
    DuplicateMediaError,
    InvalidTransitionError,
    LibraryError,
    NotFoundError,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "OUTCOMES",
    "AssetRecord",
    "AssetType",
    "Base",
    "DuplicateMediaError",
    "Face",
    "InvalidTransitionError",
    "Library",
    "LibraryError",
    "Media",
    "MediaAsset",
    "MediaMetadata",
    "MediaRecord",
    "MediaRepository",
    "MediaStage",
    "MediaStatus",
    "NewAsset",
    "NotFoundError",
    "Person",
    "RecognitionResult",
    "StageRecord",
    "User",
    "UserRecord",
    "UserRepository",
    "WorkflowOutcome",
    "get_owned",
    "record_workflow_outcome",
]

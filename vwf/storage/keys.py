"""Blob keys of a user's media, laid out as ``users/<user>/media/<media>/...``.

Every key passes :func:`validate_key`, so a key can never escape the store's
root directory or prefix.
"""

from __future__ import annotations

import re
import uuid

from vwf.storage.errors import InvalidKeyError

_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe relative key, else raise.

    A safe key is non-empty, relative, uses ``/`` separators, and has no
    empty, ``.`` or ``..`` segment and no NUL or backslash.
    """
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise InvalidKeyError(
            f"invalid blob key {key!r}: use a relative path like users/u/media/m/x.jpg"
        )
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKeyError(
            f"invalid blob key {key!r}: empty, '.' and '..' segments are not allowed"
        )
    return key


def validate_prefix(prefix: str) -> str:
    """Validate a listing prefix: empty, or a key, optionally ending in ``/``."""
    if prefix == "":
        return prefix
    validate_key(prefix.removesuffix("/"))
    return prefix


def media_prefix(user_id: uuid.UUID | str, media_id: uuid.UUID | str) -> str:
    """Return the prefix (ending in ``/``) under which every file of a media lives."""
    return f"users/{_uuid(user_id)}/media/{_uuid(media_id)}/"


def original_key(
    user_id: uuid.UUID | str, media_id: uuid.UUID | str, extension: str
) -> str:
    """Key of the uploaded file; ``extension`` like ``mp4`` (no dot, lowercased)."""
    extension = extension.lower().lstrip(".") or "bin"
    if not _EXTENSION.match(extension):
        extension = "bin"
    return media_prefix(user_id, media_id) + f"original.{extension}"


def video_key(user_id: uuid.UUID | str, media_id: uuid.UUID | str) -> str:
    return media_prefix(user_id, media_id) + "video.mp4"


def poster_key(user_id: uuid.UUID | str, media_id: uuid.UUID | str) -> str:
    return media_prefix(user_id, media_id) + "poster.jpg"


def animated_poster_key(
    user_id: uuid.UUID | str, media_id: uuid.UUID | str, extension: str = "webp"
) -> str:
    """Key of the animated poster; ``extension`` is ``webp`` or ``gif``."""
    if extension not in ("webp", "gif"):
        raise InvalidKeyError(
            f"invalid animated poster extension {extension!r}: use webp or gif"
        )
    return media_prefix(user_id, media_id) + f"poster.{extension}"


def thumbnail_key(
    user_id: uuid.UUID | str, media_id: uuid.UUID | str, index: int
) -> str:
    return media_prefix(user_id, media_id) + f"thumbs/{index:03d}.jpg"


def face_key(
    user_id: uuid.UUID | str, media_id: uuid.UUID | str, face_id: uuid.UUID | str
) -> str:
    return media_prefix(user_id, media_id) + f"faces/{_uuid(face_id)}.jpg"


def _uuid(value: uuid.UUID | str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise InvalidKeyError(
            f"invalid id {value!r} in a blob key: use a UUID"
        ) from exc

"""Exceptions raised by :mod:`vwf.faces`.

Tree::

    VwfError
    +-- FaceError                 any failure in face detection or embedding
        +-- ModelFileError        a model file is missing or its SHA-256 differs
        +-- ImageError            an image cannot be read or decoded
        +-- VideoDecodeError      a video cannot be opened or decoded
        +-- AnalysisCancelled     the caller asked a video analysis to stop
        +-- UserBusyError         another worker has the user's recognition turn
        +-- PeopleError           a people operation is invalid (e.g. merge a
        |                         person into itself)
        +-- ImportSourceError     a people import source cannot be read
"""

from datetime import timedelta

from vwf.errors import VwfError


class FaceError(VwfError):
    """Base class of the errors raised by :mod:`vwf.faces`."""


class ModelFileError(FaceError):
    """A model file is missing, unreadable or has an unexpected SHA-256 digest."""


class ImageError(FaceError):
    """An image cannot be read, or its bytes are not a supported image format."""


class VideoDecodeError(FaceError):
    """A video cannot be opened, or contains no decodable video stream."""


class UserBusyError(FaceError):
    """Another worker has this user's recognition turn, so try again later.

    ``retry_after`` is the time until the current lease expires.
    """

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PeopleError(FaceError):
    """A people operation is invalid; the message names the value and the fix."""


class ImportSourceError(FaceError):
    """A people import source is missing or laid out wrongly."""


class AnalysisCancelled(FaceError):
    """A video analysis stopped early because its caller asked it to."""

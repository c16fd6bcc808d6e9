"""Errors of the video pipeline's own steps (submitting a video).

Tree::

    VwfError
    +-- SubmitError             the video cannot be submitted
        +-- InvalidSourceError  the source is missing, unreadable or not a video

The stages report bad input with :class:`vwf.workflow.errors.NonRetryableError`.
"""

from vwf.errors import VwfError


class SubmitError(VwfError):
    """The video cannot be submitted; the message names the cause and the fix."""


class InvalidSourceError(SubmitError):
    """The source is missing, unreadable, not a video, or an unsupported URL."""

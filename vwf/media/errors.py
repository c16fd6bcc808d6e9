"""Errors of media probing and transcoding.

Tree::

    VwfError
    +-- MediaError                the media file cannot be processed
        +-- InvalidMediaError     bad input: retrying cannot help; the message
        |   |                     is a reason a person can read
        |   +-- NotAVideoError    audio only, a still image, or not media at all
        +-- ToolError             ffmpeg, ffprobe or the checker process failed
                                  for a reason other than the input (crash,
                                  missing binary, killed); worth a retry
"""

from __future__ import annotations

from vwf.errors import VwfError


class MediaError(VwfError):
    """The media file cannot be processed."""


class InvalidMediaError(MediaError):
    """The input itself is bad (corrupt, truncated, absurd size); do not retry."""


class NotAVideoError(InvalidMediaError):
    """The file has no usable video stream: audio only, an image, or not media."""


class ToolError(MediaError):
    """An external tool failed for a reason other than the input; retry may help."""

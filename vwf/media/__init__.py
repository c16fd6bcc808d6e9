"""Media files: probe with ffprobe, transcode for the web with ffmpeg, check
outputs by decoding them in a child process.

::

    probed = probe(path)
    web = render_web_media(path, workdir, TranscodeOptions(max_height=720))
"""

from vwf.media._images import Image
from vwf.media._probe import AudioStream, ProbeResult, VideoStream, probe
from vwf.media._render import WebMedia, render_web_media
from vwf.media._tools import ProcessRunner
from vwf.media._transcode import (
    MAX_DIMENSION,
    MIN_DIMENSION,
    TranscodeOptions,
    TranscodePlan,
    check_dimensions,
    plan_transcode,
)
from vwf.media.errors import InvalidMediaError, MediaError, NotAVideoError, ToolError

__all__ = [
    "MAX_DIMENSION",
    "MIN_DIMENSION",
    "AudioStream",
    "Image",
    "InvalidMediaError",
    "MediaError",
    "NotAVideoError",
    "ProbeResult",
    "ProcessRunner",
    "ToolError",
    "TranscodeOptions",
    "TranscodePlan",
    "VideoStream",
    "WebMedia",
    "check_dimensions",
    "plan_transcode",
    "probe",
    "render_web_media",
]

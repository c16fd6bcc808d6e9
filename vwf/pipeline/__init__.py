"""The video pipeline: the VideoProcessing workflow and its stages.

Stage implementations live in their own modules (``transcode``,
``facedetect``, ...) and load lazily through :func:`load_activity`.
"""

from vwf.pipeline._definition import (
    VIDEO_PROCESSING,
    VIDEO_PROCESSING_WITH_UPLOAD,
    video_processing,
)
from vwf.pipeline._registry import STAGE_FACTORIES, load_activity

__all__ = [
    "STAGE_FACTORIES",
    "VIDEO_PROCESSING",
    "VIDEO_PROCESSING_WITH_UPLOAD",
    "load_activity",
    "video_processing",
]

"""Running the pipeline as a product: one command per video, or a service.

:func:`process_videos` backs ``vwf process`` and ``vwf demo``: it submits
videos and runs the decider and every stage's worker in this process until
each workflow closes.
"""

from vwf.service._demo import DemoInputs, make_demo_inputs
from vwf.service._history import (
    StageProgress,
    close_status,
    read_history,
    stage_progress,
)
from vwf.service._process import VideoProgress, process_videos
from vwf.service._serve import PipelineService, ScheduledJobs, ServeOptions
from vwf.service._summary import PersonResult, VideoResult

__all__ = [
    "DemoInputs",
    "PersonResult",
    "PipelineService",
    "ScheduledJobs",
    "ServeOptions",
    "StageProgress",
    "VideoProgress",
    "VideoResult",
    "close_status",
    "make_demo_inputs",
    "process_videos",
    "read_history",
    "stage_progress",
]

"""The VideoProcessing workflow: from an uploaded video to people to browse.

Stages and their order::

    [Upload] -> Transcode -> FaceDetect -> FaceRecognize -> NotifyComplete

Upload runs only for a remote source (workflow type
``VideoProcessingWithUpload``). Both workflow types share one decider task
list, so a single decider runs them.

Timeouts and retries per attempt ("-" is no limit). "to start", "to close"
and "total" are the schedule_to_start, start_to_close and schedule_to_close
timeouts, "retries" the failure retries, "timeout x" the timeout multipliers::

    stage           to start  to close  total   heartbeat  retries  timeout x  busy
    Upload          12 h      2 h       -       5 min      3        1, 2       -
    Transcode       12 h      3 h       -       5 min      2        1, 2       -
    FaceDetect      12 h      3 h       -       5 min      2        1, 2       -
    FaceRecognize   12 h      1 h       -       5 min      3        1, 2       yes
    NotifyComplete  10 min    5 min     15 min  -          3        1          -

- "to start" is long because on one machine the workers may be down for a
  while (a restart, a queue of long videos); the execution's 36 h bound ends
  a video that never gets a worker.
- "to close" allows a long home video to be transcoded or scanned at a
  few frames per second on two cores. Workers heartbeat every 10 s (at
  most a third of the heartbeat timeout), so a cancel reaches a running
  stage within about 10 s and a dead worker is noticed within 5 minutes,
  long before that bound.
- After a timeout the next attempt multiplies every timeout by the next
  "timeout x" factor, so one timed-out attempt is retried with doubled
  timeouts.
- FaceRecognize reports "busy" while another video of the same user is being
  recognised. The decider retries it after the delay the stage asks for
  (the time left on the other video's turn, 1-30 s), or after 10 min when
  it names none, for up to 35 h after its first attempt. That leaves
  NotifyComplete time to run inside the 36 h execution.
- Each NotifyComplete attempt ends within 15 minutes of being scheduled.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from vwf.workflow import Stage, WorkflowDefinition

NAME = "VideoProcessing"
NAME_WITH_UPLOAD = "VideoProcessingWithUpload"
VERSION = "1"
DECIDER_TASK_LIST = "VideoProcessing"

_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)

UPLOAD = Stage(
    name="Upload",
    task_list="Upload",
    schedule_to_start_timeout=12 * _HOUR,
    start_to_close_timeout=2 * _HOUR,
    heartbeat_timeout=5 * _MINUTE,
    heartbeats=True,
    failure_retries=3,
    timeout_retry_multipliers=(1, 2),
)

TRANSCODE = Stage(
    name="Transcode",
    task_list="Transcode",
    schedule_to_start_timeout=12 * _HOUR,
    start_to_close_timeout=3 * _HOUR,
    heartbeat_timeout=5 * _MINUTE,
    heartbeats=True,
    failure_retries=2,
    timeout_retry_multipliers=(1, 2),
)

FACE_DETECT = Stage(
    name="FaceDetect",
    task_list="FaceDetect",
    prerequisites=("Transcode",),
    schedule_to_start_timeout=12 * _HOUR,
    start_to_close_timeout=3 * _HOUR,
    heartbeat_timeout=5 * _MINUTE,
    heartbeats=True,
    failure_retries=2,
    timeout_retry_multipliers=(1, 2),
)

FACE_RECOGNIZE = Stage(
    name="FaceRecognize",
    task_list="FaceRecognize",
    prerequisites=("FaceDetect",),
    schedule_to_start_timeout=12 * _HOUR,
    start_to_close_timeout=1 * _HOUR,
    heartbeat_timeout=5 * _MINUTE,
    heartbeats=True,
    failure_retries=3,
    timeout_retry_multipliers=(1, 2),
    busy_retry_delay=10 * _MINUTE,
    busy_deadline=35 * _HOUR,
)

NOTIFY_COMPLETE = Stage(
    name="NotifyComplete",
    task_list="NotifyComplete",
    prerequisites=("FaceRecognize",),
    schedule_to_start_timeout=10 * _MINUTE,
    start_to_close_timeout=5 * _MINUTE,
    schedule_to_close_timeout=15 * _MINUTE,
    failure_retries=3,
)


def video_processing(
    remote_source: bool = False, domain: str = "vwf"
) -> WorkflowDefinition:
    """Return the VideoProcessing definition; a remote source adds Upload
    before Transcode under the workflow type ``VideoProcessingWithUpload``."""
    stages = (TRANSCODE, FACE_DETECT, FACE_RECOGNIZE, NOTIFY_COMPLETE)
    name = NAME
    if remote_source:
        transcode = dataclasses.replace(TRANSCODE, prerequisites=("Upload",))
        stages = (UPLOAD, transcode, *stages[1:])
        name = NAME_WITH_UPLOAD
    return WorkflowDefinition(
        name=name,
        version=VERSION,
        domain=domain,
        decider_task_list=DECIDER_TASK_LIST,
        execution_start_to_close_timeout=36 * _HOUR,
        task_start_to_close_timeout=1 * _MINUTE,
        stages=stages,
    )


VIDEO_PROCESSING = video_processing()
VIDEO_PROCESSING_WITH_UPLOAD = video_processing(remote_source=True)

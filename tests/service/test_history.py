"""Stage progress and readable events from hand-written SWF histories."""

from datetime import UTC, datetime

from vwf.pipeline import VIDEO_PROCESSING
from vwf.service import close_status, stage_progress
from vwf.service._events import format_event


def _event(event_id, event_type, seconds, **attributes):
    key = event_type[0].lower() + event_type[1:] + "EventAttributes"
    return {
        "eventId": event_id,
        "eventType": event_type,
        "eventTimestamp": datetime(2026, 1, 1, 12, 0, seconds, tzinfo=UTC),
        key: attributes,
    }


def _scheduled(event_id, stage, attempt, seconds):
    return _event(
        event_id,
        "ActivityTaskScheduled",
        seconds,
        activityType={"name": stage, "version": "1"},
        activityId=f"{stage}-m-{attempt}",
    )


HISTORY = [
    _event(1, "WorkflowExecutionStarted", 0),
    _scheduled(2, "Transcode", 1, 1),
    _event(3, "ActivityTaskStarted", 1, scheduledEventId=2),
    _event(4, "ActivityTaskTimedOut", 5, scheduledEventId=2, timeoutType="HEARTBEAT"),
    _scheduled(5, "Transcode", 2, 6),
    _event(6, "ActivityTaskStarted", 6, scheduledEventId=5),
    _event(7, "ActivityTaskCompleted", 9, scheduledEventId=5, result="{}"),
    _scheduled(8, "FaceDetect", 1, 10),
    _event(9, "ActivityTaskStarted", 10, scheduledEventId=8),
]


def test_stage_progress_counts_attempts():
    progress = {p.stage: p for p in stage_progress(VIDEO_PROCESSING, HISTORY)}

    assert progress["Transcode"].status == "completed"
    assert progress["Transcode"].attempts == 2
    assert progress["Transcode"].seconds == 8.0


def test_stage_progress_shows_running_and_waiting():
    progress = {p.stage: p for p in stage_progress(VIDEO_PROCESSING, HISTORY)}

    assert progress["FaceDetect"].status == "running"
    assert progress["FaceRecognize"].status == "waiting"
    assert progress["FaceRecognize"].attempts == 0


def test_close_status_open_and_closed():
    closed = [*HISTORY, _event(10, "WorkflowExecutionTimedOut", 20)]

    assert close_status(HISTORY) is None
    assert close_status(closed) == "TIMED_OUT"


def test_format_event_shows_key_attributes():
    line = format_event(HISTORY[3])

    assert line.split()[0] == "4"
    assert "ActivityTaskTimedOut" in line
    assert "timeoutType=HEARTBEAT" in line
    assert "scheduledEventId=2" in line


def test_format_event_shortens_long_values():
    event = _event(7, "ActivityTaskCompleted", 9, result="x" * 500)

    line = format_event(event)

    assert "result=" + "x" * 117 + "..." in line


def test_stage_progress_marks_resumed_stages():
    started = _event(1, "WorkflowExecutionStarted", 0)
    started["workflowExecutionStartedEventAttributes"]["input"] = (
        '{"media_id": "m", "$resumed": {"Transcode": {"video_key": "k"}}}'
    )

    progress = {p.stage: p for p in stage_progress(VIDEO_PROCESSING, [started])}

    assert progress["Transcode"].status == "resumed"
    assert progress["FaceDetect"].status == "waiting"


def test_stage_results_decode_last_completion():
    from vwf.service._history import stage_results

    results = stage_results(VIDEO_PROCESSING, HISTORY)

    assert results == {"Transcode": {}}

"""The duration check of a rendered video against its source."""

import pytest

from vwf.media._reports import VideoReport
from vwf.media._verify import check_duration
from vwf.media.errors import InvalidMediaError


def _report(seconds: float, frames: int = 250) -> VideoReport:
    return VideoReport(
        frame_count=frames,
        duration_seconds=seconds,
        width=640,
        height=360,
        has_audio=True,
    )


def test_duration_within_one_frame_passes():
    check_duration(_report(10.03), expected_seconds=10.0, frame_rate=25)


def test_duration_longer_than_container_passes():
    # A stream-copied loop declares 20.004 s but contains 20.066 s of frames.
    check_duration(_report(20.066), expected_seconds=20.004, frame_rate=29.97)


def test_duration_short_fails_as_truncated():
    with pytest.raises(InvalidMediaError, match="only 5.000 s of the 10.000 s"):
        check_duration(_report(5.0), expected_seconds=10.0, frame_rate=25)


def test_no_frames_fails():
    with pytest.raises(InvalidMediaError, match="no decodable frames"):
        check_duration(_report(0.0, frames=0), expected_seconds=10.0, frame_rate=25)

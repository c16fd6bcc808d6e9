from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from vwf.media import (
    AudioStream,
    InvalidMediaError,
    ProbeResult,
    TranscodeOptions,
    VideoStream,
    plan_transcode,
)

VIDEO = VideoStream(
    index=0,
    codec="h264",
    width=3840,
    height=2160,
    pix_fmt="yuv420p",
    sample_aspect_ratio=Fraction(1),
    rotation=0,
    avg_frame_rate=Fraction(30),
    r_frame_rate=Fraction(30),
    duration_seconds=10.0,
    start_seconds=0.0,
    frame_count=300,
    color_primaries=None,
    color_transfer=None,
    color_space=None,
    color_range=None,
    bits_per_raw_sample=8,
)


def _probe(**video_fields) -> ProbeResult:
    return ProbeResult(
        format_name="mov,mp4",
        duration_seconds=10.0,
        start_seconds=0.0,
        video=dataclasses.replace(VIDEO, **video_fields),
        audio=AudioStream(index=1, codec="aac", sample_rate=48000, channels=2),
        recorded_at=None,
        latitude=None,
        longitude=None,
        size_bytes=1,
    )


@pytest.mark.parametrize(
    ("fields", "size"),
    [
        ({}, (1280, 720)),
        ({"rotation": 90, "width": 1920, "height": 1080}, (720, 1280)),
        ({"width": 640, "height": 360}, (640, 360)),
        (
            {"width": 1440, "height": 1080, "sample_aspect_ratio": Fraction(4, 3)},
            (1280, 720),
        ),
        ({"width": 853, "height": 481}, (852, 480)),
    ],
)
def test_plan_size(fields: dict, size: tuple[int, int]) -> None:
    plan = plan_transcode(_probe(**fields), TranscodeOptions())

    assert (plan.width, plan.height) == size


def test_plan_vfr_uses_average_rate() -> None:
    probe = _probe(avg_frame_rate=Fraction(2400, 100), r_frame_rate=Fraction(30))

    assert plan_transcode(probe, TranscodeOptions()).frame_rate == Fraction(24)


def test_plan_absurd_rate_uses_default() -> None:
    probe = _probe(avg_frame_rate=Fraction(90000), r_frame_rate=Fraction(90000))

    assert plan_transcode(probe, TranscodeOptions()).frame_rate == Fraction(30)


def test_plan_hdr_tone_maps() -> None:
    probe = _probe(color_transfer="smpte2084")

    assert plan_transcode(probe, TranscodeOptions()).tone_map


def test_plan_rejects_tiny_height() -> None:
    with pytest.raises(InvalidMediaError, match="height of 10 px"):
        plan_transcode(_probe(height=10), TranscodeOptions())


def test_options_from_dict_ignores_unknown() -> None:
    options = TranscodeOptions.from_dict({"max_height": 1080, "colour": "red"})

    assert options.max_height == 1080


def test_options_invalid_threads_raises() -> None:
    with pytest.raises(ValueError, match="threads at least 1"):
        TranscodeOptions.from_dict({"threads": 0})

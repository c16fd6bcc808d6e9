from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.faces import _clips
from vwf.faces import AdaptiveSchedule, FaceModels, VideoDecodeError, VideoReader


def _test_pattern(output: Path, seconds: float = 2, size: str = "320x240") -> Path:
    _clips.run_ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds}",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(output),
    )  # fmt: skip
    return output


def test_schedule_samples_first_frame():
    assert AdaptiveSchedule().is_due(0.0)


def test_schedule_slows_down_when_quiet():
    schedule = AdaptiveSchedule(min_rate=5, max_rate=10)

    for step in range(20):
        schedule.record(step * 0.2, active=False)

    assert schedule.interval.total_seconds() == pytest.approx(0.2)


def test_schedule_speeds_up_on_activity():
    schedule = AdaptiveSchedule(min_rate=5, max_rate=10)
    for step in range(20):
        schedule.record(step * 0.2, active=False)

    schedule.record(4.0, active=True)

    assert schedule.interval.total_seconds() == pytest.approx(0.1)
    assert not schedule.is_due(4.05)
    assert schedule.is_due(4.1)


def test_schedule_rejects_inverted_rates():
    with pytest.raises(ValueError, match="min_rate=10, max_rate=5"):
        AdaptiveSchedule(min_rate=10, max_rate=5)


def test_reader_samples_between_min_and_max_rate(tmp_path: Path):
    clip = _test_pattern(tmp_path / "pattern.mp4", seconds=3)
    schedule = AdaptiveSchedule(min_rate=5, max_rate=10)

    with VideoReader(clip) as reader:
        times = []
        for frame in reader.sample(schedule):
            times.append(frame.time)
            schedule.record(frame.time, active=False)

    assert 3 * 5 - 1 <= len(times) <= 3 * 10 + 1
    assert times == sorted(times)


def test_reader_shrinks_for_detection(tmp_path: Path):
    clip = _test_pattern(tmp_path / "wide.mp4", seconds=0.5, size="1280x720")

    with VideoReader(clip) as reader:
        frame = next(reader.sample(AdaptiveSchedule(), max_side=640))

    assert frame.image.shape == (720, 1280, 3)
    assert frame.small.shape == (360, 640, 3)
    assert frame.scale == 2.0


def test_reader_reports_duration(tmp_path: Path):
    clip = _test_pattern(tmp_path / "pattern.mp4", seconds=2)

    with VideoReader(clip) as reader:
        info = reader.info

    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.frame_rate == pytest.approx(30.0)


@pytest.mark.shared_data
@pytest.mark.parametrize(("turn", "rotation"), [("clock", 90), ("cclock", 270)])
def test_reader_applies_rotation_metadata(
    shared_data: Path, tmp_path: Path, turn: str, rotation: int
):
    # The pixels are stored turned a quarter, as phones do, and the rotation
    # metadata instructs players to turn them back upright.
    photo = shared_data / "photos/orientation/portrait_upright.jpg"
    sideways = tmp_path / "sideways.mp4"
    _clips.run_ffmpeg(
        *_clips.looped_input(photo, 1),
        "-vf", f"scale=420:350,transpose={turn}", *_clips.h264_output(sideways),
    )  # fmt: skip
    rotated = tmp_path / "rotated.mp4"
    _clips.run_ffmpeg(
        "-i", str(sideways), "-c", "copy",
        "-metadata:s:v:0", f"rotate={rotation}", str(rotated),
    )  # fmt: skip

    with VideoReader(rotated) as reader:
        frame = next(reader.sample(AdaptiveSchedule()))
    face = FaceModels.default().detect(frame.image)[0]

    assert frame.image.shape[:2] == (350, 420)
    eyes_y = (face.landmarks[0][1] + face.landmarks[1][1]) / 2
    mouth_y = (face.landmarks[3][1] + face.landmarks[4][1]) / 2
    assert mouth_y - eyes_y > 0.5 * face.box[3] / 3


def test_reader_rejects_garbage(tmp_path: Path):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).bytes(4096))

    with pytest.raises(VideoDecodeError, match="garbage.mp4"):
        VideoReader(garbage)


def test_reader_rejects_audio_only(tmp_path: Path):
    audio = tmp_path / "tone.m4a"
    _clips.run_ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(audio)
    )  # fmt: skip

    with pytest.raises(VideoDecodeError, match="no video stream"):
        VideoReader(audio)


def test_reader_keeps_frames_of_truncated_file(tmp_path: Path):
    clip = tmp_path / "pattern.mp4"
    _clips.run_ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=3",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts", str(clip),
    )  # fmt: skip
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    schedule = AdaptiveSchedule()

    with VideoReader(clip) as reader:
        times = []
        for frame in reader.sample(schedule):
            times.append(frame.time)
            schedule.record(frame.time, active=False)

    assert times
    assert max(times) < 2.5


def test_reader_rejects_undecodable_frames(tmp_path: Path):
    clip = tmp_path / "noise.mp4"
    _clips.run_ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=2",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(clip),
    )  # fmt: skip
    data = bytearray(clip.read_bytes())
    payload = data.find(b"mdat") + 4
    data[payload:] = np.random.default_rng(0).bytes(len(data) - payload)
    clip.write_bytes(bytes(data))

    with VideoReader(clip) as reader:
        with pytest.raises(VideoDecodeError, match="cannot decode any frame"):
            next(reader.sample(AdaptiveSchedule()))

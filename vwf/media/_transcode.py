"""Build the ffmpeg command that makes the web MP4 (H.264 + AAC)."""

from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from vwf.media._probe import ProbeResult, VideoStream
from vwf.media._tools import (
    ProcessRunner,
    ProgressCallback,
    available_filters,
    run_ffmpeg,
)
from vwf.media._verify import count_decodable_frames
from vwf.media.errors import InvalidMediaError, MediaError

logger = logging.getLogger(__name__)

MIN_DIMENSION = 16
MAX_DIMENSION = 8192
"""Pixel limits of an input frame's width and height; outside them the input is
rejected as absurd (no phone or camera records such sizes)."""

DEFAULT_FRAME_RATE = Fraction(30)
MAX_FRAME_RATE = Fraction(120)

# ffprobe colour matrix name -> swscale's in_color_matrix name.
_SWSCALE_MATRIX = {
    "bt709": "bt709",
    "smpte170m": "bt601",
    "bt470bg": "bt601",
    "fcc": "fcc",
    "smpte240m": "smpte240m",
    "bt2020nc": "bt2020",
    "bt2020c": "bt2020",
}


@dataclass(frozen=True)
class TranscodeOptions:
    """Settings of the web version of a video."""

    max_height: int = 720
    """Limit of the shorter side in pixels (720 makes 1280x720 or 720x1280)."""
    threads: int = 2
    """Encoder and filter threads per ffmpeg process."""
    preset: str = "veryfast"
    crf: int = 23
    audio_bitrate: str = "128k"
    thumbnail_count: int = 10
    thumbnail_height: int = 180
    poster_time_seconds: float = 3.0
    animated_poster_seconds: float = 3.0
    animated_poster_height: int = 240

    @classmethod
    def from_dict(cls, values: dict | None) -> TranscodeOptions:
        """Build options from a stage input's ``options``; unknown keys are ignored."""
        values = values or {}
        known = {
            name: values[name] for name in cls.__dataclass_fields__ if name in values
        }
        options = cls(**known)
        if options.max_height < MIN_DIMENSION or options.threads < 1:
            raise ValueError(
                f"invalid transcode options {known}: max_height must be at least "
                f"{MIN_DIMENSION} and threads at least 1"
            )
        return options


@dataclass(frozen=True)
class TranscodePlan:
    """Output size and frame rate chosen for one input."""

    width: int
    height: int
    frame_rate: Fraction
    has_audio: bool
    tone_map: bool


MAX_DECODE_ERROR_FRACTION = 0.02
"""Share of frames that may fail to decode before the input counts as corrupt.

NOTE: this limit is a judgment call, not a measured one. A phone file with one
damaged frame still plays, but one with many damaged frames shows garbage.
"""


def transcode(
    source: Path,
    target: Path,
    probe: ProbeResult,
    options: TranscodeOptions,
    *,
    runner: ProcessRunner = subprocess.run,
    progress_file: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> TranscodePlan:
    """Write the web MP4 of ``source`` to ``target``; return the plan used.

    Raises :class:`InvalidMediaError` for input that cannot become a video
    (no decodable frames, too many decoding errors, absurd size) and
    :class:`~vwf.media.errors.ToolError` when ffmpeg fails for another reason.
    """
    plan = plan_transcode(probe, options)
    args = build_transcode_args(source, target, probe, plan, options)
    logger.info("transcoding %s to %dx%d", source.name, plan.width, plan.height)
    try:
        stderr = run_ffmpeg(
            args, runner=runner, progress_file=progress_file, on_progress=on_progress
        )
    except MediaError:
        # Tell a file without a single decodable frame (bad input, no retry)
        # from an ffmpeg failure worth another attempt.
        if count_decodable_frames(source, runner) == 0:
            raise InvalidMediaError("the video has no decodable frames") from None
        raise
    _check_decode_errors(stderr, probe, plan)
    return plan


def _check_decode_errors(stderr: str, probe: ProbeResult, plan: TranscodePlan) -> None:
    video = probe.require_video()
    pattern = re.compile(rf"Error while decoding stream #0:{video.index}\b")
    errors = len(pattern.findall(stderr))
    if errors == 0:
        return
    expected = max(1, round((video.duration_seconds or 0) * float(plan.frame_rate)))
    if errors > max(1, expected * MAX_DECODE_ERROR_FRACTION):
        raise InvalidMediaError(
            f"the video is corrupt: {errors} of about {expected} frames failed "
            "to decode"
        )
    logger.warning("%d video frames failed to decode; keeping the video", errors)


def check_dimensions(video: VideoStream) -> None:
    """Raise :class:`InvalidMediaError` for a frame size no camera makes."""
    for name, value in (("width", video.width), ("height", video.height)):
        if not MIN_DIMENSION <= value <= MAX_DIMENSION:
            raise InvalidMediaError(
                f"the video {name} of {value} px is outside the supported "
                f"{MIN_DIMENSION}-{MAX_DIMENSION} px"
            )


def plan_transcode(probe: ProbeResult, options: TranscodeOptions) -> TranscodePlan:
    """Choose the output size (upright, square pixels, even) and frame rate."""
    video = probe.require_video()
    check_dimensions(video)
    display_width, display_height = video.display_size
    scale = min(1.0, options.max_height / min(display_width, display_height))
    return TranscodePlan(
        width=_even(display_width * scale),
        height=_even(display_height * scale),
        frame_rate=output_frame_rate(video),
        has_audio=probe.audio is not None,
        tone_map=video.is_hdr,
    )


def output_frame_rate(video: VideoStream) -> Fraction:
    """Return the constant output rate: the nominal rate, or the average for VFR."""
    rate = video.avg_frame_rate if video.is_vfr else video.r_frame_rate
    rate = rate or video.avg_frame_rate
    if rate is None or rate > MAX_FRAME_RATE or rate < 1:
        return DEFAULT_FRAME_RATE
    return rate


def build_transcode_args(
    source: Path,
    target: Path,
    probe: ProbeResult,
    plan: TranscodePlan,
    options: TranscodeOptions,
) -> list[str]:
    """Return ffmpeg arguments (after the global options) for the web MP4.

    ffmpeg's default autorotate turns the frames upright before the filters
    run and writes no display matrix to the output.
    """
    video = probe.require_video()
    args = ["-y", "-threads", str(options.threads), "-i", str(source)]
    args += ["-map", f"0:{video.index}"]
    if plan.has_audio:
        assert probe.audio is not None
        args += ["-map", f"0:{probe.audio.index}"]
    args += ["-map_metadata", "-1", "-map_chapters", "-1", "-sn", "-dn"]
    args += ["-filter_threads", str(options.threads)]
    args += ["-vf", video_filter(video, plan)]
    args += _video_codec_args(plan, options)
    args += _audio_codec_args(probe, plan, options)
    args += ["-movflags", "+faststart", "-f", "mp4", str(target)]
    return args


def video_filter(video: VideoStream, plan: TranscodePlan) -> str:
    """Return the ``-vf`` chain: scale to square pixels, tone map, 8-bit 4:2:0."""
    size = f"{plan.width}:{plan.height}"
    if plan.tone_map and "zscale" in available_filters():
        return ",".join([f"scale={size}:flags=bicubic", _zscale_tone_map(video)])
    if plan.tone_map:
        # NOTE: without zimg this only converts the colour space; highlights
        # clip instead of being tone mapped.
        return (
            f"scale={size}:flags=bicubic,"
            "colorspace=all=bt709:iall=bt2020:format=yuv420p,setsar=1"
        )
    matrix = _SWSCALE_MATRIX.get(video.color_space or "", "bt709")
    in_range = "pc" if video.color_range == "pc" else "tv"
    return (
        f"scale={size}:flags=bicubic:in_color_matrix={matrix}:out_color_matrix=bt709"
        f":in_range={in_range}:out_range=tv,format=yuv420p,setsar=1"
    )


def _zscale_tone_map(video: VideoStream) -> str:
    transfer = video.color_transfer or "arib-std-b67"
    in_range = "full" if video.color_range == "pc" else "limited"
    return ",".join(
        [
            f"zscale=tin={transfer}:pin=bt2020:min=bt2020nc:rin={in_range}"
            ":t=linear:npl=100",
            "format=gbrpf32le",
            "zscale=p=bt709",
            "tonemap=hable:desat=0",
            "zscale=t=bt709:m=bt709:r=limited",
            "format=yuv420p",
            "setsar=1",
        ]
    )


def _video_codec_args(plan: TranscodePlan, options: TranscodeOptions) -> list[str]:
    rate = plan.frame_rate
    return [
        "-c:v", "libx264",
        "-preset", options.preset,
        "-crf", str(options.crf),
        "-profile:v", "high",
        "-pix_fmt", "yuv420p",
        "-fps_mode", "cfr",
        "-r", f"{rate.numerator}/{rate.denominator}",
        "-color_primaries", "bt709",
        "-color_trc", "bt709",
        "-colorspace", "bt709",
        "-color_range", "tv",
    ]  # fmt: skip


def _audio_codec_args(
    probe: ProbeResult, plan: TranscodePlan, options: TranscodeOptions
) -> list[str]:
    if not plan.has_audio:
        return ["-an"]
    assert probe.audio is not None
    channels = min(probe.audio.channels or 2, 2)
    # async resampling fills gaps and trims overlaps in the audio timestamps,
    # keeping sound in sync with the constant-rate video.
    return [
        "-c:a", "aac",
        "-b:a", options.audio_bitrate,
        "-ac", str(channels),
        "-af", "aresample=async=1:first_pts=0",
    ]  # fmt: skip


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)

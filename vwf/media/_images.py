"""Poster, animated poster and thumbnails cut from the web MP4."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

from vwf.media._reports import ImageReport
from vwf.media._tools import ProcessRunner, available_encoders, run_ffmpeg
from vwf.media._transcode import TranscodeOptions
from vwf.media._verify import run_checker
from vwf.media.errors import ToolError

logger = logging.getLogger(__name__)

POSTER_OFFSETS = (-1.0, -0.5, 0.0, 0.5, 1.0)
"""Seconds around the poster time at which candidate frames are taken."""


@dataclass(frozen=True)
class Image:
    """A still or animated image written to ``path``."""

    path: Path
    width: int
    height: int
    time_seconds: float
    """Position in the video of the (first) frame."""


def poster_candidate_times(duration: float, options: TranscodeOptions) -> list[float]:
    """Return the candidate times: around the poster time, or the middle of a
    clip too short for it."""
    center = options.poster_time_seconds
    if duration < 2 * center:
        center = duration / 2
    last = max(0.0, duration - 0.1)
    times = {
        round(min(last, max(0.0, center + offset)), 3) for offset in POSTER_OFFSETS
    }
    return sorted(times)


def exposure_score(report: ImageReport) -> float:
    """Score a frame: high contrast, mean luma near mid-grey (0-255 scale)."""
    balance = 1.0 - abs(report.mean_luma - 128.0) / 128.0
    return report.luma_std * balance


def make_poster(
    video: Path,
    directory: Path,
    duration: float,
    options: TranscodeOptions,
    runner: ProcessRunner = subprocess.run,
) -> Image:
    """Write ``poster.jpg``: the best-exposed of a few candidate frames."""
    candidates = []
    for index, time in enumerate(poster_candidate_times(duration, options)):
        path = directory / f"poster-candidate-{index}.jpg"
        _extract_frame(video, time, path, runner)
        if path.exists() and path.stat().st_size > 0:
            candidates.append((path, time))
    if not candidates:
        raise ToolError(f"ffmpeg wrote no poster frame from {video}")
    reports = run_checker(images=[path for path, _ in candidates], runner=runner).images
    best_path, best_time = max(candidates, key=lambda c: exposure_score(reports[c[0]]))
    poster = directory / "poster.jpg"
    best_path.replace(poster)
    report = reports[best_path]
    return Image(poster, report.width, report.height, best_time)


def make_animated_poster(
    video: Path,
    directory: Path,
    start: float,
    options: TranscodeOptions,
    runner: ProcessRunner = subprocess.run,
) -> Path:
    """Write a short looping animation (WebP, or GIF without libwebp)."""
    webp = "libwebp_anim" in available_encoders()
    target = directory / ("poster.webp" if webp else "poster.gif")
    scale = f"fps=8,scale=-2:{options.animated_poster_height}:flags=lanczos"
    codec = ["-c:v", "libwebp_anim", "-quality", "60"] if webp else ["-c:v", "gif"]
    args = ["-y", "-ss", f"{start:.3f}", "-t", str(options.animated_poster_seconds)]
    args += ["-i", str(video), "-an", "-vf", scale, *codec, "-loop", "0", str(target)]
    run_ffmpeg(args, runner=runner)
    return target


def make_thumbnails(
    video: Path,
    directory: Path,
    duration: float,
    options: TranscodeOptions,
    runner: ProcessRunner = subprocess.run,
) -> list[Path]:
    """Write ``thumbs/001.jpg`` ... at evenly spaced times; return their paths."""
    thumbs = directory / "thumbs"
    thumbs.mkdir(exist_ok=True)
    count = options.thumbnail_count
    rate = count / max(duration, 0.001)
    scale = f"fps={rate:.6f},scale=-2:{options.thumbnail_height}"
    args = ["-y", "-i", str(video), "-an", "-vf", scale, "-frames:v", str(count)]
    args += ["-q:v", "4", "-start_number", "0", str(thumbs / "%03d.jpg")]
    run_ffmpeg(args, runner=runner)
    return sorted(thumbs.glob("*.jpg"))


def thumbnail_time(index: int, duration: float, count: int) -> float:
    """Return the video time of thumbnail ``index`` (the fps filter's spacing)."""
    return index * duration / count


def _extract_frame(
    video: Path, time: float, target: Path, runner: ProcessRunner
) -> None:
    args = ["-y", "-ss", f"{time:.3f}", "-i", str(video), "-frames:v", "1"]
    args += ["-q:v", "3", str(target)]
    run_ffmpeg(args, runner=runner)

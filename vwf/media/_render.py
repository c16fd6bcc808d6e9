"""From an original file to the checked web files: MP4, posters, thumbnails."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

from vwf.media._images import (
    Image,
    make_animated_poster,
    make_poster,
    make_thumbnails,
    thumbnail_time,
)
from vwf.media._probe import ProbeResult, probe
from vwf.media._tools import ProcessRunner, ProgressCallback
from vwf.media._transcode import TranscodeOptions, TranscodePlan, transcode
from vwf.media._verify import check_duration, run_checker
from vwf.media.errors import InvalidMediaError, ToolError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebMedia:
    """The files made for one video, all decoded once by the checker."""

    source: ProbeResult
    plan: TranscodePlan
    video: Path
    duration_seconds: float
    frame_count: int
    poster: Image
    animated_poster: Image
    thumbnails: list[Image]


def render_web_media(
    source: Path,
    directory: Path,
    options: TranscodeOptions,
    *,
    runner: ProcessRunner = subprocess.run,
    on_progress: ProgressCallback | None = None,
) -> WebMedia:
    """Probe ``source`` and write the web MP4, posters and thumbnails into
    ``directory``, then decode every output in a child process to check it.

    Raises :class:`InvalidMediaError` for bad input and
    :class:`~vwf.media.errors.ToolError` for failures worth a retry.
    """
    probed = probe(source)
    probed.require_video()
    video_path = directory / "video.mp4"
    plan = transcode(
        source,
        video_path,
        probed,
        options,
        runner=runner,
        progress_file=directory / "progress.txt",
        on_progress=on_progress,
    )

    report = run_checker(video=video_path, runner=runner).video
    assert report is not None
    check_duration(report, probed.video_end_seconds, float(plan.frame_rate))
    _check_size(report.width, report.height, plan)

    poster, animated, thumbnails = _render_images(
        video_path, directory, report.duration_seconds, options, runner
    )
    return WebMedia(
        source=probed,
        plan=plan,
        video=video_path,
        duration_seconds=report.duration_seconds,
        frame_count=report.frame_count,
        poster=poster,
        animated_poster=animated,
        thumbnails=thumbnails,
    )


def _render_images(
    video: Path,
    directory: Path,
    duration: float,
    options: TranscodeOptions,
    runner: ProcessRunner,
) -> tuple[Image, Image, list[Image]]:
    poster = make_poster(video, directory, duration, options, runner)
    latest_start = duration - options.animated_poster_seconds
    start = max(0.0, min(poster.time_seconds, latest_start))
    animated = make_animated_poster(video, directory, start, options, runner)
    thumbnails = make_thumbnails(video, directory, duration, options, runner)
    images = _check_images(animated, thumbnails, duration, options, runner)
    return poster, images[0], images[1:]


def _check_size(width: int, height: int, plan: TranscodePlan) -> None:
    if (width, height) != (plan.width, plan.height):
        raise ToolError(
            f"ffmpeg wrote {width}x{height} instead of {plan.width}x{plan.height}"
        )


def _check_images(
    animated: Path,
    thumbnails: list[Path],
    duration: float,
    options: TranscodeOptions,
    runner: ProcessRunner,
) -> list[Image]:
    if not thumbnails:
        raise InvalidMediaError("no thumbnail could be cut from the video")
    reports = run_checker(images=[animated, *thumbnails], runner=runner).images
    first = reports[animated]
    images = [Image(animated, first.width, first.height, 0.0)]
    for index, path in enumerate(thumbnails):
        report = reports[path]
        time = thumbnail_time(index, duration, options.thumbnail_count)
        images.append(Image(path, report.width, report.height, time))
    return images

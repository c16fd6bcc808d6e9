"""Run the decoding checker (:mod:`vwf.media._check`) in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from vwf.media._reports import ImageReport, VideoReport
from vwf.media._tools import ProcessRunner
from vwf.media.errors import InvalidMediaError, ToolError

TIMESTAMP_SLACK_SECONDS = 0.001
"""Rounding allowance of container timestamps, added to the one-frame tolerance."""


@dataclass(frozen=True)
class CheckReport:
    video: VideoReport | None
    images: dict[Path, ImageReport]


def run_checker(
    *,
    video: Path | None = None,
    images: list[Path] = (),
    runner: ProcessRunner = subprocess.run,
) -> CheckReport:
    """Decode ``video`` fully and open each image in a child process.

    Raises :class:`ToolError` when the child fails or dies (a crash in a
    native decoder ends only the child).
    """
    spec = {"video": str(video) if video else None, "images": [str(p) for p in images]}
    command = [sys.executable, "-m", "vwf.media._check", json.dumps(spec)]
    completed = runner(
        command, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if completed.returncode != 0:
        lines = completed.stderr.decode(errors="replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit status {completed.returncode}"
        raise ToolError(f"decoding check failed: {detail}")
    report = json.loads(completed.stdout)
    return CheckReport(
        video=VideoReport(**report["video"]) if report.get("video") else None,
        images={Path(k): ImageReport(**v) for k, v in report["images"].items()},
    )


def count_decodable_frames(
    path: Path, runner: ProcessRunner = subprocess.run
) -> int | None:
    """Return how many video frames of ``path`` decode, or ``None`` when the
    checker itself fails (so the caller cannot blame the input)."""
    try:
        report = run_checker(video=path, runner=runner)
    except ToolError:
        return None
    return report.video.frame_count if report.video else 0


def check_duration(
    report: VideoReport, expected_seconds: float, frame_rate: float
) -> None:
    """Raise :class:`InvalidMediaError` when the output is shorter than the
    source by more than one frame.

    A longer output is accepted: stream-copied or concatenated files often
    declare a container duration shorter than the frames they hold.
    """
    if report.frame_count == 0:
        raise InvalidMediaError("the video has no decodable frames")
    tolerance = 1 / frame_rate + TIMESTAMP_SLACK_SECONDS
    if expected_seconds - report.duration_seconds > tolerance:
        raise InvalidMediaError(
            f"only {report.duration_seconds:.3f} s of the "
            f"{expected_seconds:.3f} s video could be decoded; the file is "
            "probably truncated or corrupt"
        )

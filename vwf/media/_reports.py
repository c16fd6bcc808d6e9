"""Results of the decoding checker, one per checked file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoReport:
    frame_count: int
    duration_seconds: float
    """End of the last frame minus the start of the first."""
    width: int
    height: int
    has_audio: bool


@dataclass(frozen=True)
class ImageReport:
    width: int
    height: int
    frame_count: int
    mean_luma: float
    """Mean of the luma (0-255) of the first frame."""
    luma_std: float
    """Standard deviation of the luma: a measure of contrast."""

"""Sequential video decoding with PyAV and adaptive frame sampling.

Decoding every frame in order and converting only the sampled ones is faster
than seeking, because each seek decodes again from the previous keyframe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import av
import cv2
import numpy as np

from vwf.faces.errors import VideoDecodeError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoInfo:
    """Properties of a video's first video stream, read from the container."""

    duration: float
    """Duration in seconds, or 0.0 when the container does not state it."""
    frame_rate: float
    """Average frames per second, or 0.0 when unknown."""


@dataclass(frozen=True, eq=False)
class SampledFrame:
    """One decoded frame chosen by the sampler, rotated upright."""

    time: float
    """Presentation time in seconds from the start of the container."""
    image: np.ndarray
    """Full-resolution BGR ``uint8`` pixels."""
    small: np.ndarray
    """``image`` downscaled so its longer side is at most the sampler's size."""

    @property
    def scale(self) -> float:
        """Factor that maps coordinates in ``small`` to coordinates in ``image``."""
        return self.image.shape[1] / self.small.shape[1]


class AdaptiveSchedule:
    """Decide which frames to sample: often while things change, rarely otherwise.

    After each sample the caller reports whether it saw activity (a face
    appeared, vanished or moved, or the scene cut). Activity resets the
    interval to ``1 / max_rate``; each quiet sample lengthens it by
    ``slowdown`` up to ``1 / min_rate``.
    """

    def __init__(
        self, *, min_rate: float = 5.0, max_rate: float = 10.0, slowdown: float = 1.3
    ) -> None:
        if not 0 < min_rate <= max_rate:
            raise ValueError(
                f"invalid sampling rates min_rate={min_rate}, max_rate={max_rate}: "
                "use 0 < min_rate <= max_rate"
            )
        self._shortest = 1.0 / max_rate
        self._longest = 1.0 / min_rate
        self._slowdown = slowdown
        self._interval = self._shortest
        self._next_time: float | None = None

    @property
    def interval(self) -> timedelta:
        """Current time between two samples."""
        return timedelta(seconds=self._interval)

    def is_due(self, time: float) -> bool:
        """Tell whether the frame at ``time`` seconds should be sampled."""
        # Half a millisecond of slack absorbs rounding of frame timestamps.
        return self._next_time is None or time >= self._next_time - 0.0005

    def record(self, time: float, *, active: bool) -> None:
        """Record a sample taken at ``time`` seconds and whether it showed activity."""
        if active:
            self._interval = self._shortest
        else:
            self._interval = min(self._interval * self._slowdown, self._longest)
        self._next_time = time + self._interval


class VideoReader:
    """A video file opened for sequential decoding of its first video stream."""

    def __init__(self, path: Path) -> None:
        self._path = path
        try:
            self._container = av.open(str(path))
        except (av.FFmpegError, OSError) as exc:
            raise VideoDecodeError(
                f"cannot open video {path}: {exc}; check that the file is a "
                "complete video that ffprobe can read"
            ) from exc
        if not self._container.streams.video:
            self._container.close()
            raise VideoDecodeError(
                f"video {path} has no video stream; upload a file with a picture"
            )
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the decoder and the file."""
        self._container.close()

    @property
    def info(self) -> VideoInfo:
        """Duration and frame rate of the video."""
        rate = self._stream.average_rate
        return VideoInfo(
            duration=self._duration(), frame_rate=float(rate) if rate else 0.0
        )

    def sample(
        self, schedule: AdaptiveSchedule, *, max_side: int = 640
    ) -> Iterator[SampledFrame]:
        """Decode the video in order, yielding the frames ``schedule`` requests.

        The caller reports each sample to ``schedule`` before asking for the
        next one, so the sampling rate follows what the caller detects.
        """
        start = self._start_time()
        for frame in self._decode():
            if frame.time is None:
                continue
            time = float(frame.time) - start
            if not schedule.is_due(time):
                continue
            # NOTE: VideoFrame.rotation exists in PyAV 18, tested here, but not
            # in every older release pyproject.toml allows. Without it the
            # rotation metadata is ignored, but vwf's own transcodes carry none.
            rotation = getattr(frame, "rotation", 0)
            image = _upright(frame.to_ndarray(format="bgr24"), rotation)
            yield SampledFrame(time=time, image=image, small=_shrink(image, max_side))

    def _decode(self) -> Iterator[av.VideoFrame]:
        decoded = 0
        try:
            for frame in self._container.decode(self._stream):
                decoded += 1
                yield frame
        except av.FFmpegError as exc:
            if decoded == 0:
                raise VideoDecodeError(
                    f"cannot decode any frame of video {self._path}: {exc}"
                ) from exc
            # A truncated file ends in a decode error: keep what was decoded.
            logger.warning(
                "decoding %s failed after %d frames, using those: %s",
                self._path,
                decoded,
                exc,
            )

    def _start_time(self) -> float:
        # Players count time from the container's start, the earliest stream
        # start (MPEG-TS starts well above zero). The video may start later,
        # after a few seconds of audio for example, and keeps that offset.
        if self._container.start_time is not None:
            return self._container.start_time / av.time_base
        if self._stream.start_time is None or self._stream.time_base is None:
            return 0.0
        return float(self._stream.start_time * self._stream.time_base)

    def _duration(self) -> float:
        if self._container.duration is not None:
            return self._container.duration / av.time_base
        if self._stream.duration is not None and self._stream.time_base is not None:
            return float(self._stream.duration * self._stream.time_base)
        return 0.0


def _quarter_turns(rotation: int | float) -> int:
    """Round a counterclockwise rotation in degrees to a number of quarter turns."""
    return round(rotation / 90) % 4


def _upright(image: np.ndarray, rotation: int | float) -> np.ndarray:
    """Apply a display-matrix rotation (counterclockwise degrees, as in PyAV)."""
    turns = _quarter_turns(rotation)
    if turns == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, turns))


def _shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    if max(height, width) <= max_side:
        return image
    factor = max_side / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)

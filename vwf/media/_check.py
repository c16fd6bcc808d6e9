"""Decode outputs in a child process and report what they contain.

Run as ``python -m vwf.media._check SPEC_JSON``, where the spec names a video
and images. The report, JSON on standard output, gives the video's frame
count, duration and size, and each image's size, frame count and brightness.
A decoder crash in native code kills only this child process.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from vwf.media._reports import ImageReport, VideoReport


def check_video(path: str) -> VideoReport:
    """Decode every frame of the first video stream of ``path``.

    Decoding stops at the first error that the decoder cannot skip, and the
    report covers the frames decoded until then.
    """
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        count, first, last_end, size = 0, None, 0.0, (0, 0)
        for frame in _decode(container, stream):
            count += 1
            size = (frame.width, frame.height)
            if frame.pts is None:
                continue
            start = float(frame.pts * stream.time_base)
            duration = float((frame.duration or 0) * stream.time_base)
            first = start if first is None else min(first, start)
            last_end = max(last_end, start + (duration or _frame_time(stream)))
        return VideoReport(
            frame_count=count,
            duration_seconds=last_end - (first or 0.0),
            width=size[0],
            height=size[1],
            has_audio=bool(container.streams.audio),
        )


def _decode(container: Any, stream: Any) -> Iterator[Any]:
    import av

    try:
        yield from container.decode(stream)
    except av.error.FFmpegError as exc:
        print(f"decoding stopped: {exc}", file=sys.stderr)


def check_image(path: str) -> ImageReport:
    import numpy
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        frame_count = getattr(image, "n_frames", 1)
        luma = numpy.asarray(image.convert("L"), dtype=numpy.float32)
        return ImageReport(
            width=image.width,
            height=image.height,
            frame_count=frame_count,
            mean_luma=float(luma.mean()),
            luma_std=float(luma.std()),
        )


def _frame_time(stream: Any) -> float:
    rate = stream.average_rate or stream.guessed_rate
    return float(1 / rate) if rate else 0.0


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    report: dict[str, Any] = {"images": {}}
    if spec.get("video"):
        report["video"] = asdict(check_video(spec["video"]))
    for path in spec.get("images", []):
        report["images"][path] = asdict(check_image(path))
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

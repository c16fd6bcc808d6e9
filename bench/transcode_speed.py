"""Transcode speed as a multiple of real time, for 720p and 1080p inputs.

Generates H.264 + AAC inputs with ffmpeg (``testsrc2`` and a sine tone, 30
fps) in a temporary directory, then times two things on each:

- ``transcode``: the web MP4 alone (:func:`vwf.media._transcode.transcode`,
  720p output, libx264 ``veryfast``, ``--threads`` threads);
- ``render``: everything the Transcode stage makes before uploading
  (:func:`vwf.media.render_web_media`: web MP4, full decode check in a child
  process, poster, animated poster, 10 thumbnails).

Speed is the input's duration divided by the wall-clock time, so 2.0x means
a 30 s video takes 15 s.

    .venv/bin/python bench/transcode_speed.py               # 25 s inputs
    .venv/bin/python bench/transcode_speed.py --seconds 5   # smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

from vwf.media import TranscodeOptions, probe, render_web_media
from vwf.media._transcode import transcode

SIZES = {"720p": "1280x720", "1080p": "1920x1080"}


def make_input(path: Path, size: str, seconds: float) -> None:
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=s={size}:r=30:d={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
            "-c:v", "libx264", "-preset", "fast", "-crf", "20", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip


def time_transcode(source: Path, directory: Path, options: TranscodeOptions) -> float:
    started = time.perf_counter()
    transcode(source, directory / "video.mp4", probe(source), options)
    return time.perf_counter() - started


def time_render(source: Path, directory: Path, options: TranscodeOptions) -> float:
    started = time.perf_counter()
    render_web_media(source, directory, options)
    return time.perf_counter() - started


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory_kb / 1024**2:.0f} GB RAM, "
        f"{platform.system()} {platform.release()}, load {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=25.0,
        help="length of each generated input, in seconds",
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="threads per ffmpeg process"
    )
    args = parser.parse_args()
    options = TranscodeOptions(threads=args.threads)

    print(machine())
    print(f"{'input':<8}{'step':<11}{'seconds':>9}{'speed':>9}")
    with tempfile.TemporaryDirectory(prefix="vwf-bench-") as temp:
        for label, size in SIZES.items():
            source = Path(temp) / f"{label}.mp4"
            make_input(source, size, args.seconds)
            for step, run in (("transcode", time_transcode), ("render", time_render)):
                directory = Path(tempfile.mkdtemp(dir=temp))
                elapsed = run(source, directory, options)
                speed = args.seconds / elapsed
                print(f"{label:<8}{step:<11}{elapsed:>9.1f}{speed:>8.1f}x")


if __name__ == "__main__":
    main()

"""Short test clips made with ffmpeg: one recipe per unusual input."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from pathlib import Path

# Upright content: the top half white, the bottom half black.
_HALVES = (
    "color=white:s={w}x{h2}:r=30:d=2[top];"
    "color=black:s={w}x{h2}:r=30:d=2[bottom];[top][bottom]vstack"
)
_SINE = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-v", "error", "-y", *args],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def _testsrc(size: str = "320x240", rate: int = 30, seconds: float = 2) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d={seconds}"]


def _h264(*extra: str) -> list[str]:
    return ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra]


def make_base(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc(), *_SINE, *_h264(), "-c:a", "aac", "-shortest", str(out))


def make_moov_at_end(out: Path, make: Make) -> None:
    make_base(out, make)


def make_faststart(out: Path, make: Make) -> None:
    ffmpeg(
        "-i", str(make("base.mp4")), "-c", "copy", "-movflags", "+faststart", str(out)
    )


def _make_rotated(out: Path, transpose: str, rotate: int) -> None:
    # A portrait 240x320 picture stored sideways, as a phone sensor records
    # it, with the display rotation that turns it upright again.
    sideways = out.with_name(f"sideways-{rotate}.mp4")
    halves = _HALVES.format(w=240, h2=160)
    ffmpeg("-f", "lavfi", "-i", halves, *_SINE, "-vf", f"transpose={transpose}",
           *_h264(), "-c:a", "aac", "-shortest", str(sideways))  # fmt: skip
    ffmpeg("-i", str(sideways), "-c", "copy", "-metadata:s:v", f"rotate={rotate}",
           str(out))  # fmt: skip


def make_rotate90(out: Path, make: Make) -> None:
    _make_rotated(out, "clock", 90)


def make_rotate270(out: Path, make: Make) -> None:
    _make_rotated(out, "cclock", 270)


def make_upright(out: Path, make: Make) -> None:
    halves = _HALVES.format(w=240, h2=160)
    ffmpeg("-f", "lavfi", "-i", halves, *_SINE, *_h264(), "-c:a", "aac",
           "-shortest", str(out))  # fmt: skip


def make_vfr(out: Path, make: Make) -> None:
    # 30 fps for the first second, then every third frame (10 fps).
    keep = "select='lt(n\\,30)+not(mod(n\\,3))'"
    ffmpeg(*_testsrc(), *_SINE, "-vf", keep, "-fps_mode", "vfr", *_h264(),
           "-c:a", "aac", "-shortest", str(out))  # fmt: skip


def make_odd_size(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc("853x481"), *_SINE, "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv444p", "-c:a", "aac", "-shortest", str(out))  # fmt: skip


def make_anamorphic(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc("480x360"), "-vf", "setsar=4/3", *_h264(), str(out))


def make_hdr_hlg(out: Path, make: Make) -> None:
    tags = "colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc"
    ffmpeg(*_testsrc("320x240", seconds=1), "-c:v", "libx265", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p10le", "-x265-params", f"log-level=error:{tags}",
           "-color_trc", "arib-std-b67", "-color_primaries", "bt2020",
           "-colorspace", "bt2020nc", "-tag:v", "hvc1", str(out))  # fmt: skip


def make_reserved_colour(out: Path, make: Make) -> None:
    # Code 3 is reserved in all three H.264 colour tables.
    reserved = (
        "h264_metadata=colour_primaries=3:transfer_characteristics=3"
        ":matrix_coefficients=3"
    )
    ffmpeg("-i", str(make("base.mp4")), "-c", "copy", "-bsf:v", reserved, str(out))


def make_audio_only(out: Path, make: Make) -> None:
    ffmpeg(*_SINE, "-c:a", "aac", str(out))


def make_no_frames(out: Path, make: Make) -> None:
    # The trim filter drops every frame, so the video track has a header only.
    empty = "testsrc2=s=320x240:r=30:d=2,trim=start=5"
    ffmpeg("-f", "lavfi", "-i", empty, *_SINE, *_h264(), "-c:a", "aac", str(out))


def make_cut_half(out: Path, make: Make) -> None:
    data = make("moov_at_end.mp4").read_bytes()
    out.write_bytes(data[: len(data) // 2])


def make_cut_after_header(out: Path, make: Make) -> None:
    data = make("faststart.mp4").read_bytes()
    mdat = data.index(b"mdat")
    out.write_bytes(data[: mdat + 64])


def make_corrupt_middle(out: Path, make: Make) -> None:
    data = bytearray(make("faststart.mp4").read_bytes())
    start, end = len(data) // 4, len(data) * 3 // 4
    data[start:end] = random.Random(7).randbytes(end - start)
    out.write_bytes(bytes(data))


def make_random_bytes(out: Path, make: Make) -> None:
    out.write_bytes(random.Random(3).randbytes(50_000))


def make_still_image(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc(seconds=1), "-frames:v", "1", str(out))


def make_tiny(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc("8x8", seconds=0.5), *_h264(), str(out))


def make_huge(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc("8200x16", seconds=0.2), *_h264(), str(out))


def make_raw_h264(out: Path, make: Make) -> None:
    # An elementary stream: no container, so no header states a duration.
    ffmpeg(*_testsrc(), *_h264(), "-f", "h264", str(out))


def make_with_location(out: Path, make: Make) -> None:
    ffmpeg("-i", str(make("base.mp4")), "-c", "copy",
           "-metadata", "location=+48.8584+002.2945/",
           "-metadata", "creation_time=2021-06-01T12:30:00Z", str(out))  # fmt: skip


def make_mkv(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc(), *_SINE, *_h264(), "-c:a", "aac", "-shortest", str(out))


def make_webm(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc(), *_SINE, "-c:v", "libvpx-vp9", "-deadline", "realtime",
           "-cpu-used", "8", "-c:a", "libopus", "-shortest", str(out))  # fmt: skip


def make_avi(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc(), *_SINE, "-c:v", "mpeg4", "-q:v", "5", "-c:a", "pcm_s16le",
           "-shortest", str(out))  # fmt: skip


def make_3gp(out: Path, make: Make) -> None:
    ffmpeg(*_testsrc("176x144"), *_SINE, *_h264(), "-c:a", "aac", "-ar", "16000",
           "-ac", "1", "-shortest", str(out))  # fmt: skip


Make = Callable[[str], Path]

RECIPES: dict[str, Callable[[Path, Make], None]] = {
    "base.mp4": make_base,
    "moov_at_end.mp4": make_moov_at_end,
    "faststart.mp4": make_faststart,
    "rotate90.mp4": make_rotate90,
    "rotate270.mp4": make_rotate270,
    "upright.mp4": make_upright,
    "vfr.mp4": make_vfr,
    "odd_size.mp4": make_odd_size,
    "anamorphic.mp4": make_anamorphic,
    "hdr_hlg.mov": make_hdr_hlg,
    "reserved_colour.mp4": make_reserved_colour,
    "audio_only.m4a": make_audio_only,
    "no_frames.mkv": make_no_frames,
    "cut_half.mp4": make_cut_half,
    "cut_after_header.mp4": make_cut_after_header,
    "corrupt_middle.mp4": make_corrupt_middle,
    "random_bytes.mp4": make_random_bytes,
    "still_image.jpg": make_still_image,
    "tiny.mp4": make_tiny,
    "huge.mp4": make_huge,
    "raw.h264": make_raw_h264,
    "with_location.mp4": make_with_location,
    "container.mkv": make_mkv,
    "container.webm": make_webm,
    "container.avi": make_avi,
    "container.3gp": make_3gp,
}


class ClipFactory:
    """Makes each clip once, on first request, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __call__(self, name: str) -> Path:
        path = self.directory / name
        if not path.exists():
            RECIPES[name](path, self)
        return path

"""Short test videos made with ffmpeg from the shared portrait photos."""

from __future__ import annotations

import subprocess
from pathlib import Path

PEOPLE = Path("photos/people")


def run_ffmpeg(*arguments: str) -> None:
    """Run ffmpeg quietly, raising with its stderr if it fails."""
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr}")


def zooming_portrait(shared_data: Path, output: Path, seconds: float = 4) -> Path:
    """Make a 640x480 clip of one portrait slowly zooming in and drifting."""
    photo = shared_data / PEOPLE / "barack_obama/01.jpg"
    frames = int(seconds * 25)
    zoom = (
        f"scale=800:-2,zoompan=z='1+0.3*on/{frames}':x='iw/2-iw/zoom/2+on':"
        f"y='ih/3-ih/zoom/3':d={frames}:s=640x480:fps=25"
    )
    run_ffmpeg(
        "-i", str(photo), "-vf", zoom, "-frames:v", str(frames), *h264_output(output)
    )
    return output


def side_by_side(shared_data: Path, output: Path, seconds: float = 3) -> Path:
    """Make a clip of two portraits of different people next to each other."""
    left = shared_data / PEOPLE / "barack_obama/01.jpg"
    right = shared_data / PEOPLE / "joe_biden/01.jpg"
    graph = "[0]scale=-2:480[a];[1]scale=-2:480[b];[a][b]hstack,scale=960:-2"
    run_ffmpeg(
        *looped_input(left, seconds),
        *looped_input(right, seconds),
        "-filter_complex",
        graph,
        *h264_output(output),
    )
    return output


def cut_between_people(shared_data: Path, output: Path, seconds: float = 2) -> Path:
    """Make a clip of one portrait, then a hard cut to another person framed alike."""
    first = shared_data / PEOPLE / "barack_obama/01.jpg"
    second = shared_data / PEOPLE / "joe_biden/01.jpg"
    graph = (
        "[0]scale=480:600:force_original_aspect_ratio=increase,crop=480:600[a];"
        "[1]scale=480:600:force_original_aspect_ratio=increase,crop=480:600[b];"
        "[a][b]concat=n=2:v=1:a=0"
    )
    run_ffmpeg(
        *looped_input(first, seconds),
        *looped_input(second, seconds),
        "-filter_complex",
        graph,
        *h264_output(output),
    )
    return output


def looped_input(photo: Path, seconds: float) -> list[str]:
    """Return ffmpeg input options showing ``photo`` for ``seconds`` at 25 fps."""
    return ["-loop", "1", "-framerate", "25", "-t", str(seconds), "-i", str(photo)]


def h264_output(output: Path) -> list[str]:
    """Return ffmpeg output options for a small H.264 MP4 at ``output``."""
    return [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        str(output),
    ]

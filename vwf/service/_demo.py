"""The demo: a short video made from public-domain portraits that ship inside
installed packages, and a folder with one known person.

- Grace Hopper, US Navy photo, public domain: ``matplotlib`` sample data.
- Eileen Collins, NASA photo, public domain: ``scikit-image``'s ``astronaut``.

The video shows Grace Hopper alone, then Eileen Collins alone, then both side
by side. Grace Hopper is imported as a known person, so a correct run
recognises her and makes Eileen Collins one new person.
"""

from __future__ import annotations

import importlib.resources
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from vwf.errors import VwfError

KNOWN_NAME = "Grace Hopper"
SEGMENT_SECONDS = 4


@dataclass(frozen=True)
class DemoInputs:
    video: Path
    people_dir: Path


def portrait_paths() -> tuple[Path, Path]:
    """Return the Grace Hopper and Eileen Collins portraits on disk."""
    try:
        hopper = importlib.resources.files("matplotlib").joinpath(
            "mpl-data/sample_data/grace_hopper.jpg"
        )
        collins = importlib.resources.files("skimage").joinpath("data/astronaut.png")
    except ModuleNotFoundError as exc:
        raise VwfError(
            f"the demo portraits ship with matplotlib and scikit-image, but "
            f"{exc.name} is not installed; run scripts/setup"
        ) from exc
    return Path(str(hopper)), Path(str(collins))


def make_demo_inputs(directory: Path) -> DemoInputs:
    """Write a new demo video and the known-people folder under ``directory``."""
    hopper, collins = portrait_paths()
    directory.mkdir(parents=True, exist_ok=True)
    people_dir = directory / "people"
    known = people_dir / KNOWN_NAME
    known.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(hopper, known / hopper.name)
    video = directory / "demo.mp4"
    _render_video(hopper, collins, video)
    return DemoInputs(video=video, people_dir=people_dir)


def _render_video(first: Path, second: Path, output: Path) -> None:
    seconds = str(SEGMENT_SECONDS)
    # Each portrait is scaled to 360 px high, padded to 640x360 and shown
    # alone; the last segment shows both halves side by side.
    graph = (
        "[0:v]scale=-2:360,pad=640:360:(ow-iw)/2:0,setsar=1,fps=25[a];"
        "[1:v]scale=-2:360,pad=640:360:(ow-iw)/2:0,setsar=1,fps=25[b];"
        "[2:v]scale=-2:300,pad=320:360:(ow-iw)/2:30,setsar=1[c];"
        "[3:v]scale=-2:300,pad=320:360:(ow-iw)/2:30,setsar=1[d];"
        "[c][d]hstack=inputs=2,fps=25[both];"
        "[a][b][both]concat=n=3:v=1:a=0,format=yuv420p[v]"
    )
    inputs = []
    for path in (first, second, first, second):
        inputs += ["-loop", "1", "-t", seconds, "-i", str(path)]
    command = ["ffmpeg", "-v", "error", "-y", *inputs]
    command += ["-filter_complex", graph, "-map", "[v]", "-c:v", "libx264"]
    # A unique tag makes each rendering a new file, so running the demo again
    # in the same data directory is not rejected as a duplicate. The second
    # run then recognises both people from the first.
    command += ["-metadata", f"comment=vwf-demo-{uuid.uuid4()}"]
    command += ["-preset", "veryfast", "-movflags", "+faststart", str(output)]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise VwfError("ffmpeg not found; run scripts/setup to install it") from exc
    except subprocess.CalledProcessError as exc:
        raise VwfError(f"ffmpeg could not render the demo video: {exc.stderr}") from exc

from __future__ import annotations

from pathlib import Path

import numpy
import pytest
from PIL import Image

from tests.media.clips import ffmpeg
from vwf.media import TranscodeOptions
from vwf.media._images import exposure_score, make_poster, poster_candidate_times
from vwf.media._reports import ImageReport


@pytest.fixture(scope="module")
def dark_then_bright(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s: black until 3.2 s, then a bright test pattern."""
    path = tmp_path_factory.mktemp("images") / "dark_then_bright.mp4"
    graph = (
        "color=black:s=320x240:r=30:d=3.2[dark];"
        "testsrc2=s=320x240:r=30:d=4.8[bright];[dark][bright]concat=n=2:v=1:a=0"
    )
    ffmpeg("-f", "lavfi", "-i", graph, "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


def test_poster_skips_dark_frames(dark_then_bright: Path, tmp_path: Path) -> None:
    poster = make_poster(dark_then_bright, tmp_path, 8.0, TranscodeOptions())

    with Image.open(poster.path) as image:
        luma = numpy.asarray(image.convert("L"), dtype=numpy.float32)
    assert poster.time_seconds >= 3.5
    assert luma.mean() > 40


def test_candidates_around_three_seconds() -> None:
    times = poster_candidate_times(10.0, TranscodeOptions())

    assert times == [2.0, 2.5, 3.0, 3.5, 4.0]


def test_candidates_middle_of_short_clip() -> None:
    times = poster_candidate_times(2.0, TranscodeOptions())

    assert times == [0.0, 0.5, 1.0, 1.5, 1.9]


def test_exposure_prefers_contrast_at_mid_grey() -> None:
    flat = ImageReport(320, 240, 1, mean_luma=128.0, luma_std=2.0)
    detailed = ImageReport(320, 240, 1, mean_luma=120.0, luma_std=60.0)
    white = ImageReport(320, 240, 1, mean_luma=250.0, luma_std=60.0)

    assert exposure_score(detailed) > exposure_score(flat)
    assert exposure_score(detailed) > exposure_score(white)

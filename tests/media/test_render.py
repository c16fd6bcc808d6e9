"""Transcode real clips and check the files by decoding them."""

from __future__ import annotations

from pathlib import Path

import av
import numpy
import pytest
from PIL import Image

from tests.media.clips import ClipFactory
from vwf.media import (
    InvalidMediaError,
    NotAVideoError,
    TranscodeOptions,
    WebMedia,
    probe,
    render_web_media,
)

OPTIONS = TranscodeOptions(threads=1)


@pytest.fixture(scope="module")
def rendered(clips: ClipFactory, tmp_path_factory: pytest.TempPathFactory):
    """Render each clip once per module with :data:`OPTIONS`."""
    cache: dict[str, WebMedia] = {}

    def render(name: str) -> WebMedia:
        if name not in cache:
            directory = tmp_path_factory.mktemp("rendered")
            cache[name] = render_web_media(clips(name), directory, OPTIONS)
        return cache[name]

    return render


def _render(clips: ClipFactory, name: str, tmp_path: Path, **options) -> WebMedia:
    directory = tmp_path / "out"
    directory.mkdir()
    return render_web_media(clips(name), directory, TranscodeOptions(**options))


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        return float(audio.duration * audio.time_base)


def _first_frame_luma(path: Path) -> numpy.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return numpy.asarray(frame.to_image().convert("L"), dtype=numpy.float32)


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("base.mp4", (320, 240)),
        ("container.mkv", (320, 240)),
        ("container.webm", (320, 240)),
        ("container.avi", (320, 240)),
        ("container.3gp", (176, 144)),
        ("raw.h264", (320, 240)),
    ],
)
def test_render_containers(rendered, name, size) -> None:
    web = rendered(name)

    output = probe(web.video).require_video()
    assert (output.width, output.height) == size
    assert output.codec == "h264"
    assert output.pix_fmt == "yuv420p"


def test_render_duration_within_one_frame(rendered) -> None:
    web = rendered("base.mp4")

    assert web.frame_count == 60
    assert abs(web.duration_seconds - 2.0) <= 1 / 30


def test_render_output_is_faststart(rendered) -> None:
    web = rendered("base.mp4")

    data = web.video.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


def test_render_keeps_audio(rendered) -> None:
    web = rendered("base.mp4")

    audio = probe(web.video).audio
    assert audio is not None
    assert audio.codec == "aac"


def test_render_drops_location_metadata(rendered) -> None:
    web = rendered("with_location.mp4")

    assert probe(web.video).latitude is None
    assert web.source.latitude == 48.8584


@pytest.mark.parametrize("name", ["rotate90.mp4", "rotate270.mp4", "upright.mp4"])
def test_render_rotation_pixels_upright(rendered, name) -> None:
    web = rendered(name)

    luma = _first_frame_luma(web.video)
    assert luma.shape == (320, 240)
    assert luma[:150].mean() > 200  # top half white
    assert luma[170:].mean() < 50  # bottom half black


@pytest.mark.parametrize("name", ["rotate90.mp4", "rotate270.mp4"])
def test_render_rotation_tag_cleared(rendered, name) -> None:
    web = rendered(name)

    assert probe(web.video).require_video().rotation == 0


def test_render_poster_upright(rendered) -> None:
    web = rendered("rotate90.mp4")

    with Image.open(web.poster.path) as poster:
        luma = numpy.asarray(poster.convert("L"), dtype=numpy.float32)
    assert poster.size == (240, 320)
    assert luma[:150].mean() > luma[170:].mean()


def test_render_odd_size_even_output(rendered) -> None:
    web = rendered("odd_size.mp4")

    output = probe(web.video).require_video()
    assert (output.width, output.height) == (852, 480)
    assert output.pix_fmt == "yuv420p"


def test_render_anamorphic_square_pixels(rendered) -> None:
    web = rendered("anamorphic.mp4")

    output = probe(web.video).require_video()
    assert (output.width, output.height) == (640, 360)
    assert output.sample_aspect_ratio == 1


def test_render_max_height_limits_short_side(clips, tmp_path) -> None:
    web = _render(clips, "rotate90.mp4", tmp_path, max_height=120, threads=1)

    output = probe(web.video).require_video()
    assert (output.width, output.height) == (120, 160)


def test_render_vfr_becomes_constant_rate(rendered, clips) -> None:
    source = probe(clips("vfr.mp4")).require_video()

    web = rendered("vfr.mp4")

    output = probe(web.video)
    video = output.require_video()
    assert not video.is_vfr
    assert video.avg_frame_rate == source.avg_frame_rate
    assert abs(web.duration_seconds - source.duration_seconds) <= 1.001 / float(
        video.avg_frame_rate
    )


def test_render_vfr_keeps_audio_in_sync(rendered, clips) -> None:
    web = rendered("vfr.mp4")

    source_audio = _audio_seconds(clips("vfr.mp4"))
    # One AAC frame (1024 samples at 44.1 kHz) is 23 ms.
    assert abs(_audio_seconds(web.video) - source_audio) < 0.024


def test_render_hdr_tone_mapped_to_sdr(rendered) -> None:
    web = rendered("hdr_hlg.mov")

    output = probe(web.video).require_video()
    assert output.pix_fmt == "yuv420p"
    assert output.color_transfer == "bt709"
    assert output.color_primaries == "bt709"
    assert output.color_space == "bt709"


def test_render_hdr_poster_not_washed_out(rendered) -> None:
    web = rendered("hdr_hlg.mov")

    with Image.open(web.poster.path) as poster:
        luma = numpy.asarray(poster.convert("L"), dtype=numpy.float32)
    assert 30 < luma.mean() < 220
    assert luma.std() > 30


def test_render_reserved_colour_tags_normalised(rendered) -> None:
    web = rendered("reserved_colour.mp4")

    output = probe(web.video).require_video()
    assert output.color_primaries == "bt709"
    assert output.color_transfer == "bt709"
    assert output.color_space == "bt709"


def test_render_posters_and_thumbnails_decode(rendered) -> None:
    web = rendered("base.mp4")

    with Image.open(web.poster.path) as poster:
        assert poster.size == (320, 240)
    with Image.open(web.animated_poster.path) as animated:
        assert animated.n_frames > 1
        assert animated.size[1] == 240
    assert len(web.thumbnails) == 10
    assert [t.height for t in web.thumbnails] == [180] * 10


def test_render_thumbnail_times_spread(rendered) -> None:
    web = rendered("base.mp4")

    times = [thumbnail.time_seconds for thumbnail in web.thumbnails]
    assert times == sorted(times)
    assert times[-1] == pytest.approx(1.8)


def test_render_poster_middle_of_short_clip(rendered) -> None:
    web = rendered("base.mp4")

    assert 0.0 <= web.poster.time_seconds <= 2.0


@pytest.mark.parametrize(
    ("name", "error", "reason"),
    [
        (
            "audio_only.m4a",
            NotAVideoError,
            "the file is audio only: it has no video stream",
        ),
        ("still_image.jpg", NotAVideoError, "the file is a still image, not a video"),
        ("no_frames.mkv", InvalidMediaError, "the video has no decodable frames"),
        (
            "cut_after_header.mp4",
            InvalidMediaError,
            "the video has no decodable frames",
        ),
        (
            "tiny.mp4",
            InvalidMediaError,
            "the video width of 8 px is outside the supported 16-8192 px",
        ),
        (
            "huge.mp4",
            InvalidMediaError,
            "the video width of 8200 px is outside the supported 16-8192 px",
        ),
    ],
)
def test_render_bad_input_reason(rendered, name, error, reason) -> None:
    with pytest.raises(error) as raised:
        rendered(name)

    assert str(raised.value) == reason


def test_render_corrupt_middle_reason(rendered) -> None:
    # The count varies by a frame or two with the decoder's threading.
    pattern = r"^the video is corrupt: \d+ of about 60 frames failed to decode$"

    with pytest.raises(InvalidMediaError, match=pattern):
        rendered("corrupt_middle.mp4")


@pytest.mark.parametrize("name", ["random_bytes.mp4", "cut_half.mp4"])
def test_render_unreadable_file_reason(rendered, name) -> None:
    with pytest.raises(NotAVideoError) as raised:
        rendered(name)

    assert str(raised.value) == (
        "the file is not a readable media file "
        "(Invalid data found when processing input)"
    )


@pytest.mark.shared_data
@pytest.mark.parametrize(
    "name", ["white_house_music_10s.mp4", "tears_of_steel_10s.mp4"]
)
def test_render_shared_videos(shared_data, tmp_path, name) -> None:
    source = shared_data / "videos" / name
    directory = tmp_path / "out"
    directory.mkdir()

    web = render_web_media(source, directory, OPTIONS)

    expected = probe(source).video_end_seconds
    assert (web.plan.width, web.plan.height) == (640, 360)
    assert abs(web.duration_seconds - expected) <= 1.001 / float(web.plan.frame_rate)

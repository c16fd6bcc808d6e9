from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from tests.media.clips import ClipFactory
from vwf.media import NotAVideoError, probe
from vwf.media._probe import _parse_creation_time, _parse_location, _parse_rotation


def test_probe_base_streams(clips: ClipFactory) -> None:
    result = probe(clips("base.mp4"))

    assert result.video is not None
    assert (result.video.width, result.video.height) == (320, 240)
    assert result.video.duration_seconds == 2.0
    assert result.audio is not None
    assert result.audio.codec == "aac"


@pytest.mark.parametrize("name", ["rotate90.mp4", "rotate270.mp4"])
def test_probe_rotation_swaps_display_size(clips: ClipFactory, name: str) -> None:
    video = probe(clips(name)).require_video()

    assert video.rotation in (90, 270)
    assert (video.width, video.height) == (320, 240)
    assert video.display_size == (240, 320)


def test_probe_rotation_90_and_270_differ(clips: ClipFactory) -> None:
    first = probe(clips("rotate90.mp4")).require_video().rotation
    second = probe(clips("rotate270.mp4")).require_video().rotation

    assert {first, second} == {90, 270}


def test_legacy_rotate_tag_counts_clockwise() -> None:
    assert _parse_rotation({"tags": {"rotate": "90"}}) == 270


def test_display_matrix_wins_over_tag() -> None:
    stream = {"side_data_list": [{"rotation": -90}], "tags": {"rotate": "0"}}

    assert _parse_rotation(stream) == 270


def test_probe_location_and_creation_time(clips: ClipFactory) -> None:
    result = probe(clips("with_location.mp4"))

    assert (result.latitude, result.longitude) == (48.8584, 2.2945)
    assert result.recorded_at == datetime(2021, 6, 1, 12, 30, tzinfo=UTC)


def test_quicktime_location_tag_parsed() -> None:
    tags = {"com.apple.quicktime.location.iso6709": "-33.8568+151.2153+012.000/"}

    assert _parse_location(tags) == (-33.8568, 151.2153)


def test_location_out_of_range_ignored() -> None:
    assert _parse_location({"location": "+95.0+200.0/"}) == (None, None)


def test_quicktime_creation_date_with_offset() -> None:
    tags = {"com.apple.quicktime.creationdate": "2021-06-01T14:30:00+0200"}

    assert _parse_creation_time(tags) == datetime(2021, 6, 1, 12, 30, tzinfo=UTC)


def test_zero_creation_date_ignored() -> None:
    assert _parse_creation_time({"creation_time": "1970-01-01T00:00:00Z"}) is None


def test_probe_vfr_detected(clips: ClipFactory) -> None:
    video = probe(clips("vfr.mp4")).require_video()

    assert video.is_vfr
    assert video.r_frame_rate == Fraction(30)


def test_probe_cfr_not_vfr(clips: ClipFactory) -> None:
    assert not probe(clips("base.mp4")).require_video().is_vfr


def test_probe_hdr_colour_tags(clips: ClipFactory) -> None:
    video = probe(clips("hdr_hlg.mov")).require_video()

    assert video.is_hdr
    assert video.color_transfer == "arib-std-b67"
    assert video.color_primaries == "bt2020"
    assert video.pix_fmt == "yuv420p10le"


def test_probe_reserved_colour_tags_unknown(clips: ClipFactory) -> None:
    video = probe(clips("reserved_colour.mp4")).require_video()

    assert video.color_primaries is None
    assert video.color_transfer is None
    assert video.color_space is None


def test_probe_anamorphic_aspect(clips: ClipFactory) -> None:
    video = probe(clips("anamorphic.mp4")).require_video()

    assert video.sample_aspect_ratio == Fraction(4, 3)
    assert video.display_size == (640, 360)


def test_probe_duration_scanned_without_headers(clips: ClipFactory) -> None:
    video = probe(clips("raw.h264")).require_video()

    assert video.duration_seconds == pytest.approx(2.0, abs=0.001)
    assert video.frame_count == 60


def test_probe_audio_only_rejected(clips: ClipFactory) -> None:
    with pytest.raises(NotAVideoError, match="audio only"):
        probe(clips("audio_only.m4a")).require_video()


@pytest.mark.parametrize("name", ["random_bytes.mp4", "cut_half.mp4"])
def test_probe_unreadable_rejected(clips: ClipFactory, name: str) -> None:
    with pytest.raises(NotAVideoError, match="not a readable media file"):
        probe(clips(name))


def test_probe_still_image_rejected(clips: ClipFactory) -> None:
    with pytest.raises(NotAVideoError, match="still image"):
        probe(clips("still_image.jpg"))


@pytest.mark.shared_data
def test_probe_shared_video(shared_data) -> None:
    result = probe(shared_data / "videos" / "white_house_music_10s.mp4")

    assert result.require_video().display_size == (640, 360)
    assert result.audio is not None

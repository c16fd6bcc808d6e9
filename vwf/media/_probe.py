"""Read a media file's streams and metadata with ``ffprobe``."""

from __future__ import annotations

import json
import logging
import math
import re
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from vwf.media.errors import InvalidMediaError, NotAVideoError, ToolError

logger = logging.getLogger(__name__)

FFPROBE = "ffprobe"

# ISO 6709 point such as "+48.8584+002.2945+035.000/": latitude then longitude.
_ISO6709 = re.compile(r"^\s*([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")
_LOCATION_TAGS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng")
_CREATION_TAGS = ("com.apple.quicktime.creationdate", "creation_time", "date")
_HDR_TRANSFERS = frozenset({"arib-std-b67", "smpte2084"})
_VFR_TOLERANCE = 0.01  # relative gap between r_frame_rate and avg_frame_rate


@dataclass(frozen=True)
class VideoStream:
    index: int
    codec: str
    width: int
    height: int
    pix_fmt: str | None
    sample_aspect_ratio: Fraction
    """Pixel width / pixel height; 1 for square pixels."""
    rotation: int
    """Degrees (0, 90, 180 or 270) the frames turn counter-clockwise for
    display, in the display matrix convention that ffprobe prints."""
    avg_frame_rate: Fraction | None
    r_frame_rate: Fraction | None
    duration_seconds: float | None
    start_seconds: float
    """Timestamp of the first frame; 0 when the container states none."""
    frame_count: int | None
    color_primaries: str | None
    color_transfer: str | None
    color_space: str | None
    color_range: str | None
    bits_per_raw_sample: int | None

    @property
    def is_vfr(self) -> bool:
        """Whether the frame rate varies, judged by avg vs r frame rate."""
        if not self.avg_frame_rate or not self.r_frame_rate:
            return False
        gap = abs(self.avg_frame_rate - self.r_frame_rate) / self.r_frame_rate
        return gap > _VFR_TOLERANCE

    @property
    def is_hdr(self) -> bool:
        """Whether the transfer is HLG or PQ, so the video needs tone mapping."""
        return self.color_transfer in _HDR_TRANSFERS

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: square pixels, rotation applied."""
        width = round(self.width * self.sample_aspect_ratio)
        if self.rotation in (90, 270):
            return self.height, width
        return width, self.height


@dataclass(frozen=True)
class AudioStream:
    index: int
    codec: str
    sample_rate: int | None
    channels: int | None


@dataclass(frozen=True)
class ProbeResult:
    """Streams and metadata of one file, as ffprobe reports them."""

    format_name: str
    duration_seconds: float | None
    start_seconds: float
    """Earliest stream start; ffmpeg shifts every output timestamp by it."""
    video: VideoStream | None
    audio: AudioStream | None
    recorded_at: datetime | None
    latitude: float | None
    longitude: float | None
    size_bytes: int

    @property
    def video_end_seconds(self) -> float:
        """End of the video track on the output timeline, which starts at 0.

        A video track that starts after the audio is padded at the start by
        the constant-rate output, so the output video lasts until this time.
        """
        video = self.require_video()
        offset = max(0.0, video.start_seconds - self.start_seconds)
        return offset + (video.duration_seconds or 0.0)

    def require_video(self) -> VideoStream:
        """Return the video stream, raising :class:`NotAVideoError` if there is none."""
        if self.video is not None:
            return self.video
        if self.audio is not None:
            raise NotAVideoError("the file is audio only: it has no video stream")
        raise NotAVideoError("the file has no video stream")


def probe(path: Path | str, *, timeout: float = 120) -> ProbeResult:
    """Probe the file at ``path``.

    Raises :class:`NotAVideoError` when ffprobe cannot read it as media, and
    :class:`ToolError` when ffprobe itself cannot run.
    """
    path = Path(path)
    data = _run_ffprobe(
        ["-show_format", "-show_streams", "-show_entries", "stream_side_data"],
        path,
        timeout,
    )
    result = _parse(data, path.stat().st_size)
    if result.video is not None and result.video.duration_seconds is None:
        result = _with_scanned_duration(result, path, timeout)
    return result


def _run_ffprobe(options: list[str], path: Path, timeout: float) -> dict[str, Any]:
    args = [FFPROBE, "-v", "error", "-print_format", "json", *options, str(path)]
    try:
        completed = subprocess.run(
            args, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise ToolError(f"{FFPROBE} not found: install ffmpeg") from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{FFPROBE} timed out after {timeout} s on {path}") from exc
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace").strip().splitlines()
        detail = message[-1] if message else f"exit status {completed.returncode}"
        # ffprobe prefixes the path, which is a temporary name in the stages.
        detail = detail.removeprefix(f"{path}: ")
        raise NotAVideoError(f"the file is not a readable media file ({detail})")
    return json.loads(completed.stdout or b"{}")


def _parse(data: dict[str, Any], size_bytes: int) -> ProbeResult:
    container = data.get("format") or {}
    streams = data.get("streams") or []
    if not container or not streams:
        raise NotAVideoError("the file is not a readable media file (no streams)")
    tags = _merged_tags(container, streams)
    latitude, longitude = _parse_location(tags)
    return ProbeResult(
        format_name=container.get("format_name", ""),
        duration_seconds=_positive_float(container.get("duration")),
        start_seconds=_finite_float(container.get("start_time")) or 0.0,
        video=_first_video(streams, container),
        audio=_first_audio(streams),
        recorded_at=_parse_creation_time(tags),
        latitude=latitude,
        longitude=longitude,
        size_bytes=size_bytes,
    )


def _first_video(streams: list[dict], container: dict) -> VideoStream | None:
    for stream in streams:
        if stream.get("codec_type") != "video":
            continue
        if (stream.get("disposition") or {}).get("attached_pic"):
            continue  # cover art of an audio file
        if _is_still_image(stream, container):
            raise NotAVideoError("the file is a still image, not a video")
        return _parse_video(stream, container)
    return None


def _is_still_image(stream: dict, container: dict) -> bool:
    image_formats = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe")
    return container.get("format_name", "") in image_formats


def _parse_video(stream: dict, container: dict) -> VideoStream:
    duration = _positive_float(stream.get("duration")) or _positive_float(
        container.get("duration")
    )
    return VideoStream(
        index=int(stream["index"]),
        codec=stream.get("codec_name", "unknown"),
        width=int(stream.get("width") or 0),
        height=int(stream.get("height") or 0),
        pix_fmt=stream.get("pix_fmt"),
        sample_aspect_ratio=_parse_ratio(stream.get("sample_aspect_ratio"))
        or Fraction(1),
        rotation=_parse_rotation(stream),
        avg_frame_rate=_parse_ratio(stream.get("avg_frame_rate")),
        r_frame_rate=_parse_ratio(stream.get("r_frame_rate")),
        duration_seconds=duration,
        start_seconds=_finite_float(stream.get("start_time")) or 0.0,
        frame_count=_positive_int(stream.get("nb_frames")),
        color_primaries=_known(stream.get("color_primaries")),
        color_transfer=_known(stream.get("color_transfer")),
        color_space=_known(stream.get("color_space")),
        color_range=_known(stream.get("color_range")),
        bits_per_raw_sample=_positive_int(stream.get("bits_per_raw_sample")),
    )


def _first_audio(streams: list[dict]) -> AudioStream | None:
    for stream in streams:
        if stream.get("codec_type") == "audio":
            return AudioStream(
                index=int(stream["index"]),
                codec=stream.get("codec_name", "unknown"),
                sample_rate=_positive_int(stream.get("sample_rate")),
                channels=_positive_int(stream.get("channels")),
            )
    return None


def _parse_rotation(stream: dict) -> int:
    for side_data in stream.get("side_data_list") or []:
        if "rotation" in side_data:
            return _quarter_turn(float(side_data["rotation"]))
    tag = (stream.get("tags") or {}).get("rotate")
    if tag is not None:
        # The legacy tag counts clockwise; the display matrix counter-clockwise.
        return _quarter_turn(-float(tag))
    return 0


def _quarter_turn(degrees: float) -> int:
    return int(round(degrees / 90.0)) % 4 * 90


def _with_scanned_duration(
    result: ProbeResult, path: Path, timeout: float
) -> ProbeResult:
    """Fill the video duration from its packets when no header states one."""
    assert result.video is not None
    entries = "packet=pts_time,duration_time"
    options = ["-select_streams", "v:0", "-show_entries", entries]
    packets = _run_ffprobe(options, path, timeout).get("packets") or []
    if not packets:
        raise InvalidMediaError("the video has no decodable frames")
    duration = _packets_duration(packets, result.video.r_frame_rate)
    video = replace(result.video, duration_seconds=duration, frame_count=len(packets))
    return replace(
        result, duration_seconds=result.duration_seconds or duration, video=video
    )


def _packets_duration(packets: list[dict], frame_rate: Fraction | None) -> float:
    # Timestamps when the container has them; an elementary stream (raw
    # .h264) has none, so the packet durations or the frame rate count instead.
    lengths = [
        _positive_float(packet.get("duration_time")) or 0.0 for packet in packets
    ]
    starts = [_finite_float(packet.get("pts_time")) for packet in packets]
    timed = [
        (start, length)
        for start, length in zip(starts, lengths, strict=True)
        if start is not None
    ]
    if timed:
        first = min(start for start, _ in timed)
        return max(start + length for start, length in timed) - first
    if sum(lengths) > 0:
        return sum(lengths)
    return len(packets) / float(frame_rate or 30)


def _finite_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _merged_tags(container: dict, streams: list[dict]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for stream in streams:
        tags.update({k.lower(): v for k, v in (stream.get("tags") or {}).items()})
    tags.update({k.lower(): v for k, v in (container.get("tags") or {}).items()})
    return tags


def _parse_location(tags: dict[str, str]) -> tuple[float | None, float | None]:
    for name in _LOCATION_TAGS:
        match = _ISO6709.match(tags.get(name.lower(), ""))
        if match is None:
            continue
        latitude, longitude = float(match.group(1)), float(match.group(2))
        if abs(latitude) <= 90 and abs(longitude) <= 180:
            return latitude, longitude
    return None, None


def _parse_creation_time(tags: dict[str, str]) -> datetime | None:
    for name in _CREATION_TAGS:
        value = tags.get(name.lower())
        if not value:
            continue
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        # Cameras without a clock write the container's zero date.
        if parsed.year > 1970:
            return parsed.astimezone(UTC)
    return None


def _parse_ratio(value: str | None) -> Fraction | None:
    if not value or value in ("0/0", "N/A"):
        return None
    try:
        numerator, _, denominator = value.replace(":", "/").partition("/")
        ratio = Fraction(int(numerator), int(denominator or 1))
    except (ValueError, ZeroDivisionError):
        return None
    return ratio if ratio > 0 else None


def _positive_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 and math.isfinite(number) else None


def _positive_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _known(value: str | None) -> str | None:
    return None if value in (None, "", "unknown", "reserved", "unspecified") else value

"""Face analysis of a whole video: sample, detect, track, rate and embed.

:func:`analyze_video` decodes the video once, in order, and returns each
track with its best few faces. Only those faces, plus the few a track needs
to check its identity, are embedded, which keeps the cost near that of
detection alone.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vwf.faces._align import align_face
from vwf.faces._detector import DetectedFace
from vwf.faces._frames import AdaptiveSchedule, SampledFrame, VideoReader
from vwf.faces._models import FaceModels
from vwf.faces._quality import FaceQuality, assess_face
from vwf.faces._tracking import FaceTracker, TrackSpan
from vwf.faces.errors import AnalysisCancelled

logger = logging.getLogger(__name__)

# Bhattacharyya distance between the hue-saturation histograms of two
# consecutive samples above which the change counts as a scene cut. On the
# 640x360 clips tried, cuts measured 0.43-0.52 and camera motion at most 0.14.
_SCENE_CUT_DISTANCE = 0.3
# A face whose box center moves more than this fraction of the box width
# between two samples counts as activity for the sampler.
_MOVEMENT_FRACTION = 0.1
# Kept faces are embedded at the end, this many per network pass.
_EMBEDDING_BATCH = 16
_JPEG_QUALITY = 90
# Crops whose longer side exceeds this many pixels are downscaled to it.
_MAX_CROP_SIDE = 512


@dataclass(frozen=True)
class AnalysisOptions:
    """Tuning of :func:`analyze_video`; the defaults suit home videos."""

    min_rate: float = 5.0
    """Samples per second while nothing changes."""
    max_rate: float = 10.0
    """Samples per second while faces appear, move or the scene cuts."""
    max_side: int = 640
    """Longer side, in pixels, of the copy of each sample given to the detector."""
    faces_per_track: int = 3
    """Number of best faces kept, embedded and cropped for each track."""
    crop_margin: float = 0.4
    """Margin added around the face box on each side of a crop, as a fraction
    of the box's longer side."""


@dataclass(frozen=True, eq=False)
class TrackFace:
    """One kept face of a track, measured in the full-resolution frame."""

    time: float
    """Presentation time in seconds from the start of the video."""
    face: DetectedFace
    quality: FaceQuality
    embedding: np.ndarray
    """L2-normalised ``float32`` SFace embedding, shape ``(128,)``."""
    crop_jpeg: bytes
    """Upright JPEG crop of the face with a margin, for display."""
    crop_size: tuple[int, int]
    """``(width, height)`` of the crop in pixels."""


@dataclass(frozen=True)
class FaceTrack:
    """One person's face while continuously visible, with its best faces."""

    track_id: int
    start: float
    """Time of the first face, in seconds from the start of the video."""
    end: float
    """Time of the last face, in seconds from the start of the video."""
    observations: int
    """Number of sampled frames in which the face was found."""
    faces: tuple[TrackFace, ...]
    """The kept faces, best quality first."""

    @property
    def too_small(self) -> bool:
        """Whether even the best face is below the minimum size for recognition."""
        return self.faces[0].quality.too_small


@dataclass(frozen=True)
class VideoAnalysis:
    """Result of :func:`analyze_video`."""

    tracks: tuple[FaceTrack, ...]
    duration: float
    """Duration in seconds: the container's, or the last frame's time if later."""
    frames_sampled: int
    embedding_model: str


@dataclass
class _Candidate:
    time: float
    face: DetectedFace
    quality: FaceQuality
    aligned: np.ndarray
    crop_jpeg: bytes
    crop_size: tuple[int, int]
    embedding: np.ndarray | None


@dataclass
class _FrameFaces:
    """Faces of one sample, with their aligned crops and embeddings on demand."""

    frame: SampledFrame
    faces: list[DetectedFace]
    models: FaceModels
    aligned: dict[int, np.ndarray] = field(default_factory=dict)
    embeddings: dict[int, np.ndarray] = field(default_factory=dict)

    def align(self, index: int) -> np.ndarray:
        if index not in self.aligned:
            landmarks = self.faces[index].landmark_array
            self.aligned[index] = align_face(self.frame.image, landmarks)
        return self.aligned[index]

    def embed(self, index: int) -> np.ndarray:
        if index not in self.embeddings:
            vector = self.models.embedder.embed_aligned(self.align(index))
            self.embeddings[index] = vector
        return self.embeddings[index]


def analyze_video(
    path: Path,
    models: FaceModels,
    options: AnalysisOptions | None = None,
    *,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> VideoAnalysis:
    """Find, track and rate every face in the video at ``path``.

    ``on_progress`` receives the fraction of the duration decoded after each
    sample. When ``should_stop`` returns true the analysis raises
    :class:`AnalysisCancelled`.
    """
    options = options or AnalysisOptions()
    analyzer = _Analyzer(models, options)
    started = clock.monotonic()
    with VideoReader(path) as reader:
        duration = reader.info.duration
        schedule = AdaptiveSchedule(
            min_rate=options.min_rate, max_rate=options.max_rate
        )
        for frame in reader.sample(schedule, max_side=options.max_side):
            if should_stop is not None and should_stop():
                raise AnalysisCancelled(
                    f"analysis of {path} cancelled at {frame.time:.1f}s"
                )
            active = analyzer.process(frame)
            schedule.record(frame.time, active=active)
            if on_progress is not None and duration > 0:
                on_progress(min(1.0, frame.time / duration))

    analysis = analyzer.finish(max(duration, analyzer.last_time))
    logger.info(
        "analysed %s: %d tracks from %d samples of %.1fs in %.1fs",
        path.name,
        len(analysis.tracks),
        analysis.frames_sampled,
        duration,
        clock.monotonic() - started,
    )
    return analysis


class _Analyzer:
    def __init__(self, models: FaceModels, options: AnalysisOptions) -> None:
        self._models = models
        self._options = options
        self._tracker = FaceTracker()
        self._candidates: dict[int, list[_Candidate]] = {}
        self._boxes: dict[int, tuple[float, ...]] = {}
        self._histogram: np.ndarray | None = None
        self._samples = 0
        self.last_time = 0.0

    def process(self, frame: SampledFrame) -> bool:
        """Detect and track the faces of one sample and report any activity."""
        self._samples += 1
        self.last_time = frame.time
        found = self._models.detector.detect(frame.small)
        faces = [face.scaled(frame.scale) for face in found]
        frame_faces = _FrameFaces(frame, faces, self._models)
        scene_cut = self._is_scene_cut(frame.small)

        track_ids = self._tracker.update(
            frame.time, faces, frame_faces.embed, scene_changed=scene_cut
        )

        active = scene_cut or len(track_ids) != len(self._boxes)
        boxes = {}
        for index, track_id in enumerate(track_ids):
            self._offer(track_id, frame_faces, index)
            boxes[track_id] = faces[index].box
            active = active or _moved(self._boxes.get(track_id), faces[index].box)
        self._boxes = boxes
        return active

    def finish(self, duration: float) -> VideoAnalysis:
        self._embed_kept_faces()
        tracks = [self._build(span) for span in self._tracker.finish()]
        return VideoAnalysis(
            tracks=tuple(tracks),
            duration=duration,
            frames_sampled=self._samples,
            embedding_model=self._models.embedding_model,
        )

    def _offer(self, track_id: int, frame_faces: _FrameFaces, index: int) -> None:
        face = frame_faces.faces[index]
        aligned = frame_faces.align(index)
        quality = assess_face(face, aligned)
        best_faces = self._candidates.setdefault(track_id, [])
        if len(best_faces) >= self._options.faces_per_track:
            if quality.score <= best_faces[-1].quality.score:
                return
            best_faces.pop()

        # Crops are kept as JPEG, because a long video can have thousands.
        crop = _crop(frame_faces.frame.image, face, self._options.crop_margin)
        candidate = _Candidate(
            time=frame_faces.frame.time,
            face=face,
            quality=quality,
            aligned=aligned,
            crop_jpeg=encode_jpeg(crop),
            crop_size=(crop.shape[1], crop.shape[0]),
            embedding=frame_faces.embeddings.get(index),
        )
        best_faces.append(candidate)
        best_faces.sort(key=lambda candidate: candidate.quality.score, reverse=True)

    def _embed_kept_faces(self) -> None:
        missing = [
            candidate
            for best_faces in self._candidates.values()
            for candidate in best_faces
            if candidate.embedding is None
        ]
        for start in range(0, len(missing), _EMBEDDING_BATCH):
            batch = missing[start : start + _EMBEDDING_BATCH]
            crops = [candidate.aligned for candidate in batch]
            vectors = self._models.embedder.embed_aligned_batch(crops)
            for candidate, vector in zip(batch, vectors, strict=True):
                candidate.embedding = vector

    def _build(self, span: TrackSpan) -> FaceTrack:
        faces = [
            TrackFace(
                candidate.time,
                candidate.face,
                candidate.quality,
                candidate.embedding,
                candidate.crop_jpeg,
                candidate.crop_size,
            )
            for candidate in self._candidates[span.track_id]
        ]
        return FaceTrack(
            span.track_id, span.start, span.end, span.observations, tuple(faces)
        )

    def _is_scene_cut(self, small: np.ndarray) -> bool:
        thumbnail = cv2.resize(small, (160, 90), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(thumbnail, cv2.COLOR_BGR2HSV)
        histogram = cv2.calcHist([hsv], [0, 1], None, [16, 16], [0, 180, 0, 256])
        cv2.normalize(histogram, histogram)
        previous, self._histogram = self._histogram, histogram
        if previous is None:
            return False
        distance = cv2.compareHist(previous, histogram, cv2.HISTCMP_BHATTACHARYYA)
        return distance > _SCENE_CUT_DISTANCE


def _moved(previous: tuple[float, ...] | None, box: tuple[float, ...]) -> bool:
    if previous is None:
        return True
    dx = (box[0] + box[2] / 2) - (previous[0] + previous[2] / 2)
    dy = (box[1] + box[3] / 2) - (previous[1] + previous[3] / 2)
    return float(np.hypot(dx, dy)) > _MOVEMENT_FRACTION * box[2]


def _crop(image: np.ndarray, face: DetectedFace, margin: float) -> np.ndarray:
    """Cut the face box, grown by ``margin`` times its longer side, out of ``image``.

    A crop longer than ``_MAX_CROP_SIDE`` is downscaled to it.
    """
    x, y, width, height = face.box
    grow = margin * max(width, height)
    left = max(0, int(x - grow))
    top = max(0, int(y - grow))
    right = min(image.shape[1], int(np.ceil(x + width + grow)))
    bottom = min(image.shape[0], int(np.ceil(y + height + grow)))
    crop = image[top:bottom, left:right]
    longer = max(crop.shape[:2])
    if longer <= _MAX_CROP_SIDE:
        return crop
    factor = _MAX_CROP_SIDE / longer
    size = (
        max(1, round(crop.shape[1] * factor)),
        max(1, round(crop.shape[0] * factor)),
    )
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)


def encode_jpeg(image: np.ndarray) -> bytes:
    """Encode a BGR image as JPEG at quality 90."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    if not ok:
        raise ValueError(f"JPEG encoding of a {image.shape} image failed")
    return buffer.tobytes()

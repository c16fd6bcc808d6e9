"""YuNet face detection through ``cv2.FaceDetectorYN``."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vwf.faces.errors import ImageError

Point = tuple[float, float]

# YuNet keeps at most this many boxes before non-maximum suppression.
_TOP_K = 5000
_NMS_THRESHOLD = 0.3


@dataclass(frozen=True)
class DetectedFace:
    """One face found in an image, in that image's pixel coordinates."""

    box: tuple[float, float, float, float]
    """``(x, y, width, height)`` of the face box."""
    landmarks: tuple[Point, Point, Point, Point, Point]
    """Right eye, left eye, nose tip, right and left mouth corners, as ``(x, y)``.

    Right and left are the subject's, so the right eye is usually on the left
    of the image.
    """
    score: float
    """Detector confidence in ``[0, 1]``."""

    @property
    def landmark_array(self) -> np.ndarray:
        """The landmarks as a ``float32`` array of shape ``(5, 2)``."""
        return np.asarray(self.landmarks, dtype=np.float32)

    @property
    def min_side(self) -> float:
        """The shorter side of the face box in pixels."""
        return min(self.box[2], self.box[3])

    def scaled(self, factor: float) -> DetectedFace:
        """Return this face with every coordinate multiplied by ``factor``."""
        x, y, width, height = self.box
        return DetectedFace(
            box=(x * factor, y * factor, width * factor, height * factor),
            landmarks=tuple((px * factor, py * factor) for px, py in self.landmarks),
            score=self.score,
        )

    @classmethod
    def from_yunet_row(cls, row: np.ndarray) -> DetectedFace:
        """Build a face from one 15-value output row of ``FaceDetectorYN``."""
        values = [float(value) for value in row]
        points = values[4:14]
        return cls(
            box=(values[0], values[1], values[2], values[3]),
            landmarks=tuple(zip(points[0::2], points[1::2], strict=True)),
            score=values[14],
        )


class YuNetDetector:
    """A YuNet network that accepts images of any size; safe to share by threads."""

    def __init__(self, model_path: Path, score_threshold: float) -> None:
        self._lock = threading.Lock()
        # OpenCV 5.1 warns on stderr that its new graph engine ignores the
        # target this constructor sets; the warning is harmless, so hide it.
        previous_level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            self._detector = cv2.FaceDetectorYN.create(
                str(model_path), "", (320, 320), score_threshold, _NMS_THRESHOLD, _TOP_K
            )
        finally:
            cv2.utils.logging.setLogLevel(previous_level)

    def detect(
        self, image: np.ndarray, *, max_side: int | None = None
    ) -> list[DetectedFace]:
        """Detect faces in a BGR ``uint8`` image, best score first.

        An image whose longer side exceeds ``max_side`` is downscaled first,
        and the results are scaled back to ``image``'s pixels.
        """
        _check_bgr(image)
        height, width = image.shape[:2]
        factor = 1.0
        if max_side and max(height, width) > max_side:
            factor = max_side / max(height, width)
            size = (max(1, round(width * factor)), max(1, round(height * factor)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)

        with self._lock:
            self._detector.setInputSize((image.shape[1], image.shape[0]))
            _, rows = self._detector.detect(image)

        if rows is None:
            return []
        faces = [DetectedFace.from_yunet_row(row) for row in rows]
        if factor != 1.0:
            faces = [face.scaled(1 / factor) for face in faces]
        return sorted(faces, key=lambda face: face.score, reverse=True)


def _check_bgr(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ImageError(
            f"expected a BGR uint8 image of shape (height, width, 3), got dtype "
            f"{image.dtype} and shape {image.shape}; load photos with load_image"
        )

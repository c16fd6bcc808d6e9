"""Quality of a detected face: size, detector score, sharpness and frontalness.

The score ranks the faces of one track so the best few are kept, embedded and
shown. Each factor lies in ``[0, 1]`` and the score is their product, so one
bad factor (a blurred or profile face) is enough to rank a face low.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vwf.faces._align import ALIGNED_SIZE
from vwf.faces._detector import DetectedFace

MIN_FACE_SIDE = 40
"""Minimum shorter side, in full-resolution pixels, of a face box used for
recognition. Smaller faces are stored but flagged ``too_small``, and are never
used to recognise anyone or to start a new person. SFace upsamples them more
than 2.5 times to its 112x112 input, so their embeddings are unreliable."""

# Variance of the Laplacian at which the sharpness factor reaches 0.5. This is
# an estimate from aligned crops of 640x360 home-style clips, where in-focus
# faces measured 170-450 and motion-blurred ones 1-25.
_SHARPNESS_KNEE = 100.0


@dataclass(frozen=True)
class FaceQuality:
    """Quality measures of one detected face, used to rank the faces of a track."""

    score: float
    """Product of the detector score and factors from the values below, in
    ``[0, 1]``."""
    size: float
    """Shorter side of the face box in full-resolution pixels."""
    sharpness: float
    """Variance of the Laplacian of the aligned grey crop (higher is sharper)."""
    frontalness: float
    """1 for a face looking at the camera, towards 0 for a profile."""
    too_small: bool
    """Whether ``size`` is below :data:`MIN_FACE_SIDE`."""


def assess_face(face: DetectedFace, aligned: np.ndarray) -> FaceQuality:
    """Rate ``face`` from its detection and its 112x112 aligned BGR crop."""
    size = face.min_side
    sharpness = laplacian_variance(aligned)
    frontalness = frontalness_from_landmarks(face.landmark_array)

    size_factor = min(1.0, size / ALIGNED_SIZE)
    sharpness_factor = sharpness / (sharpness + _SHARPNESS_KNEE)
    # A profile keeps a tenth of its score, so profiles still rank by the rest.
    frontal_factor = 0.1 + 0.9 * frontalness
    score = face.score * size_factor * sharpness_factor * frontal_factor
    return FaceQuality(
        score=float(score),
        size=float(size),
        sharpness=float(sharpness),
        frontalness=float(frontalness),
        too_small=size < MIN_FACE_SIDE,
    )


def laplacian_variance(image: np.ndarray) -> float:
    """Return the variance of the Laplacian of ``image``, a common focus measure."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def frontalness_from_landmarks(landmarks: np.ndarray) -> float:
    """Estimate how frontal a face is from its 5 landmarks, in ``[0, 1]``.

    The nose tip of a frontal face projects onto the middle of the line
    between the eyes. Turning the head moves it towards one eye, so the
    factor falls from 1 (frontal) to 0 (nose level with an eye, a profile).
    Roll and scale do not change it.
    """
    right_eye, left_eye, nose = landmarks[0], landmarks[1], landmarks[2]
    eye_line = left_eye - right_eye
    length_squared = float(np.dot(eye_line, eye_line))
    if length_squared == 0:
        return 0.0
    position = float(np.dot(nose - right_eye, eye_line)) / length_squared
    return float(np.clip(1 - abs(2 * position - 1), 0.0, 1.0))

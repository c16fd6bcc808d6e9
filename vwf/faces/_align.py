"""Alignment of a face to SFace's 112x112 input from its five landmarks."""

from __future__ import annotations

import cv2
import numpy as np

ALIGNED_SIZE = 112

# Target positions of the right eye, left eye, nose tip and right and left
# mouth corners in a 112x112 aligned crop. This is ArcFace's 5-point template,
# which OpenCV's FaceRecognizerSF.alignCrop also uses for SFace.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Return the 2x3 similarity matrix mapping ``source`` onto ``target``.

    This is Umeyama's closed-form least-squares fit (rotation, uniform scale,
    translation, no reflection) over all points. It is deterministic, unlike
    ``cv2.estimateAffinePartial2D``, whose RANSAC may drop one of five points.
    """
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    source_mean = source.mean(axis=0)
    target_mean = target.mean(axis=0)
    source_centered = source - source_mean
    target_centered = target - target_mean

    covariance = target_centered.T @ source_centered / len(source)
    u, singular_values, vt = np.linalg.svd(covariance)
    signs = np.ones(2)
    if np.linalg.det(covariance) < 0:
        signs[1] = -1.0
    rotation = u @ np.diag(signs) @ vt

    source_variance = (source_centered**2).sum() / len(source)
    scale = (singular_values * signs).sum() / source_variance
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = target_mean - scale * rotation @ source_mean
    return matrix


def align_face(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Warp the face with the given 5 landmarks into a 112x112 BGR crop."""
    matrix = similarity_transform(landmarks, ARCFACE_TEMPLATE)
    return cv2.warpAffine(
        image, matrix, (ALIGNED_SIZE, ALIGNED_SIZE), flags=cv2.INTER_LINEAR
    )

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vwf.faces import ARCFACE_TEMPLATE, DetectedFace, FaceModels, align_face, load_image
from vwf.faces._quality import (
    MIN_FACE_SIDE,
    assess_face,
    frontalness_from_landmarks,
    laplacian_variance,
)


def _face(side: float, landmarks: np.ndarray = ARCFACE_TEMPLATE) -> DetectedFace:
    points = tuple((float(x), float(y)) for x, y in landmarks)
    return DetectedFace(box=(0.0, 0.0, side, side), landmarks=points, score=0.9)


def test_template_is_frontal():
    assert frontalness_from_landmarks(ARCFACE_TEMPLATE) > 0.95


def test_turned_head_is_less_frontal():
    turned = ARCFACE_TEMPLATE.copy()
    turned[2, 0] = turned[1, 0] - 3

    assert frontalness_from_landmarks(turned) < 0.5


def test_blur_lowers_laplacian_variance():
    image = np.random.default_rng(0).integers(0, 255, (112, 112, 3), np.uint8)

    blurred = cv2.GaussianBlur(image, (9, 9), 3)

    assert laplacian_variance(blurred) < laplacian_variance(image) / 10


def test_flat_image_has_zero_sharpness():
    assert laplacian_variance(np.full((112, 112, 3), 80, np.uint8)) == 0.0


@pytest.mark.parametrize(
    ("side", "too_small"),
    [(MIN_FACE_SIDE - 1, True), (MIN_FACE_SIDE, False), (200, False)],
)
def test_too_small_below_min_side(side: float, too_small: bool):
    aligned = np.random.default_rng(1).integers(0, 255, (112, 112, 3), np.uint8)

    assert assess_face(_face(side), aligned).too_small is too_small


@pytest.mark.shared_data
def test_sharp_face_outranks_blurred_copy(shared_data: Path):
    models = FaceModels.default()
    image = load_image(shared_data / "photos/people/joe_biden/01.jpg")
    face = models.detect(image)[0]
    blurred = cv2.GaussianBlur(image, (0, 0), 6)

    sharp_quality = assess_face(face, align_face(image, face.landmark_array))
    blurred_quality = assess_face(face, align_face(blurred, face.landmark_array))

    assert sharp_quality.score > 2 * blurred_quality.score
    assert sharp_quality.sharpness > blurred_quality.sharpness
    assert 0 < sharp_quality.score <= 1


@pytest.mark.shared_data
def test_stored_score_gives_back_sharpness(shared_data: Path):
    # Recognition recovers the sharpness from a stored face row by dividing
    # the other factors out of the quality score.
    from vwf.faces._recognize import estimated_sharpness
    from vwf.library import Face

    models = FaceModels.default()
    image = load_image(shared_data / "photos/groups/kit_with_rose.jpg")
    for face in models.detect(image):
        quality = assess_face(face, align_face(image, face.landmark_array))
        x, y, width, height = face.box
        row = Face(
            box_x=x,
            box_y=y,
            box_w=width,
            box_h=height,
            landmarks=[list(point) for point in face.landmarks],
            detection_score=face.score,
            quality=quality.score,
        )

        assert estimated_sharpness(row) == pytest.approx(quality.sharpness, rel=1e-3)

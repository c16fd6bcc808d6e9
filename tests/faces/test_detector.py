from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vwf.faces import FaceModels, ImageError, cosine_similarity, load_image

pytestmark = pytest.mark.shared_data

# Faces found by YuNet (score >= 0.6) in the 29-person 1927 Solvay photo, whose
# faces are about 45 px tall. 29 are found today; the floor leaves room for
# small changes in OpenCV's resizing.
SOLVAY_FLOOR = 27


@pytest.fixture(scope="module")
def models() -> FaceModels:
    return FaceModels.default()


@pytest.fixture(scope="module")
def photos(shared_data: Path) -> Path:
    return shared_data / "photos"


def test_blank_image_has_no_faces(models: FaceModels):
    assert models.detect(np.zeros((480, 640, 3), np.uint8)) == []


def test_rejects_grayscale_image(models: FaceModels):
    with pytest.raises(ImageError, match=r"shape \(480, 640\)"):
        models.detect(np.zeros((480, 640), np.uint8))


def test_portrait_landmarks_inside_box(models: FaceModels, photos: Path):
    face = models.detect(load_image(photos / "people/barack_obama/01.jpg"))[0]
    x, y, width, height = face.box

    for px, py in face.landmarks:
        assert x <= px <= x + width
        assert y <= py <= y + height
    assert face.landmarks[0][0] < face.landmarks[1][0]
    assert face.score > 0.8


def test_kit_with_rose_two_faces(models: FaceModels, photos: Path):
    assert len(models.detect(load_image(photos / "groups/kit_with_rose.jpg"))) == 2


def test_obama_and_biden_both_found(models: FaceModels, photos: Path):
    group = load_image(photos / "groups/obama_and_biden.jpg")
    faces = models.detect(group)
    embeddings = [models.embed(group, face) for face in faces]

    # A child at the lower right is a third, real face in this photo.
    assert len(faces) == 3
    for person in ("barack_obama", "joe_biden"):
        reference = load_image(photos / f"people/{person}/01.jpg")
        vector = models.embed(reference, models.detect(reference)[0])
        best = max(cosine_similarity(vector, other) for other in embeddings)
        assert best > 0.5, person


def test_solvay_small_faces(models: FaceModels, photos: Path):
    faces = models.detect(load_image(photos / "groups/solvay_1927.jpg"))

    assert len(faces) >= SOLVAY_FLOOR
    assert max(face.box[3] for face in faces) < 80


def test_downscaled_detection_keeps_source_pixels(photos: Path):
    image = load_image(photos / "groups/obama_and_biden.jpg")
    full = FaceModels(max_side=None).detect(image)[0]
    reduced = FaceModels(max_side=1000).detect(image)[0]

    for full_value, reduced_value in zip(full.box, reduced.box, strict=True):
        assert abs(full_value - reduced_value) < 0.1 * full.box[2]


def test_scaled_multiplies_coordinates(models: FaceModels, photos: Path):
    face = models.detect(load_image(photos / "people/joe_biden/01.jpg"))[0]
    double = face.scaled(2.0)

    assert double.box == tuple(2 * value for value in face.box)
    assert double.landmarks[2] == (2 * face.landmarks[2][0], 2 * face.landmarks[2][1])
    assert double.score == face.score

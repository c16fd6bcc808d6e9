from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vwf.faces import (
    ARCFACE_TEMPLATE,
    EMBEDDING_SIZE,
    FaceModels,
    align_face,
    cosine_similarity,
    load_image,
)
from vwf.faces._align import similarity_transform


@pytest.fixture(scope="module")
def models() -> FaceModels:
    return FaceModels.default()


def _embed(models: FaceModels, path: Path) -> np.ndarray:
    image = load_image(path)
    return models.embed(image, models.detect(image)[0])


def test_similarity_transform_recovers_known_transform():
    angle = np.deg2rad(20)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    source = ARCFACE_TEMPLATE * 3 + [10, 20]
    target = (1.5 * rotation @ source.T).T + [5, -7]

    matrix = similarity_transform(source, target)

    np.testing.assert_allclose(matrix[:, :2], 1.5 * rotation, atol=1e-9)
    np.testing.assert_allclose(matrix[:, 2], [5, -7], atol=1e-9)


def test_align_template_is_identity():
    image = np.random.default_rng(0).integers(0, 255, (112, 112, 3), np.uint8)

    aligned = align_face(image, ARCFACE_TEMPLATE)

    assert np.abs(aligned.astype(int) - image.astype(int)).max() <= 1


@pytest.mark.shared_data
def test_embedding_is_unit_float32(models: FaceModels, shared_data: Path):
    vector = _embed(models, shared_data / "photos/people/barack_obama/01.jpg")

    assert vector.dtype == np.float32
    assert vector.shape == (EMBEDDING_SIZE,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


@pytest.mark.shared_data
def test_same_person_similar_other_person_not(models: FaceModels, shared_data: Path):
    people = shared_data / "photos/people"
    obama = _embed(models, people / "barack_obama/01.jpg")
    obama_again = _embed(models, people / "barack_obama/02.jpg")
    biden = _embed(models, people / "joe_biden/01.jpg")

    # Measured with sface_2021dec_int8bq: 0.73 for the same person, 0.13 for
    # Obama against Biden.
    assert cosine_similarity(obama, obama_again) > 0.55
    assert cosine_similarity(obama, biden) < 0.3


@pytest.mark.shared_data
def test_embedding_is_deterministic(models: FaceModels, shared_data: Path):
    path = shared_data / "photos/people/joe_biden/01.jpg"

    assert np.array_equal(_embed(models, path), _embed(models, path))

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from vwf.faces import DetectedFace, FaceModels, ImageError, load_image


def _is_upright(face: DetectedFace) -> bool:
    """Tell whether the mouth lies below the eyes more than beside them."""
    points = face.landmark_array
    eyes = (points[0] + points[1]) / 2
    mouth = (points[3] + points[4]) / 2
    dx, dy = mouth - eyes
    return dy > abs(dx)


@pytest.mark.shared_data
def test_exif_orientation_gives_upright_face(shared_data: Path):
    path = shared_data / "photos/orientation/portrait_exif_orientation_6.jpg"
    upright = load_image(shared_data / "photos/orientation/portrait_upright.jpg")

    image = load_image(path)
    faces = FaceModels.default().detect(image)

    assert image.shape == upright.shape
    assert faces
    assert _is_upright(faces[0])


@pytest.mark.shared_data
def test_raw_pixels_without_exif_are_sideways(shared_data: Path):
    path = shared_data / "photos/orientation/portrait_exif_orientation_6.jpg"
    sideways = cv2.imread(str(path), cv2.IMREAD_IGNORE_ORIENTATION | cv2.IMREAD_COLOR)

    faces = FaceModels.default().detect(sideways)

    assert sideways.shape[:2] == load_image(path).shape[1::-1]
    assert not any(_is_upright(face) for face in faces if face.score > 0.8)


def test_bytes_and_path_give_same_pixels(tmp_path: Path):
    path = tmp_path / "red.png"
    Image.new("RGB", (4, 3), (255, 0, 0)).save(path)

    from_path = load_image(path)
    from_bytes = load_image(path.read_bytes())

    assert from_path.shape == (3, 4, 3)
    assert from_path.dtype == np.uint8
    assert from_path[0, 0].tolist() == [0, 0, 255]
    assert np.array_equal(from_path, from_bytes)


def test_alpha_channel_dropped(tmp_path: Path):
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (5, 5), (0, 255, 0, 10)).save(path)

    assert load_image(path).shape == (5, 5, 3)


def test_missing_file_names_path(tmp_path: Path):
    missing = tmp_path / "absent.jpg"

    with pytest.raises(ImageError, match="absent.jpg not found"):
        load_image(missing)


def test_garbage_bytes_rejected():
    with pytest.raises(ImageError, match="cannot decode image <bytes>"):
        load_image(b"not an image at all")


def test_truncated_jpeg_rejected(tmp_path: Path):
    path = tmp_path / "cut.jpg"
    Image.new("RGB", (64, 64), (9, 9, 9)).save(path)
    path.write_bytes(path.read_bytes()[:200])

    with pytest.raises(ImageError, match="cut.jpg"):
        load_image(path)

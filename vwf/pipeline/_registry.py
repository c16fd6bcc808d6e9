"""The implementation of each stage of the video workflow, by stage name.

Implementations load on first use, so a worker imports only the stages it
runs (and their models).
"""

from __future__ import annotations

import importlib
from typing import Any

from vwf.config import Settings
from vwf.workflow import Activity
from vwf.workflow.errors import StageNotAvailableError

# stage name -> "module:factory"; factory(settings) returns the Activity.
STAGE_FACTORIES = {
    "Upload": "vwf.pipeline.upload:UploadActivity",
    "Transcode": "vwf.pipeline.transcode:TranscodeActivity",
    "FaceDetect": "vwf.pipeline.facedetect:FaceDetectActivity",
    "FaceRecognize": "vwf.pipeline.facerecognize:FaceRecognizeActivity",
    "NotifyComplete": "vwf.pipeline.notify:NotifyCompleteActivity",
}


def load_activity(stage: str, settings: Settings) -> Activity:
    """Import the implementation of ``stage`` and build it with ``settings``."""
    factory = load_factory(stage)
    return factory(settings)


def load_factory(stage: str) -> Any:
    """Return the factory of ``stage`` without calling it."""
    try:
        target = STAGE_FACTORIES[stage]
    except KeyError:
        raise StageNotAvailableError(
            f"unknown stage {stage!r}; use one of {sorted(STAGE_FACTORIES)}"
        ) from None
    module_name, attribute = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise StageNotAvailableError(
            f"stage {stage} is not available: its module {module_name} is missing; "
            "install the vwf version that implements it"
        ) from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise StageNotAvailableError(
            f"stage {stage} is not available: {module_name} has no {attribute}"
        ) from None

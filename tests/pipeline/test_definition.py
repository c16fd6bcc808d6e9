"""The VideoProcessing workflow definition."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vwf.config import load_settings
from vwf.pipeline import (
    STAGE_FACTORIES,
    VIDEO_PROCESSING,
    VIDEO_PROCESSING_WITH_UPLOAD,
    load_activity,
    video_processing,
)
from vwf.pipeline._registry import load_factory
from vwf.workflow.errors import StageNotAvailableError


def prerequisites(definition) -> dict[str, tuple[str, ...]]:
    return {stage.name: stage.prerequisites for stage in definition.stages}


def test_stages_run_in_order():
    assert prerequisites(VIDEO_PROCESSING) == {
        "Transcode": (),
        "FaceDetect": ("Transcode",),
        "FaceRecognize": ("FaceDetect",),
        "NotifyComplete": ("FaceRecognize",),
    }


def test_remote_source_uploads_first():
    stages = prerequisites(VIDEO_PROCESSING_WITH_UPLOAD)

    assert stages["Upload"] == ()
    assert stages["Transcode"] == ("Upload",)
    assert VIDEO_PROCESSING_WITH_UPLOAD.name == "VideoProcessingWithUpload"


def test_both_variants_share_decider_task_list():
    assert (
        VIDEO_PROCESSING.decider_task_list
        == VIDEO_PROCESSING_WITH_UPLOAD.decider_task_list
    )


def test_execution_lasts_36_hours():
    assert VIDEO_PROCESSING.execution_start_to_close_timeout == timedelta(hours=36)


def test_face_recognize_waits_while_busy_and_heartbeats():
    recognize = VIDEO_PROCESSING.stage("FaceRecognize")

    assert recognize.busy_deadline is not None
    assert recognize.busy_deadline <= timedelta(hours=36)
    assert recognize.heartbeats
    assert recognize.heartbeat_timeout == timedelta(minutes=5)


def test_notify_complete_within_15_minutes():
    notify = VIDEO_PROCESSING.stage("NotifyComplete")

    assert notify.schedule_to_close_timeout == timedelta(minutes=15)


def test_staging_deployment_names():
    staging = video_processing(domain="family").for_deployment("staging")

    assert staging.domain == "family"
    assert staging.stage("FaceDetect").activity_type_name == "FaceDetectStaging"
    assert staging.stage("FaceDetect").task_list == "FaceDetectStaging"


def test_every_stage_has_an_implementation():
    names = {stage.name for stage in VIDEO_PROCESSING_WITH_UPLOAD.stages}

    assert set(STAGE_FACTORIES) == names


def test_unknown_stage_named_in_error():
    with pytest.raises(StageNotAvailableError, match="unknown stage 'Resize'"):
        load_factory("Resize")


def test_missing_module_named_in_error(monkeypatch, vwf_home):
    monkeypatch.setitem(STAGE_FACTORIES, "Transcode", "vwf.pipeline.absent:Activity")

    with pytest.raises(StageNotAvailableError, match="vwf.pipeline.absent is missing"):
        load_activity("Transcode", load_settings())

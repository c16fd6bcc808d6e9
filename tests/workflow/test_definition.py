"""Validation and deployment copies of workflow definitions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.workflow.conftest import SECOND, definition, stage
from vwf.workflow import Stage
from vwf.workflow.errors import DefinitionError


def test_unknown_prerequisite_names_stage():
    with pytest.raises(DefinitionError, match="stage 'B' needs unknown stage 'X'"):
        definition("d", stage("A"), stage("B", "X"))


def test_cycle_names_stages():
    with pytest.raises(DefinitionError, match="cycle A -> C -> B -> A"):
        definition("d", stage("A", "C"), stage("B", "A"), stage("C", "B"))


def test_self_prerequisite_is_cycle():
    with pytest.raises(DefinitionError, match="cycle A -> A"):
        definition("d", stage("A", "A"))


def test_duplicate_stage_names():
    with pytest.raises(DefinitionError, match="stage name 'A' appears twice"):
        definition("d", stage("A"), stage("A"))


def test_no_stages():
    with pytest.raises(DefinitionError, match="has no stages"):
        definition("d")


def test_negative_timeout_names_stage_and_field():
    with pytest.raises(
        DefinitionError, match="start_to_close_timeout of stage 'A' is -1 day"
    ):
        stage("A", start_to_close_timeout=-SECOND)


def test_fractional_seconds_rejected():
    with pytest.raises(DefinitionError, match="whole seconds"):
        stage("A", heartbeat_timeout=timedelta(seconds=1.5))


def test_heartbeats_need_heartbeat_timeout():
    with pytest.raises(DefinitionError, match="set heartbeat_timeout"):
        stage("A", heartbeats=True)


def test_multipliers_below_one_rejected():
    with pytest.raises(DefinitionError, match="timeout_retry_multipliers of stage 'A'"):
        stage("A", timeout_retry_multipliers=(1, 0.5))


def test_negative_failure_retries_rejected():
    with pytest.raises(DefinitionError, match="failure_retries of stage 'A' is -1"):
        stage("A", failure_retries=-1)


def test_swf_name_characters_rejected():
    with pytest.raises(DefinitionError, match="task_list of stage 'A'"):
        stage("A", task_list="a:b")


def test_negative_workflow_timeout():
    with pytest.raises(
        DefinitionError, match="task_start_to_close_timeout of workflow"
    ):
        definition("d", stage("A"), task_start_to_close_timeout=-SECOND)


def test_unknown_child_policy():
    with pytest.raises(DefinitionError, match="child_policy 'KILL'"):
        definition("d", stage("A"), child_policy="KILL")


def test_parallel_stages_are_valid():
    workflow = definition("d", stage("A"), stage("B"), stage("C", "A", "B"))

    assert [s.name for s in workflow.stages] == ["A", "B", "C"]


def test_timeouts_for_multiplies_each_timeout():
    timed = Stage(
        "A",
        "a",
        start_to_close_timeout=10 * SECOND,
        heartbeat_timeout=2 * SECOND,
        timeout_retry_multipliers=(1, 2, 4),
    )

    timeouts = timed.timeouts_for(2)

    assert timeouts["start_to_close_timeout"] == 40 * SECOND
    assert timeouts["heartbeat_timeout"] == 8 * SECOND
    assert timeouts["schedule_to_close_timeout"] is None


def test_timeout_retries_from_multipliers():
    assert stage("A", timeout_retry_multipliers=(1, 2, 4)).timeout_retries == 2


def test_deployment_suffixes_types_and_task_lists():
    workflow = definition("d", stage("FaceDetect"), name="VideoProcessing")

    staging = workflow.for_deployment("staging")

    face_detect = staging.stage("FaceDetect")
    assert staging.name == "VideoProcessingStaging"
    assert staging.decider_task_list == "TestDecisionsStaging"
    assert face_detect.activity_type_name == "FaceDetectStaging"
    assert face_detect.task_list == "FaceDetectTasksStaging"
    assert staging.domain == "d"


def test_deployment_keeps_original():
    workflow = definition("d", stage("A"))

    workflow.for_deployment("staging")

    assert workflow.stage("A").activity_type_name == "A"


def test_empty_deployment_is_identity():
    workflow = definition("d", stage("A"))

    assert workflow.for_deployment("") is workflow


def test_invalid_deployment_name():
    with pytest.raises(DefinitionError, match="invalid deployment 'my-stage'"):
        definition("d", stage("A")).for_deployment("my-stage")

"""Workflow and activity types: registration, listing, deprecation, deletion."""

from __future__ import annotations

import pytest

from tests.engine.scenario import ACTIVITY, DOMAIN, WORKFLOW, register


@pytest.fixture
def domain(swf):
    swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
    return DOMAIN


def test_register_workflow_type_then_describe(swf, domain):
    swf.register_workflow_type(
        domain=domain,
        **WORKFLOW,
        description="ingest a video",
        defaultTaskList={"name": "deciders"},
        defaultTaskStartToCloseTimeout="30",
        defaultExecutionStartToCloseTimeout="600",
        defaultChildPolicy="ABANDON",
        defaultTaskPriority="5",
    )

    detail = swf.describe_workflow_type(domain=domain, workflowType=WORKFLOW)

    assert detail["typeInfo"]["workflowType"] == WORKFLOW
    assert detail["typeInfo"]["status"] == "REGISTERED"
    assert detail["typeInfo"]["description"] == "ingest a video"
    assert detail["configuration"] == {
        "defaultTaskList": {"name": "deciders"},
        "defaultTaskStartToCloseTimeout": "30",
        "defaultExecutionStartToCloseTimeout": "600",
        "defaultChildPolicy": "ABANDON",
        "defaultTaskPriority": "5",
    }


def test_register_activity_type_then_describe(swf, domain):
    swf.register_activity_type(
        domain=domain,
        **ACTIVITY,
        defaultTaskList={"name": "workers"},
        defaultTaskHeartbeatTimeout="NONE",
        defaultTaskScheduleToStartTimeout="10",
    )

    detail = swf.describe_activity_type(domain=domain, activityType=ACTIVITY)

    assert detail["typeInfo"]["activityType"] == ACTIVITY
    assert detail["configuration"]["defaultTaskHeartbeatTimeout"] == "NONE"
    assert detail["configuration"]["defaultTaskScheduleToStartTimeout"] == "10"


def test_register_twice_raises_type_already_exists(swf, domain):
    swf.register_activity_type(domain=domain, **ACTIVITY)

    with pytest.raises(swf.exceptions.TypeAlreadyExistsFault):
        swf.register_activity_type(domain=domain, **ACTIVITY)


def test_register_in_unknown_domain_raises_unknown_resource(swf):
    with pytest.raises(swf.exceptions.UnknownResourceFault):
        swf.register_workflow_type(domain="missing", **WORKFLOW)


def test_describe_unknown_raises_unknown_resource(swf, domain):
    with pytest.raises(swf.exceptions.UnknownResourceFault):
        swf.describe_activity_type(domain=domain, activityType=ACTIVITY)


def test_deprecate_sets_status_and_date(swf, domain):
    swf.register_workflow_type(domain=domain, **WORKFLOW)

    swf.deprecate_workflow_type(domain=domain, workflowType=WORKFLOW)
    info = swf.describe_workflow_type(domain=domain, workflowType=WORKFLOW)["typeInfo"]

    assert info["status"] == "DEPRECATED"
    assert "deprecationDate" in info


def test_deprecate_twice_raises_type_deprecated(swf, domain):
    swf.register_workflow_type(domain=domain, **WORKFLOW)
    swf.deprecate_workflow_type(domain=domain, workflowType=WORKFLOW)

    with pytest.raises(swf.exceptions.TypeDeprecatedFault):
        swf.deprecate_workflow_type(domain=domain, workflowType=WORKFLOW)


def test_undeprecate_registered_raises_type_already_exists(swf, domain):
    swf.register_activity_type(domain=domain, **ACTIVITY)

    with pytest.raises(swf.exceptions.TypeAlreadyExistsFault):
        swf.undeprecate_activity_type(domain=domain, activityType=ACTIVITY)


def test_undeprecate_restores_registered(swf, domain):
    swf.register_activity_type(domain=domain, **ACTIVITY)
    swf.deprecate_activity_type(domain=domain, activityType=ACTIVITY)

    swf.undeprecate_activity_type(domain=domain, activityType=ACTIVITY)
    info = swf.describe_activity_type(domain=domain, activityType=ACTIVITY)["typeInfo"]

    assert info["status"] == "REGISTERED"
    assert "deprecationDate" not in info


def test_delete_registered_raises_type_not_deprecated(swf, domain):
    swf.register_workflow_type(domain=domain, **WORKFLOW)

    with pytest.raises(swf.exceptions.TypeNotDeprecatedFault):
        swf.delete_workflow_type(domain=domain, workflowType=WORKFLOW)


def test_delete_deprecated_removes_type(swf, domain):
    swf.register_activity_type(domain=domain, **ACTIVITY)
    swf.deprecate_activity_type(domain=domain, activityType=ACTIVITY)

    swf.delete_activity_type(domain=domain, activityType=ACTIVITY)

    with pytest.raises(swf.exceptions.UnknownResourceFault):
        swf.describe_activity_type(domain=domain, activityType=ACTIVITY)


def test_list_filters_by_name_and_status(swf, domain):
    for name, version in (("a", "1"), ("a", "2"), ("b", "1")):
        swf.register_workflow_type(domain=domain, name=name, version=version)
    swf.deprecate_workflow_type(
        domain=domain, workflowType={"name": "a", "version": "1"}
    )

    registered = swf.list_workflow_types(domain=domain, registrationStatus="REGISTERED")
    named = swf.list_workflow_types(
        domain=domain, registrationStatus="REGISTERED", name="a"
    )

    assert [info["workflowType"] for info in registered["typeInfos"]] == [
        {"name": "a", "version": "2"},
        {"name": "b", "version": "1"},
    ]
    assert [info["workflowType"]["version"] for info in named["typeInfos"]] == ["2"]


def test_list_pages_activity_types(swf, domain):
    versions = [str(i) for i in range(5)]
    for version in versions:
        swf.register_activity_type(domain=domain, name="step", version=version)

    first = swf.list_activity_types(
        domain=domain, registrationStatus="REGISTERED", maximumPageSize=3
    )
    second = swf.list_activity_types(
        domain=domain,
        registrationStatus="REGISTERED",
        maximumPageSize=3,
        nextPageToken=first["nextPageToken"],
    )

    listed = first["typeInfos"] + second["typeInfos"]
    assert [info["activityType"]["version"] for info in listed] == versions
    assert "nextPageToken" not in second


def test_start_deprecated_type_raises_type_deprecated(swf):
    register(swf)
    swf.deprecate_workflow_type(domain=DOMAIN, workflowType=WORKFLOW)

    with pytest.raises(swf.exceptions.TypeDeprecatedFault):
        swf.start_workflow_execution(
            domain=DOMAIN, workflowId="wf-1", workflowType=WORKFLOW
        )

"""Registration of domains and types, and conflicts with registered defaults."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.workflow.conftest import SECOND, definition, stage
from vwf.workflow import register
from vwf.workflow.errors import RegistrationError, TypeConflictError

DAY = timedelta(days=1)


def test_register_twice_is_harmless(swf):
    workflow = definition(swf.domain, stage("A"), stage("B", "A"))

    register(swf.client, workflow, DAY)
    register(swf.client, workflow, DAY)

    types = swf.client.list_activity_types(
        domain=swf.domain, registrationStatus="REGISTERED"
    )["typeInfos"]
    assert sorted(info["activityType"]["name"] for info in types) == ["A", "B"]


def test_register_sends_only_set_defaults(swf):
    workflow = definition(swf.domain, stage("A", heartbeat_timeout=None))

    register(swf.client, workflow, DAY)

    described = swf.client.describe_activity_type(
        domain=swf.domain, activityType={"name": "A", "version": "1"}
    )["configuration"]
    assert described["defaultTaskStartToCloseTimeout"] == "30"
    assert described["defaultTaskList"] == {"name": "ATasks"}
    assert "defaultTaskHeartbeatTimeout" not in described


def test_register_domain_retention(swf):
    register(swf.client, definition(swf.domain, stage("A")), 7 * DAY)

    described = swf.client.describe_domain(name=swf.domain)

    assert described["configuration"]["workflowExecutionRetentionPeriodInDays"] == "7"


def test_activity_conflict_names_type_values_and_fix(swf):
    register(swf.client, definition(swf.domain, stage("A")), DAY)
    changed = definition(swf.domain, stage("A", start_to_close_timeout=45 * SECOND))

    with pytest.raises(TypeConflictError) as raised:
        register(swf.client, changed, DAY)

    message = str(raised.value)
    assert "activity type A version 1" in message
    assert "defaultTaskStartToCloseTimeout: registered '30', defined '45'" in message
    assert "bump the version" in message


def test_workflow_conflict_reported(swf):
    workflow = definition(swf.domain, stage("A"))
    register(swf.client, workflow, DAY)
    changed = dataclasses.replace(workflow, decider_task_list="Other")

    with pytest.raises(TypeConflictError, match="workflow type Test version 1"):
        register(swf.client, changed, DAY)


def test_new_version_registers_beside_old(swf):
    register(swf.client, definition(swf.domain, stage("A")), DAY)
    bumped = definition(
        swf.domain, stage("A", start_to_close_timeout=45 * SECOND, version="2")
    )

    register(swf.client, bumped, DAY)

    described = swf.client.describe_activity_type(
        domain=swf.domain, activityType={"name": "A", "version": "2"}
    )["configuration"]
    assert described["defaultTaskStartToCloseTimeout"] == "45"


@pytest.mark.parametrize("retention", [timedelta(hours=5), 91 * DAY, -DAY, 7])
def test_invalid_retention_rejected(swf, retention):
    with pytest.raises(RegistrationError, match="retention"):
        register(swf.client, definition(swf.domain, stage("A")), retention)


def test_retention_none_accepted(swf):
    register(swf.client, definition(swf.domain, stage("A")), "NONE")

    described = swf.client.describe_domain(name=swf.domain)

    assert (
        described["configuration"]["workflowExecutionRetentionPeriodInDays"] == "NONE"
    )

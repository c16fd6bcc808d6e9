"""Domains: registration, description, listing and deprecation."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.engine.scenario import error_code


def test_register_then_describe_returns_configuration(swf):
    swf.register_domain(
        name="media",
        description="home videos",
        workflowExecutionRetentionPeriodInDays="7",
    )

    detail = swf.describe_domain(name="media")

    assert detail["domainInfo"]["name"] == "media"
    assert detail["domainInfo"]["status"] == "REGISTERED"
    assert detail["domainInfo"]["description"] == "home videos"
    assert detail["configuration"]["workflowExecutionRetentionPeriodInDays"] == "7"


def test_register_twice_raises_domain_already_exists(swf):
    swf.register_domain(name="media", workflowExecutionRetentionPeriodInDays="1")

    with pytest.raises(swf.exceptions.DomainAlreadyExistsFault):
        swf.register_domain(name="media", workflowExecutionRetentionPeriodInDays="1")


@pytest.mark.parametrize("retention", ["NONE", "0", "90"])
def test_register_accepts_retention(local_swf, retention):
    local_swf.register_domain(
        name="media", workflowExecutionRetentionPeriodInDays=retention
    )

    detail = local_swf.describe_domain(name="media")

    assert (
        detail["configuration"]["workflowExecutionRetentionPeriodInDays"] == retention
    )


@pytest.mark.parametrize("retention", ["91", "-1", "seven", "1.5"])
def test_register_invalid_retention_raises_validation(local_swf, retention):
    with pytest.raises(ClientError) as excinfo:
        local_swf.register_domain(
            name="media", workflowExecutionRetentionPeriodInDays=retention
        )

    assert error_code(excinfo) == "ValidationException"
    assert "workflowExecutionRetentionPeriodInDays" in str(excinfo.value)


@pytest.mark.parametrize(
    "name", ["a:b", "a/b", "a|b", "a\u0007b", "a\u0085b", "arn-domain", " padded"]
)
def test_register_invalid_name_raises_validation(local_swf, name):
    with pytest.raises(ClientError) as excinfo:
        local_swf.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")

    assert error_code(excinfo) == "ValidationException"


def test_describe_unknown_raises_unknown_resource(swf):
    with pytest.raises(swf.exceptions.UnknownResourceFault):
        swf.describe_domain(name="missing")


def test_deprecate_then_undeprecate_changes_status(swf):
    swf.register_domain(name="media", workflowExecutionRetentionPeriodInDays="1")

    swf.deprecate_domain(name="media")
    deprecated = swf.describe_domain(name="media")["domainInfo"]["status"]
    swf.undeprecate_domain(name="media")
    registered = swf.describe_domain(name="media")["domainInfo"]["status"]

    assert deprecated == "DEPRECATED"
    assert registered == "REGISTERED"


def test_deprecate_twice_raises_domain_deprecated(swf):
    swf.register_domain(name="media", workflowExecutionRetentionPeriodInDays="1")
    swf.deprecate_domain(name="media")

    with pytest.raises(swf.exceptions.DomainDeprecatedFault):
        swf.deprecate_domain(name="media")


def test_undeprecate_registered_raises_domain_already_exists(swf):
    swf.register_domain(name="media", workflowExecutionRetentionPeriodInDays="1")

    with pytest.raises(swf.exceptions.DomainAlreadyExistsFault):
        swf.undeprecate_domain(name="media")


def test_deprecated_domain_rejects_new_types(swf):
    swf.register_domain(name="media", workflowExecutionRetentionPeriodInDays="1")
    swf.deprecate_domain(name="media")

    with pytest.raises(swf.exceptions.DomainDeprecatedFault):
        swf.register_workflow_type(domain="media", name="w", version="1")


def test_list_filters_by_status(swf):
    for name in ("a", "b", "c"):
        swf.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")
    swf.deprecate_domain(name="b")

    registered = swf.list_domains(registrationStatus="REGISTERED")["domainInfos"]
    deprecated = swf.list_domains(registrationStatus="DEPRECATED")["domainInfos"]

    assert [info["name"] for info in registered] == ["a", "c"]
    assert [info["name"] for info in deprecated] == ["b"]


def test_list_pages_in_order_and_reverse(swf):
    names = [f"d{i}" for i in range(5)]
    for name in names:
        swf.register_domain(name=name, workflowExecutionRetentionPeriodInDays="1")

    forward = _all_domain_names(swf, reverseOrder=False)
    backward = _all_domain_names(swf, reverseOrder=True)

    assert forward == names
    assert backward == names[::-1]


def _all_domain_names(swf, **request):
    names, token = [], None
    while True:
        if token:
            request["nextPageToken"] = token
        page = swf.list_domains(
            registrationStatus="REGISTERED", maximumPageSize=2, **request
        )
        assert len(page["domainInfos"]) <= 2
        names.extend(info["name"] for info in page["domainInfos"])
        token = page.get("nextPageToken")
        if not token:
            return names

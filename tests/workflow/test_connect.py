"""Opening the SWF client from settings."""

from __future__ import annotations

from vwf.config import load_settings
from vwf.workflow import open_swf_client


def test_unset_endpoint_runs_embedded_engine(vwf_home):
    settings = load_settings(database_url=f"sqlite:///{vwf_home / 'sub' / 'e.db'}")

    with open_swf_client(settings) as connection:
        connection.client.register_domain(
            name="vwf", workflowExecutionRetentionPeriodInDays="1"
        )
        domains = connection.client.list_domains(registrationStatus="REGISTERED")

    assert [info["name"] for info in domains["domainInfos"]] == ["vwf"]
    assert (vwf_home / "sub" / "e.db").exists()


def test_endpoint_url_uses_stock_boto3(vwf_home, moto_endpoint, monkeypatch):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(vwf_home / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(vwf_home / "none"))
    settings = load_settings(swf_endpoint=moto_endpoint)

    with open_swf_client(settings) as connection:
        connection.client.register_domain(
            name="connect-test", workflowExecutionRetentionPeriodInDays="1"
        )
        described = connection.client.describe_domain(name="connect-test")

    assert described["domainInfo"]["name"] == "connect-test"


def test_aws_uses_region_without_endpoint(vwf_home):
    settings = load_settings(swf_endpoint="aws", swf_region="eu-west-1")

    with open_swf_client(settings) as connection:
        endpoint = connection.client.meta.endpoint_url

    assert endpoint == "https://swf.eu-west-1.amazonaws.com"

"""``vwf engine serve``: help, bad input and clean stop on SIGTERM."""

from __future__ import annotations

import boto3
import botocore
import pytest
from click.testing import CliRunner

from tests.engine.serve_process import ServeProcess
from tests.engine.swf_steps import http_client
from tests.ports import free_port
from vwf.cli import main


def run_serve(*args: str):
    return CliRunner().invoke(main, ["engine", "serve", *args])


def test_serve_help_documents_options():
    result = run_serve("--help")

    assert result.exit_code == 0
    assert "--database" in result.output
    assert "ACCESS_KEY_ID SECRET_KEY" in result.output
    assert "VWF_ENGINE_ACCESS_KEYS" in result.output


def test_serve_help_documents_timeouts():
    result = run_serve("--help")

    assert "--read-timeout" in result.output
    assert "--idle-timeout" in result.output


def test_serve_zero_read_timeout_rejected_with_its_name(vwf_home):
    result = run_serve("--port", "0", "--read-timeout", "0s")

    assert result.exit_code == 2
    assert "'--read-timeout'" in result.output
    assert "longer than 0s" in result.output


def test_serve_bad_database_url_names_it(vwf_home):
    result = run_serve("--database", "not a url")

    assert result.exit_code == 1
    assert "'not a url'" in result.output
    assert "--database" in result.output


def test_serve_unknown_database_dialect_names_it(vwf_home):
    result = run_serve("--database", "nosuchdb://host/name")

    assert result.exit_code == 1
    assert "nosuchdb://host/name" in result.output


def test_serve_public_host_without_keys_rejected(vwf_home):
    result = run_serve("--host", "0.0.0.0", "--port", "0")

    assert result.exit_code == 1
    assert "'0.0.0.0'" in result.output
    assert "--access-key-file" in result.output


def test_serve_malformed_access_key_file_rejected(vwf_home, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("# comment\nAKID1 secret1\nAKID2\n")

    result = run_serve("--access-key-file", str(keys))

    assert result.exit_code == 1
    assert "line 3" in result.output
    assert "secret1" not in result.output


def test_serve_missing_access_key_file_rejected(vwf_home, tmp_path):
    result = run_serve("--access-key-file", str(tmp_path / "absent"))

    assert result.exit_code == 1
    assert "absent" in result.output


def test_serve_stops_on_sigterm_with_exit_0(tmp_path):
    home = tmp_path / "new-home"
    server = ServeProcess(None, env={"VWF_HOME": str(home)})
    url = server.wait_listening()
    http_client(url).register_domain(
        name="before-stop", workflowExecutionRetentionPeriodInDays="1"
    )

    exit_code = server.terminate()

    assert exit_code == 0
    assert (home / "engine.db").is_file()
    assert "stopped" in server.log


def test_serve_accepts_keys_from_environment(tmp_path):
    server = ServeProcess(
        f"sqlite:///{tmp_path / 'engine.db'}",
        env={"VWF_ENGINE_ACCESS_KEYS": "AKID1 secret1,AKID2 secret2"},
    )
    url = server.wait_listening()
    try:
        signed = boto3.client(
            "swf",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="AKID2",
            aws_secret_access_key="secret2",
        )
        domains = signed.list_domains(registrationStatus="REGISTERED")
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            http_client(url).list_domains(registrationStatus="REGISTERED")
    finally:
        exit_code = server.terminate()

    assert domains["domainInfos"] == []
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert exit_code == 0


def test_serve_exposes_prometheus_metrics(tmp_path):
    import urllib.request

    metrics_port = free_port()
    server = ServeProcess(
        f"sqlite:///{tmp_path / 'engine.db'}", "--metrics-port", str(metrics_port)
    )
    url = server.wait_listening()
    try:
        http_client(url).register_domain(
            name="metrics", workflowExecutionRetentionPeriodInDays="1"
        )
        metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        with urllib.request.urlopen(metrics_url, timeout=10) as response:
            text = response.read().decode()
    finally:
        server.terminate()

    assert 'vwf_engine_request_seconds_count{operation="RegisterDomain"} 1.0' in text

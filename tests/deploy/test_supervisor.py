"""`vwf deploy supervisor`: the file parses, and supervisord runs it."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ports import free_port
from vwf.cli import main
from vwf.deploy import plan_host, render_supervisor


def _parse(text: str) -> configparser.RawConfigParser:
    config = configparser.RawConfigParser()
    config.read_string(text)
    return config


def test_supervisor_has_program_per_process():
    plan = plan_host({"Transcode": 1, "FaceDetect": 2}, engine=True, environment={})

    config = _parse(render_supervisor(plan))

    programs = [s for s in config.sections() if s.startswith("program:")]
    assert programs == [
        "program:vwf-engine",
        "program:vwf-decider",
        "program:vwf-worker-Transcode",
        "program:vwf-worker-FaceDetect",
        "program:vwf-scheduler",
    ]
    assert config["program:vwf-worker-FaceDetect"]["numprocs"] == "2"


def test_supervisor_restarts_and_stops_gracefully():
    plan = plan_host({"FaceDetect": 1}, engine=False, environment={})

    section = _parse(render_supervisor(plan))["program:vwf-worker-FaceDetect"]

    assert section["autorestart"] == "true"
    assert section["stopsignal"] == "TERM"
    assert int(section["stopwaitsecs"]) > 30
    assert section["command"].endswith("worker FaceDetect --grace 30")


def test_supervisor_environment_points_at_engine():
    plan = plan_host({}, engine=True, environment={"VWF_HOME": "/srv/vwf"})

    section = _parse(render_supervisor(plan))["program:vwf-decider"]

    assert 'VWF_HOME="/srv/vwf"' in section["environment"]
    assert 'VWF_SWF_ENDPOINT="http://127.0.0.1:8765"' in section["environment"]


def test_supervisor_escapes_percent_in_environment():
    plan = plan_host({}, engine=False, environment={"VWF_SMTP_PASSWORD": "50%off"})

    section = _parse(render_supervisor(plan))["program:vwf-decider"]

    assert 'VWF_SMTP_PASSWORD="50%%off"' in section["environment"]


def test_deploy_cli_rejects_unknown_stage():
    result = CliRunner().invoke(main, ["deploy", "supervisor", "--workers", "Nope=1"])

    assert result.exit_code == 2
    assert "Nope" in result.output


@pytest.mark.slow
def test_supervisord_runs_generated_file(tmp_path: Path, vwf_home: Path):
    config_path = tmp_path / "supervisord.conf"
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    port = free_port()
    result = CliRunner().invoke(
        main,
        ["deploy", "supervisor", "--standalone", "--log-dir", str(log_dir),
         "--workers", "Upload=0", "--workers", "FaceRecognize=0",
         "--workers", "NotifyComplete=0", "-o", str(config_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = config_path.read_text().replace("--port 8765", f"--port {port}")
    config_path.write_text(text.replace(":8765", f":{port}"))
    supervisord = Path(sys.executable).with_name("supervisord")
    process = subprocess.Popen([str(supervisord), "-c", str(config_path)])
    try:
        states = _wait_for_running(config_path, expected=5)
    finally:
        process.terminate()
        process.wait(timeout=60)

    assert set(states.values()) == {"RUNNING"}


def _wait_for_running(config_path: Path, expected: int) -> dict[str, str]:
    supervisorctl = Path(sys.executable).with_name("supervisorctl")
    states: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        output = subprocess.run(
            [str(supervisorctl), "-c", str(config_path), "status"],
            capture_output=True,
            text=True,
            env={**os.environ},
        ).stdout
        states = dict(line.split()[:2] for line in output.splitlines() if line)
        if len(states) == expected and set(states.values()) == {"RUNNING"}:
            return states
        time.sleep(1)
    return states


def test_supervisor_output_file_is_private(tmp_path):
    output = tmp_path / "supervisord.conf"

    result = CliRunner().invoke(main, ["deploy", "supervisor", "-o", str(output)])

    assert result.exit_code == 0, result.output
    assert output.stat().st_mode & 0o777 == 0o600

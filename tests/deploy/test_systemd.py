"""`vwf deploy systemd`: template units, the target and the environment file."""

from __future__ import annotations

import configparser
import stat

from click.testing import CliRunner

from vwf.cli import main
from vwf.deploy import plan_host, render_systemd


def _parse(text: str) -> configparser.RawConfigParser:
    config = configparser.RawConfigParser(strict=False)
    config.optionxform = str
    config.read_string(text)
    return config


def test_systemd_template_unit_per_program():
    plan = plan_host({"FaceDetect": 3}, engine=False, environment={})

    units = render_systemd(plan)

    assert sorted(units) == [
        "vwf-decider@.service",
        "vwf-scheduler@.service",
        "vwf-worker-FaceDetect@.service",
        "vwf.env",
        "vwf.target",
    ]


def test_systemd_target_wants_each_instance():
    plan = plan_host({"FaceDetect": 3}, engine=False, environment={})

    target = _parse(render_systemd(plan)["vwf.target"])

    wants = target["Unit"]["Wants"].split()
    assert "vwf-worker-FaceDetect@3.service" in wants
    assert "vwf-worker-FaceDetect@4.service" not in wants
    assert "vwf-decider@1.service" in wants


def test_systemd_unit_restarts_and_stops_gracefully():
    plan = plan_host({"FaceDetect": 1}, engine=False, environment={})

    unit = _parse(render_systemd(plan)["vwf-worker-FaceDetect@.service"])

    service = unit["Service"]
    assert service["Restart"] == "always"
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > 30
    assert service["EnvironmentFile"] == "/etc/vwf/vwf.env"
    assert service["ExecStart"].endswith("worker FaceDetect --grace 30")


def test_systemd_env_file_quotes_values():
    plan = plan_host({}, engine=False, environment={"VWF_SMTP_PASSWORD": "a b'c"})

    env = render_systemd(plan)["vwf.env"]

    assert env == "VWF_SMTP_PASSWORD='a b'\"'\"'c'\n"


def test_deploy_systemd_writes_private_env_file(tmp_path):
    result = CliRunner().invoke(
        main, ["deploy", "systemd", "--no-engine", "-o", str(tmp_path)]
    )

    assert result.exit_code == 0, result.output
    mode = stat.S_IMODE((tmp_path / "vwf.env").stat().st_mode)
    assert mode == 0o600
    assert (tmp_path / "vwf-worker-Transcode@.service").exists()

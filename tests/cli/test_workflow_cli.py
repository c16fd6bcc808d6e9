"""``vwf register``, ``vwf decider`` and ``vwf worker``."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading

from click.testing import CliRunner

from vwf.cli import main
from vwf.engine import Engine, connect


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


def registered_workflow_types(home) -> list[str]:
    engine = Engine(f"sqlite:///{home / 'engine.db'}")
    engine.start()
    try:
        infos = connect(engine).list_workflow_types(
            domain="vwf", registrationStatus="REGISTERED"
        )["typeInfos"]
    finally:
        engine.close()
    return sorted(info["workflowType"]["name"] for info in infos)


def test_register_twice_succeeds(vwf_home):
    first = run_cli("register", "--retention-days", "7")
    second = run_cli("register", "--retention-days", "7")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert registered_workflow_types(vwf_home) == [
        "VideoProcessing",
        "VideoProcessingWithUpload",
    ]


def test_register_deployment_suffix(vwf_home):
    result = run_cli("register", "--deployment", "staging")

    assert result.exit_code == 0, result.output
    assert registered_workflow_types(vwf_home) == [
        "VideoProcessingStaging",
        "VideoProcessingWithUploadStaging",
    ]


def test_register_rejects_long_retention(vwf_home):
    result = run_cli("register", "--retention-days", "365")

    assert result.exit_code == 2
    assert "--retention-days" in result.output


def test_register_rejects_invalid_deployment(vwf_home):
    result = run_cli("register", "--deployment", "my-stage")

    assert result.exit_code == 1
    assert "invalid deployment 'my-stage'" in result.output


def test_worker_unknown_stage_named(vwf_home):
    result = run_cli("worker", "Resize")

    assert result.exit_code == 1
    assert "unknown stage 'Resize'" in result.output


def test_worker_needs_a_stage(vwf_home):
    result = run_cli("worker")

    assert result.exit_code == 2
    assert "STAGE" in result.output


def test_decider_stops_on_sigterm(vwf_home):
    assert run_cli("register").exit_code == 0
    decider = subprocess.Popen(
        [sys.executable, "-m", "vwf", "decider"],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def read_log() -> None:
        for line in decider.stderr:
            lines.append(line)
            if "started on domain vwf" in line:
                started.set()

    reader = threading.Thread(target=read_log)
    reader.start()
    try:
        assert started.wait(30), "".join(lines)
        decider.send_signal(signal.SIGTERM)
        exit_code = decider.wait(30)
    finally:
        if decider.poll() is None:
            decider.kill()
        reader.join(10)

    assert exit_code == 0, "".join(lines)
    assert any("stopped" in line for line in lines)

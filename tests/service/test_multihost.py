"""Several hosts on one machine: an engine on PostgreSQL, the library on the
same PostgreSQL database, media in S3 (moto's server), and two Transcode
workers with separate data directories sharing only those."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ports import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WAIT_SECONDS = 240.0


class _Cluster:
    def __init__(self, base_env: dict[str, str], tmp_path: Path) -> None:
        self.env = base_env
        self.tmp_path = tmp_path
        self.processes: dict[str, subprocess.Popen] = {}

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        home = self.tmp_path / name
        home.mkdir(exist_ok=True)
        log = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "vwf", *args],
            env={**self.env, "VWF_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def cli(self, *args: str) -> str:
        home = self.tmp_path / "client"
        home.mkdir(exist_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "vwf", *args],
            env={**self.env, "VWF_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def history(self, media_id: str) -> list[dict]:
        return json.loads(self.cli("history", media_id, "--json"))

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def cluster(tmp_path, postgres_url, moto_endpoint, s3_bucket):
    engine_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VWF_")}
    env.update(
        VWF_SWF_ENDPOINT=f"http://127.0.0.1:{engine_port}",
        VWF_LIBRARY_URL=postgres_url,
        VWF_STORAGE_URL=f"s3://{s3_bucket}/vwf",
        VWF_S3_ENDPOINT=moto_endpoint,
        VWF_TIMEOUT_SCALE="0.03",
    )
    cluster = _Cluster(env, tmp_path)
    cluster.spawn(
        "engine",
        *("engine", "serve", "--port", str(engine_port), "--metrics-port", "0"),
        *("--database", postgres_url),
    )
    _wait_for_port(engine_port)
    cluster.cli("register", "--retention-days", "1")
    cluster.spawn("decider", "decider")
    cluster.spawn("transcode-a", "worker", "Transcode")
    cluster.spawn("transcode-b", "worker", "Transcode")
    cluster.spawn("others", "worker", "FaceDetect", "FaceRecognize", "NotifyComplete")
    yield cluster
    cluster.close()


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"engine did not listen on port {port}")


def _submit(cluster: _Cluster, video: Path) -> str:
    output = cluster.cli("submit", str(video), "--user", "ada@example.com")
    return output.split()[1]


def _wait_closed(cluster: _Cluster, media_id: str) -> list[dict]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        events = cluster.history(media_id)
        if events[-1]["eventType"].startswith("WorkflowExecution") and len(events) > 1:
            return events
        time.sleep(1.0)
    raise TimeoutError(f"workflow {media_id} did not close")


def _transcode_starts(events: list[dict]) -> list[str]:
    scheduled = {
        e["eventId"]
        for e in events
        if e["eventType"] == "ActivityTaskScheduled"
        and e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        == "Transcode"
    }
    return [
        e["activityTaskStartedEventAttributes"]["identity"]
        for e in events
        if e["eventType"] == "ActivityTaskStarted"
        and e["activityTaskStartedEventAttributes"]["scheduledEventId"] in scheduled
    ]


@pytest.fixture(scope="module")
def clips(tmp_path_factory, demo_inputs) -> list[Path]:
    """Three different short clips of the demo video."""
    directory = tmp_path_factory.mktemp("clips")
    paths = []
    for number, seconds in enumerate(("6", "7", "8")):
        path = directory / f"clip-{number}.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(demo_inputs.video), "-t",
             seconds, "-c:v", "libx264", "-preset", "veryfast", str(path)],
            check=True,
        )  # fmt: skip
        paths.append(path)
    return paths


def test_two_transcode_hosts_share_the_work(cluster, clips):
    media_ids = [_submit(cluster, clips[0]), _submit(cluster, clips[1])]

    histories = [_wait_closed(cluster, media_id) for media_id in media_ids]

    for events in histories:
        assert events[-1]["eventType"] == "WorkflowExecutionCompleted"
    identities = {_transcode_starts(events)[0] for events in histories}
    assert len(identities) == 2


def test_killed_transcode_host_work_finished_by_other(cluster, clips):
    media_id = _submit(cluster, clips[2])
    identity = _wait_for_transcode_start(cluster, media_id)
    pid = int(re.search(r"-(\d+)$", identity).group(1))
    victim = next(p for p in cluster.processes.values() if p.pid == pid)

    os.kill(victim.pid, signal.SIGKILL)
    events = _wait_closed(cluster, media_id)

    assert events[-1]["eventType"] == "WorkflowExecutionCompleted"
    types = [e["eventType"] for e in events]
    assert "ActivityTaskTimedOut" in types
    starts = _transcode_starts(events)
    assert starts[0] == identity
    assert starts[-1] != identity


def _wait_for_transcode_start(cluster: _Cluster, media_id: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        starts = _transcode_starts(cluster.history(media_id))
        if starts:
            return starts[0]
        time.sleep(0.2)
    raise TimeoutError(f"Transcode of {media_id} never started")

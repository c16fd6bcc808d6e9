"""`vwf serve` as a subprocess: two videos at once, notifications, restarts."""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.ports import free_port
from vwf.library import Library, Media, MediaStatus

COMPLETION_TIMEOUT = 240.0


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    handler, port = _Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def service_env(tmp_path: Path, inbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VWF_")}
    env.update(
        VWF_HOME=str(tmp_path / "home"),
        VWF_SMTP_HOST="127.0.0.1",
        VWF_SMTP_PORT=str(inbox[1]),
    )
    return env


class _Service:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vwf", "serve", "--port", str(self.port)]
            + ["--metrics-port", "0"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        env = {**self.env, "VWF_SWF_ENDPOINT": f"http://127.0.0.1:{self.port}"}
        return subprocess.run(
            [sys.executable, "-m", "vwf", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=60)


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"vwf serve did not listen on port {port} within 60 s")


@pytest.fixture
def service(service_env, tmp_path) -> Iterator[_Service]:
    service = _Service(service_env, tmp_path / "serve.log")
    yield service
    if service.process is not None and service.process.poll() is None:
        service.process.kill()
        service.process.wait()


def _media_statuses(home: Path) -> dict[str, MediaStatus]:
    library = Library(f"sqlite:///{home / 'library.db'}")
    try:
        with library.session() as session:
            return {str(m.id): m.status for m in session.query(Media)}
    finally:
        library.dispose()


def _wait_until_done(home: Path, media_ids: list[str]) -> dict[str, MediaStatus]:
    deadline = time.monotonic() + COMPLETION_TIMEOUT
    while time.monotonic() < deadline:
        statuses = _media_statuses(home)
        done = [statuses.get(m) in (MediaStatus.COMPLETE, MediaStatus.FAILED)
                for m in media_ids]  # fmt: skip
        if all(done):
            return statuses
        time.sleep(1.0)
    raise TimeoutError(f"media {media_ids} did not finish: {_media_statuses(home)}")


def _submit(service: _Service, video: Path) -> str:
    result = service.cli("submit", str(video), "--user", "ada@example.com")
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[1]


@pytest.fixture(scope="module")
def second_video(tmp_path_factory, demo_inputs) -> Path:
    """The demo video's first 8 seconds: different content, same people."""
    path = tmp_path_factory.mktemp("second") / "short.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(demo_inputs.video), "-t", "8"]
        + ["-c:v", "libx264", "-preset", "veryfast", str(path)],
        check=True,
    )
    return path


def test_serve_processes_two_videos_at_once(service, inbox, demo_inputs, second_video):
    service.start()
    media_ids = [_submit(service, demo_inputs.video), _submit(service, second_video)]

    statuses = _wait_until_done(Path(service.env["VWF_HOME"]), media_ids)
    time.sleep(2)  # a duplicate email would arrive now

    assert [statuses[m] for m in media_ids] == [MediaStatus.COMPLETE] * 2
    assert len(inbox[0].messages) == 2
    subjects = sorted(email.message_from_bytes(m)["Subject"] for m in inbox[0].messages)
    assert subjects == ["Your video is ready", "Your video is ready"]


def test_serve_history_reads_completed_run(service, demo_inputs):
    service.start()
    media_id = _submit(service, demo_inputs.video)
    _wait_until_done(Path(service.env["VWF_HOME"]), [media_id])

    history = service.cli("history", media_id)

    assert history.returncode == 0, history.stderr
    lines = history.stdout.splitlines()
    assert "WorkflowExecutionStarted" in lines[0]
    assert "WorkflowExecutionCompleted" in lines[-1]
    event_ids = [int(line.split()[0]) for line in lines]
    assert event_ids == list(range(1, len(lines) + 1))


def test_serve_stops_on_sigterm(service):
    service.start()

    assert service.stop(signal.SIGTERM) == 0


def _face_rows(home: Path, media_id: str) -> tuple[list[tuple], int]:
    from vwf.library import Face, Person

    library = Library(f"sqlite:///{home / 'library.db'}")
    try:
        with library.session() as session:
            media = uuid.UUID(media_id)
            faces = session.query(Face).filter(Face.media_id == media).all()
            people = session.query(Person).count()
            return [(f.track_id, f.time_seconds) for f in faces], people
    finally:
        library.dispose()


def _wait_for_status(home: Path, media_id: str, status: MediaStatus) -> None:
    deadline = time.monotonic() + COMPLETION_TIMEOUT
    while _media_statuses(home).get(media_id) != status:
        if time.monotonic() > deadline:
            raise TimeoutError(f"media {media_id} never became {status}")
        time.sleep(0.2)


def test_serve_killed_mid_video_completes_after_restart(service, demo_inputs, tmp_path):
    # Scaled timeouts let the killed attempt time out in seconds, not minutes.
    service.env["VWF_TIMEOUT_SCALE"] = "0.03"
    home = Path(service.env["VWF_HOME"])
    service.start()
    media_id = _submit(service, demo_inputs.video)
    _wait_for_status(home, media_id, MediaStatus.VISIBLE)

    service.stop(signal.SIGKILL)
    service.start()
    statuses = _wait_until_done(home, [media_id])

    assert statuses[media_id] == MediaStatus.COMPLETE
    history = service.cli("history", media_id).stdout
    assert "ActivityTaskTimedOut" in history
    faces, people = _face_rows(home, media_id)
    assert len(faces) == len(set(faces))
    assert people == 2

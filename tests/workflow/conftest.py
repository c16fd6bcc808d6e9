"""Fixtures for the framework tests: an SWF service, stub stages and helpers.

Tests run against the embedded engine (in-process client on SQLite). Tests
that take ``moto_swf`` run against ``moto_server``, an independent SWF
implementation, through stock boto3 over HTTP on loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from tests.ports import free_port
from vwf.workflow import ActivityWorker, Decider, Stage, WorkflowDefinition, register

SECOND = timedelta(seconds=1)
LONG_POLL = timedelta(seconds=2)


@dataclass
class Swf:
    """An SWF client with helpers to start and inspect executions."""

    client: object
    domain: str
    database_url: str | None = None
    """The engine's database, for subprocesses that open their own engine."""

    def start(self, definition: WorkflowDefinition, input: dict, workflow_id=None):
        workflow_id = workflow_id or f"wf-{uuid.uuid4().hex[:8]}"
        response = self.client.start_workflow_execution(
            domain=self.domain,
            workflowId=workflow_id,
            workflowType={"name": definition.name, "version": definition.version},
            input=json.dumps(input),
        )
        return {"workflowId": workflow_id, "runId": response["runId"]}

    def wait_closed(self, execution: dict, timeout: float = 30.0) -> dict:
        """Return the execution info once the execution closed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.describe(execution)
            if info["executionStatus"] == "CLOSED":
                return info
            time.sleep(0.2)
        raise AssertionError(f"{execution} still open after {timeout} s")

    def describe(self, execution: dict) -> dict:
        return self.client.describe_workflow_execution(
            domain=self.domain, execution=execution
        )["executionInfo"]

    def history(self, execution: dict) -> list[dict]:
        events, token = [], None
        while True:
            page = self.client.get_workflow_execution_history(
                domain=self.domain,
                execution=execution,
                **({"nextPageToken": token} if token else {}),
            )
            events += page["events"]
            token = page.get("nextPageToken")
            if not token:
                return events

    def wait_for_event(self, execution: dict, event_type: str, timeout=30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.history(execution):
                if event["eventType"] == event_type:
                    return event
            time.sleep(0.2)
        raise AssertionError(f"no {event_type} in {execution} after {timeout} s")


def events_of(events: list[dict], event_type: str) -> list[dict]:
    return [event for event in events if event["eventType"] == event_type]


def attributes(event: dict) -> dict:
    key = event["eventType"][0].lower() + event["eventType"][1:] + "EventAttributes"
    return event[key]


def close_attributes(events: list[dict]) -> dict:
    return attributes(events[-1])


@pytest.fixture
def engine_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'engine.db'}"


@pytest.fixture
def swf(engine_url: str) -> Iterator[Swf]:
    """The embedded engine on a new SQLite file, through the in-process client."""
    from vwf.engine import Engine, EngineSettings, connect

    engine = Engine(engine_url, settings=EngineSettings(long_poll_timeout=LONG_POLL))
    engine.start()
    try:
        yield Swf(connect(engine), domain="test", database_url=engine_url)
    finally:
        engine.close()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """URL of a ``moto_server`` subprocess on a free loopback port."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "moto_server"),
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port)),
        ):
            return
        time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on port {port}")


@pytest.fixture
def moto_swf(moto_endpoint: str) -> Swf:
    """Stock boto3 on ``moto_server``, with a domain of its own."""
    client = boto3.client(
        "swf",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return Swf(client, domain=f"test-{uuid.uuid4().hex[:8]}")


def stage(name: str, *prerequisites: str, **overrides) -> Stage:
    """A stage with short timeouts for tests."""
    values = {
        "task_list": f"{name}Tasks",
        "prerequisites": prerequisites,
        "schedule_to_start_timeout": 30 * SECOND,
        "start_to_close_timeout": 30 * SECOND,
        "schedule_to_close_timeout": 60 * SECOND,
        "failure_retries": 1,
    }
    return Stage(name, **{**values, **overrides})


def definition(domain: str, *stages: Stage, **overrides) -> WorkflowDefinition:
    values = {
        "name": "Test",
        "version": "1",
        "domain": domain,
        "decider_task_list": "TestDecisions",
        "execution_start_to_close_timeout": timedelta(minutes=5),
        "task_start_to_close_timeout": 2 * SECOND,
        "stages": stages,
    }
    return WorkflowDefinition(**{**values, **overrides})


@contextlib.contextmanager
def running(
    swf: Swf,
    workflow: WorkflowDefinition,
    activities: dict[str, Callable],
    *,
    decider: bool = True,
    concurrency: int = 1,
    store=None,
    **decider_options,
) -> Iterator[ActivityWorker]:
    """Register ``workflow`` and run a decider and a worker in threads."""
    register(swf.client, workflow, timedelta(days=1))
    stop = threading.Event()
    threads = []
    if decider:
        decider_ = Decider(swf.client, workflow, store=store, **decider_options)
        threads.append(threading.Thread(target=decider_.run, args=(stop,), daemon=True))
    worker = ActivityWorker(
        swf.client, workflow, activities, concurrency=concurrency, store=store
    )
    for thread in threads:
        thread.start()
    worker.start()
    try:
        yield worker
    finally:
        stop.set()
        worker.shutdown(SECOND)
        worker.join(LONG_POLL + 5 * SECOND)
        for thread in threads:
            thread.join(LONG_POLL.total_seconds() + 5)


def subprocess_env() -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]
    return {**os.environ, "PYTHONPATH": str(root)}


def wait_for_file(path: Path, timeout: float = 10.0) -> None:
    """Wait until ``path`` has content."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} was not written"
        time.sleep(0.05)


def process_alive(pid: int) -> bool:
    """Return whether ``pid`` runs (a zombie counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def http_swf(engine_url: str) -> Iterator[Swf]:
    """The embedded engine behind ``vwf engine serve``'s HTTP server, through
    stock boto3 on loopback."""
    from botocore.config import Config

    from vwf.engine import Engine, EngineSettings
    from vwf.engine.http import EngineServer

    engine = Engine(engine_url, settings=EngineSettings(long_poll_timeout=LONG_POLL))
    engine.start()
    server = EngineServer(engine, host="127.0.0.1", port=0)
    server.start()
    client = boto3.client(
        "swf",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=70),
    )
    try:
        yield Swf(client, domain="test", database_url=engine_url)
    finally:
        server.stop()
        engine.close()


@pytest.fixture
def postgres_swf(postgres_url: str) -> Iterator[Swf]:
    """The embedded engine on a new PostgreSQL database."""
    from vwf.engine import Engine, EngineSettings, connect

    engine = Engine(postgres_url, settings=EngineSettings(long_poll_timeout=LONG_POLL))
    engine.start()
    try:
        yield Swf(connect(engine), domain="test", database_url=postgres_url)
    finally:
        engine.close()

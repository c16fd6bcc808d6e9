"""Long polls through stock boto3 over HTTP: wake-up, empty responses, clients
that vanish mid-poll and concurrent pollers."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests.engine.swf_steps import (
    ACTIVITIES,
    DECISIONS,
    DOMAIN,
    decide,
    event_types,
    history,
    http_client,
    register,
    schedule_activity,
    start,
)
from vwf.engine import Engine, EngineSettings
from vwf.engine.http import EngineServer

LONG_POLL = timedelta(seconds=2)


@pytest.fixture
def server(sqlite_url):
    engine = Engine(sqlite_url, settings=EngineSettings(long_poll_timeout=LONG_POLL))
    engine.start()
    server = EngineServer(engine, port=0)
    server.start()
    register(http_client(server.url))
    yield server
    server.stop()
    engine.close()


def without_metadata(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_default_long_poll_under_boto3_read_timeout():
    assert EngineSettings().long_poll_timeout < timedelta(seconds=60)


def test_poll_wakes_when_task_scheduled(server):
    swf = http_client(server.url)
    with ThreadPoolExecutor(max_workers=1) as pool:
        poll = pool.submit(
            swf.poll_for_decision_task, domain=DOMAIN, taskList={"name": DECISIONS}
        )
        time.sleep(0.5)
        start(http_client(server.url), "wake")
        task = poll.result(timeout=30)

    assert task.get("taskToken")
    assert task["workflowExecution"]["workflowId"] == "wake"


def test_empty_decision_poll_shape(server):
    swf = http_client(server.url)
    started = time.monotonic()

    task = swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": "idle"})

    assert time.monotonic() - started >= LONG_POLL.total_seconds() * 0.9
    assert not task.get("taskToken")
    assert task["startedEventId"] == 0


def test_empty_activity_poll_shape(server):
    swf = http_client(server.url)

    task = swf.poll_for_activity_task(domain=DOMAIN, taskList={"name": "idle"})

    assert not task.get("taskToken")
    assert task["startedEventId"] == 0


def poll_request(server, target: str, task_list: str) -> bytes:
    """Return the raw HTTP request of a poll on ``task_list``."""
    body = json.dumps({"domain": DOMAIN, "taskList": {"name": task_list}}).encode()
    url = urlsplit(server.url)
    return (
        f"POST / HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"X-Amz-Target: SimpleWorkflowService.{target}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def send_poll_and_close(server, target: str, task_list: str) -> None:
    """Send a poll on a raw socket and close it without reading the response."""
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(poll_request(server, target, task_list))
        time.sleep(0.3)


def test_vanished_activity_poller_loses_no_task(server, caplog):
    caplog.set_level(logging.INFO, logger="vwf.engine.http")
    swf = http_client(server.url)
    execution = start(swf, "vanish-activity")
    send_poll_and_close(server, "PollForActivityTask", ACTIVITIES)

    decide(swf, [schedule_activity("a1")])
    time.sleep(LONG_POLL.total_seconds() + 0.5)
    task = swf.poll_for_activity_task(domain=DOMAIN, taskList={"name": ACTIVITIES})

    assert task.get("activityId") == "a1"
    assert event_types(history(swf, execution)).count("ActivityTaskStarted") == 1
    assert "client connection lost" in caplog.text


def test_vanished_decision_poller_loses_no_task(server, caplog):
    caplog.set_level(logging.INFO, logger="vwf.engine.http")
    swf = http_client(server.url)
    send_poll_and_close(server, "PollForDecisionTask", DECISIONS)

    execution = start(swf, "vanish-decision")
    time.sleep(LONG_POLL.total_seconds() + 0.5)
    task = swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": DECISIONS})

    assert task.get("taskToken")
    assert event_types(history(swf, execution)).count("DecisionTaskStarted") == 1
    assert "client connection lost" in caplog.text


def test_vanished_poller_passes_its_wake_up_on(sqlite_url):
    # Polls recheck the database only every 60 s here, so before its long poll
    # ends the live poll can get the task only from the vanished poll's
    # wake-up, which a new task gives to the poll that waited longest.
    settings = EngineSettings(
        long_poll_timeout=timedelta(seconds=10),
        poll_recheck_interval=timedelta(seconds=60),
    )
    engine = Engine(sqlite_url, settings=settings)
    engine.start()
    server = EngineServer(engine, port=0)
    server.start()
    swf = http_client(server.url)
    register(swf)
    url = urlsplit(server.url)
    try:
        with (
            socket.create_connection((url.hostname, url.port), timeout=5) as dead,
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            dead.sendall(poll_request(server, "PollForDecisionTask", DECISIONS))
            time.sleep(0.3)
            live = pool.submit(
                http_client(server.url).poll_for_decision_task,
                domain=DOMAIN,
                taskList={"name": DECISIONS},
            )
            time.sleep(0.3)
            dead.close()
            started = time.monotonic()
            start(swf, "pass-wake-up-on")
            task = live.result(timeout=20)
            elapsed = time.monotonic() - started
    finally:
        server.stop()
        engine.close()

    assert task.get("taskToken")
    assert elapsed < 5


def schedule_many(swf, count: int) -> list[str]:
    start(swf, f"many-{count}")
    activity_ids = [f"a{i}" for i in range(count)]
    decide(swf, [schedule_activity(a) for a in activity_ids])
    return activity_ids


def drain(url: str) -> list[str]:
    """Poll activity tasks until an empty poll; return the activity ids."""
    swf = http_client(url)
    received = []
    while True:
        task = swf.poll_for_activity_task(domain=DOMAIN, taskList={"name": ACTIVITIES})
        if not task.get("taskToken"):
            return received
        received.append(task["activityId"])


def test_concurrent_thread_pollers_get_each_task_once(server):
    activity_ids = schedule_many(http_client(server.url), 12)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(drain, [server.url] * 4))

    received = [a for result in results for a in result]
    assert sorted(received) == sorted(activity_ids)


_DRAIN_SCRIPT = """
import json, sys
from tests.engine.test_long_poll import drain
print(json.dumps(drain(sys.argv[1])))
"""


def test_concurrent_process_pollers_get_each_task_once(server):
    activity_ids = schedule_many(http_client(server.url), 12)

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _DRAIN_SCRIPT, server.url],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]

    received = [a for output in outputs for a in json.loads(output)]
    assert sorted(received) == sorted(activity_ids)


def test_stop_answers_parked_poll_with_empty_task(sqlite_url):
    engine = Engine(
        sqlite_url, settings=EngineSettings(long_poll_timeout=timedelta(seconds=30))
    )
    engine.start()
    server = EngineServer(engine, port=0)
    server.start()
    register(http_client(server.url))
    answers = []
    poller = threading.Thread(
        target=lambda: answers.append(
            http_client(server.url).poll_for_activity_task(
                domain=DOMAIN, taskList={"name": ACTIVITIES}
            )
        )
    )
    poller.start()
    time.sleep(0.5)

    server.stop()
    poller.join(timeout=10)
    engine.close()

    assert not poller.is_alive()
    assert answers[0]["startedEventId"] == 0

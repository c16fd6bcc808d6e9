"""The activity worker's heartbeats, cancellation and context."""

from __future__ import annotations

import logging
import subprocess
import threading
import time

import pytest

from tests.workflow.conftest import (
    SECOND,
    attributes,
    definition,
    events_of,
    process_alive,
    running,
    stage,
    wait_for_file,
)
from vwf.logcontext import ContextFilter
from vwf.workflow import ActivityContext
from vwf.workflow._context import TASK_CLOSED
from vwf.workflow.errors import ActivityCancelled


def test_heartbeat_thread_keeps_long_task_alive(swf):
    beating = stage("A", heartbeat_timeout=SECOND, heartbeats=True)
    workflow = definition(swf.domain, beating)

    def slow(input: dict, context: ActivityContext) -> dict:
        for step in range(6):
            context.heartbeat({"step": step})
            time.sleep(0.5)
        return {"steps": 6}

    with running(swf, workflow, {"A": slow}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert events_of(swf.history(execution), "ActivityTaskTimedOut") == []


def test_missing_heartbeats_time_out(swf):
    silent = stage("A", heartbeat_timeout=SECOND, failure_retries=0)
    workflow = definition(swf.domain, silent)

    def slow(input: dict, context: ActivityContext) -> dict:
        time.sleep(2)
        return {}

    with running(swf, workflow, {"A": slow}):
        execution = swf.start(workflow, {})
        swf.wait_closed(execution)

    timed_out = events_of(swf.history(execution), "ActivityTaskTimedOut")
    assert [attributes(event)["timeoutType"] for event in timed_out] == ["HEARTBEAT"]


def test_closed_task_stops_work(swf):
    short = stage(
        "A",
        start_to_close_timeout=SECOND,
        heartbeat_timeout=3 * SECOND,
        heartbeats=True,
        timeout_retry_multipliers=(1,),
    )
    workflow = definition(swf.domain, short)
    reasons = []

    def endless(input: dict, context: ActivityContext) -> dict:
        context.cancelled.wait(15)
        reasons.append(context.cancel_reason)
        context.check_cancelled()
        return {}

    with running(swf, workflow, {"A": endless}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)
        deadline = time.monotonic() + 10
        while not reasons and time.monotonic() < deadline:
            time.sleep(0.1)

    assert info["closeStatus"] == "FAILED"
    assert reasons == [TASK_CLOSED]


def test_detached_context_records_heartbeats():
    context = ActivityContext.detached("media-1")

    context.heartbeat({"frame": 10})
    context.heartbeat("done")

    assert context.heartbeats == ['{"frame":10}', "done"]
    assert context.workflow_id == "media-1"
    assert context.attempt == 1


def test_heartbeat_details_trimmed():
    context = ActivityContext.detached()

    context.heartbeat("x" * 5000)

    assert len(context.heartbeats[0]) == 2048


def test_run_process_returns_output():
    context = ActivityContext.detached()

    completed = context.run_process(
        ["echo", "hello"], stdout=subprocess.PIPE, text=True
    )

    assert completed.stdout == "hello\n"


def test_run_process_checks_exit_status():
    context = ActivityContext.detached()

    with pytest.raises(subprocess.CalledProcessError):
        context.run_process(["false"])


def test_run_process_killed_on_cancel():
    context = ActivityContext.detached()
    timer = threading.Timer(0.5, context.cancel, args=("cancel_requested",))
    timer.start()
    started = time.monotonic()

    with pytest.raises(ActivityCancelled, match="killed process group"):
        context.run_process(["sleep", "30"])

    assert time.monotonic() - started < 10


def test_run_process_kills_whole_group(tmp_path):
    context = ActivityContext.detached()
    pid_file = tmp_path / "pid"
    script = f"sleep 30 & echo $! > {pid_file}; wait"

    def cancel_when_started() -> None:
        wait_for_file(pid_file)
        context.cancel("cancel_requested")

    threading.Thread(target=cancel_when_started).start()
    with pytest.raises(ActivityCancelled):
        context.run_process(["sh", "-c", script])

    assert not process_alive(int(pid_file.read_text()))


def test_heartbeat_call_sent_at_once_without_thread(swf):
    manual = stage("A", heartbeat_timeout=SECOND, heartbeats=False)
    workflow = definition(swf.domain, manual)

    def reports_progress(input: dict, context: ActivityContext) -> dict:
        for step in range(8):
            context.heartbeat({"step": step})
            time.sleep(0.3)
        return {}

    with running(swf, workflow, {"A": reports_progress}):
        execution = swf.start(workflow, {})
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert events_of(swf.history(execution), "ActivityTaskTimedOut") == []


def test_task_logs_carry_ids(swf, caplog):
    workflow = definition(swf.domain, stage("A"))
    caplog.handler.addFilter(ContextFilter())

    with caplog.at_level(logging.INFO, logger="vwf.workflow"):
        with running(swf, workflow, {"A": lambda input, context: {}}):
            execution = swf.start(workflow, {"media_id": "media-7"})
            swf.wait_closed(execution)

    started = [r for r in caplog.records if r.getMessage().startswith("task started")]
    assert len(started) == 1
    assert started[0].workflow_id == execution["workflowId"]
    assert started[0].activity_id == f"A-{execution['workflowId']}-1"
    assert started[0].media_id == "media-7"

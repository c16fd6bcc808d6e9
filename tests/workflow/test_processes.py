"""Deciders and workers killed or stopped mid-task, in subprocesses."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from tests.workflow.conftest import (
    attributes,
    events_of,
    running,
    subprocess_env,
)
from tests.workflow.processes import kill_definition
from vwf.workflow import ActivityContext, Decider, register


@contextmanager
def process(role: str, swf) -> Iterator[subprocess.Popen]:
    """Run ``tests.workflow.processes`` in ``role``; kill it if still running."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.workflow.processes",
            role,
            swf.database_url,
            swf.domain,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
        child.stdout.close()


def read_line(child: subprocess.Popen, timeout: float = 30.0) -> str:
    """Return the child's next output line, failing after ``timeout`` seconds."""
    lines = []
    reader = threading.Thread(target=lambda: lines.append(child.stdout.readline()))
    reader.start()
    reader.join(timeout)
    assert lines, f"no output from the subprocess in {timeout} s"
    return lines[0].strip()


def finish(input: dict, context: ActivityContext) -> dict:
    return {"finished_by": "test", "attempt": context.attempt}


def test_killed_decider_replaced(swf):
    workflow = kill_definition(swf.domain)
    register(swf.client, workflow, timedelta(days=1))
    execution = swf.start(workflow, {})

    with process("hold-decision", swf) as decider:
        assert read_line(decider) == "holding"
        decider.send_signal(signal.SIGKILL)
        decider.wait(10)

    with running(swf, workflow, {"A": finish}):
        info = swf.wait_closed(execution)

    assert info["closeStatus"] == "COMPLETED"
    assert len(events_of(swf.history(execution), "DecisionTaskTimedOut")) == 1


def test_killed_worker_task_retried(swf):
    workflow = kill_definition(swf.domain)
    register(swf.client, workflow, timedelta(days=1))
    stop = threading.Event()
    decider = threading.Thread(target=Decider(swf.client, workflow).run, args=(stop,))
    decider.start()
    try:
        execution = swf.start(workflow, {})
        with process("worker-sleep", swf) as worker:
            assert read_line(worker) == "working"
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        with running(swf, workflow, {"A": finish}, decider=False):
            info = swf.wait_closed(execution)
    finally:
        stop.set()
        decider.join(10)

    assert info["closeStatus"] == "COMPLETED"
    events = swf.history(execution)
    timed_out = events_of(events, "ActivityTaskTimedOut")
    assert [attributes(event)["timeoutType"] for event in timed_out] == ["HEARTBEAT"]
    scheduled = [attributes(e) for e in events_of(events, "ActivityTaskScheduled")]
    assert [s["heartbeatTimeout"] for s in scheduled] == ["2", "4"]


def test_sigterm_fails_unfinished_task_for_retry(swf):
    workflow = kill_definition(swf.domain)
    register(swf.client, workflow, timedelta(days=1))

    with running(swf, workflow, {"A": finish}) as worker:
        worker.shutdown(timedelta(0))  # only the subprocess takes tasks
        execution = swf.start(workflow, {})
        with process("worker-sleep", swf) as child:
            assert read_line(child) == "working"
            child.send_signal(signal.SIGTERM)
            assert read_line(child) == "stopped"
            assert child.wait(10) == 0
        failed = swf.wait_for_event(execution, "ActivityTaskFailed")

    assert "worker shut down" in attributes(failed)["reason"]


def test_sigterm_lets_task_finish_within_grace(swf):
    workflow = kill_definition(swf.domain)
    register(swf.client, workflow, timedelta(days=1))
    stop = threading.Event()
    decider = threading.Thread(target=Decider(swf.client, workflow).run, args=(stop,))
    decider.start()
    try:
        execution = swf.start(workflow, {})
        with process("worker-finish", swf) as child:
            assert read_line(child) == "working"
            child.send_signal(signal.SIGTERM)
            assert read_line(child) == "stopped"
            assert child.wait(10) == 0
        info = swf.wait_closed(execution)
    finally:
        stop.set()
        decider.join(10)

    assert info["closeStatus"] == "COMPLETED"
    completed = events_of(swf.history(execution), "ActivityTaskCompleted")
    assert '"finished_by":"subprocess"' in attributes(completed[0])["result"]

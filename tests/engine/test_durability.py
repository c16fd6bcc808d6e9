"""``kill -9`` of ``vwf engine serve`` mid-run loses nothing acknowledged.

Driver threads push executions through stock boto3 while the server is
killed. After a restart on the same database, every acknowledged call must
be in the histories, and each history must be whole: contiguous event ids and
no decision half applied. Timers and activity timeouts pending at the kill
must fire. Task tokens handed out before the kill must still work, unless
their task timed out.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import botocore
import pytest

from tests.engine.serve_process import ServeProcess
from tests.engine.swf_steps import (
    event_types,
    history,
    http_client,
    register,
    schedule_activity,
    start,
    start_timer,
)

DRIVER_THREADS = 4
RUN_BEFORE_KILL_SECONDS = 2.0
# Longer than the run before the kill, so every timer and timeout that an
# execution started is still pending when the server dies.
PENDING_SECONDS = 3
WAIT_AFTER_RESTART_SECONDS = 20.0


@dataclass
class Execution:
    """What the server acknowledged for one execution, step by step."""

    workflow_id: str
    run: dict[str, str] | None = None
    acks: dict[str, dict] = field(default_factory=dict)


class Driver(threading.Thread):
    """Runs executions one after another until a call fails at the kill."""

    def __init__(self, url: str, index: int) -> None:
        super().__init__(daemon=True)
        self.swf = http_client(url, read_timeout=30)
        self.index = index
        self.executions: list[Execution] = []
        self.faults: list[Exception] = []

    def run(self) -> None:
        number = 0
        while True:
            execution = Execution(f"kill-{self.index}-{number}")
            self.executions.append(execution)
            try:
                self.drive(execution)
            except botocore.exceptions.BotoCoreError:
                return
            except botocore.exceptions.ClientError as exc:
                self.faults.append(exc)
                return
            number += 1

    def drive(self, execution: Execution) -> None:
        swf, wid = self.swf, execution.workflow_id
        execution.run = start(swf, wid, task_list=f"d-{wid}")
        execution.acks["start"] = execution.run

        task = self.poll_decision(wid)
        execution.acks["decision-started"] = task
        swf.respond_decision_task_completed(
            taskToken=task["taskToken"],
            decisions=[
                schedule_activity("fast", "60", task_list=f"f-{wid}"),
                schedule_activity("slow", str(PENDING_SECONDS), task_list=f"s-{wid}"),
                start_timer("pending", PENDING_SECONDS),
            ],
        )
        execution.acks["decided"] = {}

        execution.acks["fast-started"] = self.poll_activity(f"f-{wid}")
        execution.acks["slow-started"] = self.poll_activity(f"s-{wid}")
        swf.respond_activity_task_completed(
            taskToken=execution.acks["fast-started"]["taskToken"], result="ok"
        )
        execution.acks["fast-completed"] = {}

    def poll_decision(self, wid: str) -> dict:
        task = self.swf.poll_for_decision_task(
            domain="tests", taskList={"name": f"d-{wid}"}
        )
        assert task.get("taskToken"), f"decision task of {wid} did not arrive"
        return task

    def poll_activity(self, task_list: str) -> dict:
        task = self.swf.poll_for_activity_task(
            domain="tests", taskList={"name": task_list}
        )
        assert task.get("taskToken"), f"activity task on {task_list} did not arrive"
        return task


def run_until_killed(
    database_url: str,
) -> tuple[list[Execution], list[Exception], float]:
    server = ServeProcess(database_url)
    url = server.wait_listening()
    register(http_client(url))
    drivers = [Driver(url, index) for index in range(DRIVER_THREADS)]
    for driver in drivers:
        driver.start()

    time.sleep(RUN_BEFORE_KILL_SECONDS)
    killed_at = time.time()
    server.kill()
    for driver in drivers:
        driver.join(timeout=60)

    executions = [e for d in drivers for e in d.executions if e.run is not None]
    faults = [f for d in drivers for f in d.faults]
    return executions, faults, killed_at


def check_acknowledged(execution: Execution, events: list[dict]) -> list[str]:
    """Return a description of each acknowledged step missing from ``events``."""
    by_id = {event["eventId"]: event["eventType"] for event in events}
    types = event_types(events)
    missing = []
    expected_at = {
        "decision-started": "DecisionTaskStarted",
        "fast-started": "ActivityTaskStarted",
        "slow-started": "ActivityTaskStarted",
    }
    for step, event_type in expected_at.items():
        ack = execution.acks.get(step)
        if not ack or by_id.get(ack["startedEventId"]) == event_type:
            continue
        if _delivered_before_commit(execution, step, events):
            continue
        missing.append(f"{execution.workflow_id}: {step} event {ack['startedEventId']}")
    if "decided" in execution.acks and "DecisionTaskCompleted" not in types:
        missing.append(f"{execution.workflow_id}: decided")
    if "fast-completed" in execution.acks and "ActivityTaskCompleted" not in types:
        missing.append(f"{execution.workflow_id}: fast-completed")
    return missing


def _delivered_before_commit(
    execution: Execution, step: str, events: list[dict]
) -> bool:
    """Return whether a poll response was sent but its claim never committed.

    The engine writes a poll's response inside the transaction that claims the
    task, so a poller that vanishes leaves the task queued. A kill between
    that write and the commit therefore leaves no started event, and the task
    is handed out again: at-least-once delivery, as SWF allows. That is only
    acceptable if nothing later in the driver's sequence was acknowledged,
    because the lost token could not have been used.
    """
    later_steps = {
        "decision-started": ("decided", "fast-started", "slow-started"),
        "fast-started": ("fast-completed",),
        "slow-started": (),
    }
    if any(later in execution.acks for later in later_steps[step]):
        return False
    started_type = "DecisionTaskStarted" if step == "decision-started" else None
    if started_type is None:
        return True
    return started_type not in event_types(events)


def check_whole(execution: Execution, events: list[dict]) -> list[str]:
    """Return a description of each sign of a half-written call."""
    problems = []
    ids = [event["eventId"] for event in events]
    if ids != list(range(1, len(ids) + 1)):
        problems.append(f"{execution.workflow_id}: event ids {ids} not contiguous")
    types = event_types(events)
    if "DecisionTaskCompleted" in types and (
        types.count("ActivityTaskScheduled") != 2 or types.count("TimerStarted") != 1
    ):
        problems.append(f"{execution.workflow_id}: decision half applied: {types}")
    return problems


def wait_for_pending_events(swf, executions: list[Execution]) -> dict[str, list[dict]]:
    """Return each history once its timer fired and its started slow task
    timed out, or as they are after the wait."""
    deadline = time.monotonic() + WAIT_AFTER_RESTART_SECONDS
    histories: dict[str, list[dict]] = {}
    pending = list(executions)
    while pending and time.monotonic() < deadline:
        still_pending = []
        for execution in pending:
            events = history(swf, execution.run, domain="tests")
            histories[execution.workflow_id] = events
            if not pending_events_done(execution, event_types(events)):
                still_pending.append(execution)
        pending = still_pending
        time.sleep(0.5)
    return histories


def pending_events_done(execution: Execution, types: list[str]) -> bool:
    timer_done = "decided" not in execution.acks or "TimerFired" in types
    timeout_done = (
        "slow-started" not in execution.acks or "ActivityTaskTimedOut" in types
    )
    return timer_done and timeout_done


def fired_after(events: list[dict], event_type: str, moment: float) -> bool:
    after = datetime.fromtimestamp(moment, UTC)
    return any(
        e["eventType"] == event_type and e["eventTimestamp"] > after for e in events
    )


def complete_open_fast_tasks(swf, executions: list[Execution]) -> list[str]:
    """Complete, with its pre-kill token, each fast task whose completion was
    not acknowledged; return the workflow ids whose token did not work."""
    failed = []
    for execution in executions:
        task = execution.acks.get("fast-started")
        if task is None or "fast-completed" in execution.acks:
            continue
        try:
            swf.respond_activity_task_completed(
                taskToken=task["taskToken"], result="late"
            )
        except swf.exceptions.UnknownResourceFault:
            # The completion may have committed at the kill without reaching
            # the client; then the history below must show it.
            pass
        events = history(swf, execution.run, domain="tests")
        if event_types(events).count("ActivityTaskCompleted") != 1:
            failed.append(execution.workflow_id)
    return failed


def timed_out_tokens_accepted(swf, executions: list[Execution]) -> list[str]:
    """Return the workflow ids whose slow task took a completion with its
    pre-kill token although the task had timed out."""
    accepted = []
    for execution in executions:
        task = execution.acks.get("slow-started")
        if task is None:
            continue
        try:
            swf.respond_activity_task_completed(
                taskToken=task["taskToken"], result="late"
            )
        except swf.exceptions.UnknownResourceFault:
            continue
        accepted.append(execution.workflow_id)
    return accepted


def kill_and_restart(database_url: str) -> None:
    executions, faults, killed_at = run_until_killed(database_url)
    assert faults == []
    assert len(executions) >= DRIVER_THREADS

    server = ServeProcess(database_url)
    swf = http_client(server.wait_listening())
    try:
        histories = wait_for_pending_events(swf, executions)
        token_failures = complete_open_fast_tasks(swf, executions)
        stale_tokens = timed_out_tokens_accepted(swf, executions)
    finally:
        exit_code = server.terminate()

    missing = [
        m for e in executions for m in check_acknowledged(e, histories[e.workflow_id])
    ]
    broken = [p for e in executions for p in check_whole(e, histories[e.workflow_id])]
    late = [
        e.workflow_id
        for e in executions
        if not pending_events_done(e, event_types(histories[e.workflow_id]))
    ]
    all_events = [event for events in histories.values() for event in events]
    assert missing == []
    assert broken == []
    assert late == []
    assert token_failures == []
    assert stale_tokens == []
    assert fired_after(all_events, "TimerFired", killed_at)
    assert fired_after(all_events, "ActivityTaskTimedOut", killed_at)
    assert exit_code == 0


@pytest.mark.slow
def test_kill_9_sqlite_loses_nothing_acknowledged(tmp_path):
    kill_and_restart(f"sqlite:///{tmp_path / 'engine.db'}")


@pytest.mark.slow
@pytest.mark.postgres
def test_kill_9_postgres_loses_nothing_acknowledged(postgres_url):
    kill_and_restart(postgres_url)

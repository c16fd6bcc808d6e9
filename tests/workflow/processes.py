"""Deciders and workers in subprocesses, for tests that kill them.

Run as ``python -m tests.workflow.processes ROLE ENGINE_URL DOMAIN``. Each
process opens its own engine on the test's SQLite file and prints a line
(``holding``, ``working``) when it reaches the point a test waits for.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from datetime import timedelta

from vwf.engine import Engine, EngineSettings, connect
from vwf.workflow import (
    ActivityContext,
    ActivityWorker,
    Decider,
    Stage,
    WorkflowDefinition,
)

SECOND = timedelta(seconds=1)


def kill_definition(domain: str) -> WorkflowDefinition:
    """One stage that heartbeats, so a killed worker is noticed within 2 s."""
    return WorkflowDefinition(
        name="Kill",
        version="1",
        domain=domain,
        decider_task_list="KillDecisions",
        execution_start_to_close_timeout=timedelta(minutes=5),
        task_start_to_close_timeout=2 * SECOND,
        stages=(
            Stage(
                "A",
                "ATasks",
                start_to_close_timeout=60 * SECOND,
                heartbeat_timeout=2 * SECOND,
                heartbeats=True,
                failure_retries=1,
                timeout_retry_multipliers=(1, 2),
            ),
        ),
    )


class _HoldingClient:
    """An SWF client that never sends a decision: it prints and sleeps."""

    def __init__(self, client) -> None:
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def respond_decision_task_completed(self, **request):
        print("holding", flush=True)
        time.sleep(3600)


def _sleep_in_child(input: dict, context: ActivityContext) -> dict:
    print("working", flush=True)
    context.run_process(["sleep", "60"])
    return {}


def _finish_soon(input: dict, context: ActivityContext) -> dict:
    print("working", flush=True)
    time.sleep(1.5)
    return {"finished_by": "subprocess"}


def main(role: str, engine_url: str, domain: str) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    engine = Engine(engine_url, settings=EngineSettings(long_poll_timeout=2 * SECOND))
    engine.start()
    client = connect(engine)
    workflow = kill_definition(domain)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if role == "hold-decision":
        Decider(_HoldingClient(client), workflow).run(stop)
        return
    activity = _sleep_in_child if role == "worker-sleep" else _finish_soon
    worker = ActivityWorker(client, workflow, {"A": activity})
    worker.run(stop, grace=SECOND if role == "worker-sleep" else 5 * SECOND)
    print("stopped", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])

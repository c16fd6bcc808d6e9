"""Throughput of the engine over HTTP, compared with moto_server.

Each execution makes 7 calls through stock boto3: StartWorkflowExecution,
PollForDecisionTask, RespondDecisionTaskCompleted (ScheduleActivityTask),
PollForActivityTask, RespondActivityTaskCompleted, PollForDecisionTask and
RespondDecisionTaskCompleted (CompleteWorkflowExecution). Starter, decider
and worker thread pools keep up to ``--in-flight`` executions open.

The engine runs as ``python -m vwf engine serve`` on a SQLite file, measured
twice: with a few and with many closed executions already stored. moto_server
runs the same workload as a reference. Both servers are child processes on
loopback ports, ended by their process ids.

    .venv/bin/python bench/engine_throughput.py            # full run
    .venv/bin/python bench/engine_throughput.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

DOMAIN = "bench"
WORKFLOW_TYPE = {"name": "bench", "version": "1"}
ACTIVITY_TYPE = {"name": "bench-step", "version": "1"}
DECISIONS = "bench-decisions"
ACTIVITIES = "bench-activities"
# Pause after an empty poll. moto returns empty polls at once instead of
# holding them, so without it idle pollers would flood moto with empty polls.
EMPTY_POLL_PAUSE_SECONDS = 0.02
_LISTENING = re.compile(r"listening on (http://\S+)")


@dataclass
class Result:
    """Measurements of one workload run against one server."""

    target: str
    stored: int
    executions: int
    in_flight: int
    seconds: float
    latencies: dict[str, list[float]]
    failed: int = 0
    """Executions that a server error ended early; they count as not done."""

    @property
    def executions_per_second(self) -> float:
        return (self.executions - self.failed) / self.seconds


@dataclass
class _Workload:
    url: str
    executions: int
    in_flight: int
    prefix: str
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    started: int = 0
    finished: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(self.in_flight)
        self.lock = threading.Lock()
        self.done = threading.Event()


def make_client(url: str, pool_size: int = 64):
    """Create a stock boto3 SWF client for ``url``."""
    return boto3.client(
        "swf",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(
            retries={"max_attempts": 1},
            read_timeout=70,
            max_pool_connections=pool_size,
        ),
    )


def register(swf) -> None:
    """Register the benchmark's domain, workflow type and activity type."""
    swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="30")
    swf.register_workflow_type(
        domain=DOMAIN,
        **WORKFLOW_TYPE,
        defaultTaskList={"name": DECISIONS},
        defaultTaskStartToCloseTimeout="300",
        defaultExecutionStartToCloseTimeout="3600",
        defaultChildPolicy="TERMINATE",
    )
    swf.register_activity_type(
        domain=DOMAIN,
        **ACTIVITY_TYPE,
        defaultTaskList={"name": ACTIVITIES},
        defaultTaskStartToCloseTimeout="300",
        defaultTaskScheduleToStartTimeout="3600",
        defaultTaskScheduleToCloseTimeout="3600",
        defaultTaskHeartbeatTimeout="NONE",
    )


def _timed(workload: _Workload, operation: str, call: Callable, **kwargs) -> dict:
    started = time.perf_counter()
    response = call(**kwargs)
    workload.latencies[operation].append(time.perf_counter() - started)
    return response


def _decision_for(task: dict) -> dict:
    kinds = {event["eventType"] for event in task["events"]}
    if "ActivityTaskCompleted" in kinds:
        return {
            "decisionType": "CompleteWorkflowExecution",
            "completeWorkflowExecutionDecisionAttributes": {"result": "done"},
        }
    return {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityType": ACTIVITY_TYPE,
            "activityId": "step",
            "taskList": {"name": ACTIVITIES},
        },
    }


def _starter(workload: _Workload, swf) -> None:
    while True:
        with workload.lock:
            if workload.started >= workload.executions:
                return
            number = workload.started
            workload.started += 1
        workload.slots.acquire()
        _timed(
            workload,
            "StartWorkflowExecution",
            swf.start_workflow_execution,
            domain=DOMAIN,
            workflowId=f"{workload.prefix}-{number}",
            workflowType=WORKFLOW_TYPE,
            taskList={"name": DECISIONS},
        )


def _decider(workload: _Workload, swf) -> None:
    while not workload.done.is_set():
        task = _timed(
            workload,
            "PollForDecisionTask",
            swf.poll_for_decision_task,
            domain=DOMAIN,
            taskList={"name": DECISIONS},
            maximumPageSize=1000,
        )
        if not task.get("taskToken"):
            time.sleep(EMPTY_POLL_PAUSE_SECONDS)
            continue
        workflow_id = task["workflowExecution"]["workflowId"]
        decision = _decision_for(task)
        try:
            _timed(
                workload,
                "RespondDecisionTaskCompleted",
                swf.respond_decision_task_completed,
                taskToken=task["taskToken"],
                decisions=[decision],
            )
        except ClientError:
            _finish(workload, workflow_id, failed=True)
            continue
        if decision["decisionType"] == "CompleteWorkflowExecution":
            _finish(workload, workflow_id)


def _finish(workload: _Workload, workflow_id: str, failed: bool = False) -> None:
    # A failed execution frees its slot too, so one server error cannot
    # stall the run; the result reports how many failed.
    with workload.lock:
        if workflow_id in workload.finished:
            return
        workload.finished.add(workflow_id)
        if failed:
            workload.failed.add(workflow_id)
        if len(workload.finished) >= workload.executions:
            workload.done.set()
    workload.slots.release()


def _worker(workload: _Workload, swf) -> None:
    while not workload.done.is_set():
        task = _timed(
            workload,
            "PollForActivityTask",
            swf.poll_for_activity_task,
            domain=DOMAIN,
            taskList={"name": ACTIVITIES},
        )
        if not task.get("taskToken"):
            time.sleep(EMPTY_POLL_PAUSE_SECONDS)
            continue
        try:
            _timed(
                workload,
                "RespondActivityTaskCompleted",
                swf.respond_activity_task_completed,
                taskToken=task["taskToken"],
                result="ok",
            )
        except ClientError:
            _finish(workload, task["workflowExecution"]["workflowId"], failed=True)


def _guarded(workload: _Workload, role: Callable, swf) -> Callable[[], None]:
    def run() -> None:
        try:
            role(workload, swf)
        except Exception as exc:
            # Once the workload is done the server stops, and parked polls
            # fail; only earlier errors mean the measurement is broken.
            if not workload.done.is_set():
                workload.errors.append(f"{role.__name__}: {exc!r}")
                workload.done.set()

    return run


def run_workload(
    url: str,
    executions: int,
    in_flight: int,
    pollers: int,
    stop_server: Callable[[], None],
    prefix: str = "run",
) -> tuple[float, dict[str, list[float]], int]:
    """Drive ``executions`` through the server at ``url``.

    Return the seconds until the last one finished, the latencies per
    operation and the number of executions that failed on a server error.

    ``stop_server`` is called when the work is done, which ends the polls
    still parked on the server.
    """
    workload = _Workload(url, executions, in_flight, prefix)
    swf = make_client(url, pool_size=2 * pollers + 8)
    roles = [_starter] * 4 + [_decider] * pollers + [_worker] * pollers
    threads = [
        threading.Thread(target=_guarded(workload, role, swf), daemon=True)
        for role in roles
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    workload.done.wait()
    seconds = time.perf_counter() - began

    stop_server()
    for thread in threads:
        thread.join(timeout=120)
    if workload.errors:
        raise RuntimeError(
            f"benchmark stopped on unexpected errors: {workload.errors[:3]}"
        )
    return seconds, dict(workload.latencies), len(workload.failed)


def prefill(database_url: str, count: int, first: int) -> None:
    """Store ``count`` closed executions by driving the engine in-process.

    The calls go to :meth:`Engine.handle` directly, which skips botocore's
    request and response processing.
    """
    from vwf.engine import Engine

    engine = Engine(database_url)
    engine.start()
    try:
        for number in range(first, first + count):
            _run_one_inprocess(engine, f"prefill-{number}")
    finally:
        engine.close()


def _run_one_inprocess(engine, workflow_id: str) -> None:
    engine.handle(
        "StartWorkflowExecution",
        {
            "domain": DOMAIN,
            "workflowId": workflow_id,
            "workflowType": WORKFLOW_TYPE,
            "taskList": {"name": DECISIONS},
        },
    )
    poll = {"domain": DOMAIN, "taskList": {"name": DECISIONS}}
    for _ in range(2):
        task = engine.handle("PollForDecisionTask", poll)
        decision = _decision_for(task)
        engine.handle(
            "RespondDecisionTaskCompleted",
            {"taskToken": task["taskToken"], "decisions": [decision]},
        )
        if decision["decisionType"] == "ScheduleActivityTask":
            activity = engine.handle(
                "PollForActivityTask",
                {"domain": DOMAIN, "taskList": {"name": ACTIVITIES}},
            )
            engine.handle(
                "RespondActivityTaskCompleted",
                {"taskToken": activity["taskToken"], "result": "ok"},
            )


@contextmanager
def engine_server(database_url: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """Run ``vwf engine serve`` on a free port; yield its URL and a stop function."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vwf",
            "engine",
            "serve",
            "--port",
            "0",
            "--database",
            database_url,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = _read_listening_url(process)
    threading.Thread(target=process.stderr.read, daemon=True).start()
    try:
        yield url, process.terminate
    finally:
        process.terminate()
        process.wait(timeout=60)


def _read_listening_url(process: subprocess.Popen) -> str:
    for line in process.stderr:
        match = _LISTENING.search(line)
        if match:
            return match.group(1)
    raise RuntimeError(
        f"vwf engine serve exited with {process.wait()} before listening"
    )


@contextmanager
def moto_server() -> Iterator[tuple[str, Callable[[], None]]]:
    """Run moto_server on a free loopback port; yield its URL and a stop function."""
    port = _free_port()
    executable = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_for_port(port, process)
    try:
        yield url, process.terminate
    finally:
        process.terminate()
        process.wait(timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"moto_server did not listen on port {port} in {timeout} s")


def measure_engine(
    workdir: Path,
    stored_counts: list[int],
    executions: int,
    in_flight: int,
    pollers: int,
) -> list[Result]:
    """Measure the engine once per entry of ``stored_counts`` (ascending),
    topping up the closed executions before each run."""
    database_url = f"sqlite:///{workdir / 'engine.db'}"
    results = []
    stored = 0
    for target_stored in stored_counts:
        if stored == 0:
            _register_inprocess(database_url)
        prefill(database_url, target_stored - stored, first=stored)
        with engine_server(database_url) as (url, stop):
            seconds, latencies, failed = run_workload(
                url, executions, in_flight, pollers, stop, prefix=f"s{target_stored}"
            )
        result = Result(
            "vwf engine",
            target_stored,
            executions,
            in_flight,
            seconds,
            latencies,
            failed,
        )
        _report_progress(result)
        results.append(result)
        stored = target_stored + executions
    return results


def _register_inprocess(database_url: str) -> None:
    from vwf.engine import Engine, connect

    engine = Engine(database_url)
    engine.start()
    try:
        register(connect(engine))
    finally:
        engine.close()


def measure_moto(executions: int, in_flight: int, pollers: int) -> Result:
    """Measure moto_server with the same workload on a fresh server."""
    with moto_server() as (url, stop):
        register(make_client(url))
        seconds, latencies, failed = run_workload(
            url, executions, in_flight, pollers, stop
        )
    result = Result("moto_server", 0, executions, in_flight, seconds, latencies, failed)
    _report_progress(result)
    return result


def _report_progress(result: Result) -> None:
    print(
        f"{result.target} with {result.stored:,} stored: "
        f"{result.executions_per_second:.1f} executions/s, "
        f"{result.failed} failed",
        file=sys.stderr,
    )


OPERATIONS = [
    "StartWorkflowExecution",
    "PollForDecisionTask",
    "RespondDecisionTaskCompleted",
    "PollForActivityTask",
    "RespondActivityTaskCompleted",
]


def format_table(results: list[Result]) -> str:
    """Render the results as a Markdown table, latencies in milliseconds."""
    header = ["server", "stored", "executions", "failed", "in flight", "executions/s"]
    header += [f"{op} p50/p99 ms" for op in OPERATIONS]
    lines = [_row(header), _row(["---"] * len(header))]
    for result in results:
        cells = [
            result.target,
            f"{result.stored:,}",
            f"{result.executions:,}",
            str(result.failed),
            str(result.in_flight),
            f"{result.executions_per_second:.1f}",
        ]
        cells += [_percentiles(result.latencies.get(op, [])) for op in OPERATIONS]
        lines.append(_row(cells))
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _percentiles(samples: list[float]) -> str:
    if len(samples) < 2:
        return "-"
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"{cuts[49] * 1000:.1f} / {cuts[98] * 1000:.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--executions",
        type=int,
        default=2000,
        help="executions per engine run (default 2000)",
    )
    parser.add_argument(
        "--moto-executions",
        type=int,
        default=500,
        help="executions for the moto_server run (default 500)",
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=500,
        help="maximum open executions at once (default 500)",
    )
    parser.add_argument(
        "--pollers",
        type=int,
        default=16,
        help="decider threads, and as many worker threads (default 16)",
    )
    parser.add_argument(
        "--stored",
        type=int,
        nargs="+",
        default=[100, 10_000],
        help="closed executions stored before each engine run",
    )
    parser.add_argument("--no-moto", action="store_true", help="skip moto_server")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 20 executions, 10 in flight, small stores",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.executions, args.moto_executions, args.in_flight = 20, 20, 10
        args.pollers, args.stored = 4, [5, 20]

    workdir = Path(tempfile.mkdtemp(prefix="vwf-bench-"))
    try:
        results = measure_engine(
            workdir, args.stored, args.executions, args.in_flight, args.pollers
        )
        if not args.no_moto:
            results.append(
                measure_moto(args.moto_executions, args.in_flight, args.pollers)
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(format_table(results))
    if not args.no_moto:
        ratio = results[0].executions_per_second / results[-1].executions_per_second
        print(f"\nengine / moto_server throughput: {ratio:.1f}x")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()

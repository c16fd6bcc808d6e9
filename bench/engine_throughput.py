"""Throughput of the engine over HTTP, compared with moto_server.

Each execution makes 7 calls through stock boto3: StartWorkflowExecution,
PollForDecisionTask, RespondDecisionTaskCompleted (ScheduleActivityTask),
PollForActivityTask, RespondActivityTaskCompleted, PollForDecisionTask and
RespondDecisionTaskCompleted (CompleteWorkflowExecution).

The client side is ``--client-processes`` processes (default 2), each running
this script in its client mode with its own boto3 client and its own starter,
decider and worker threads. The run is split evenly between them:
executions, ``--in-flight`` slots, ``--pollers`` and 4 starter threads are
totals across the processes, and each process gets its own decision and
activity task lists. Every server measured gets the same client setup.
Executions/s counts from the moment all client processes are ready until the
last one finishes, so the processes' start-up is not measured.

The engine runs as ``python -m vwf engine serve`` on a SQLite file, measured
once per ``--stored`` count of closed executions already stored. moto_server
runs the same workload as a reference, on a fresh server. Its polls and
responds scan every execution it holds, so its throughput falls as a run
goes on: compare runs of the same length (``--moto-executions`` defaults to
``--executions``). Both servers are child processes on
loopback ports, ended by their process ids.

Each run also reports the CPU time of the server process and its children,
of the client processes and of everything else on the machine over the
measured window, and the load average at its start and end. CPU ms per call
divides by 7 calls per completed execution, so empty polls are not counted
as calls although they cost CPU.

    .venv/bin/python bench/engine_throughput.py            # full run
    .venv/bin/python bench/engine_throughput.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import json
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

DOMAIN = "bench"
WORKFLOW_TYPE = {"name": "bench", "version": "1"}
ACTIVITY_TYPE = {"name": "bench-step", "version": "1"}
DECISIONS = "bench-decisions"
ACTIVITIES = "bench-activities"
# Pause after an empty poll, so that idle pollers cannot poll in a tight
# loop. moto_server 5.2.5 does not hold a poll until a task arrives: it
# sleeps 1 s and then returns an empty poll.
EMPTY_POLL_PAUSE_SECONDS = 0.02
CALLS_PER_EXECUTION = 7
STARTER_THREADS = 4
"""Starter threads in total across the client processes, at least 1 each."""
TARGET_RATIO = 20
"""Project target: engine executions/s over moto_server's, at 500 in flight."""
TARGET_IN_FLIGHT = 500
ENGINE = "vwf engine"
MOTO = "moto_server"
CLIENT_MODE_FLAG = "--client-process"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_LISTENING = re.compile(r"listening on (http://\S+)")


def split_evenly(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` integers that differ by at most 1."""
    base, extra = divmod(total, parts)
    return [base + 1 if index < extra else base for index in range(parts)]


@dataclass
class ClientShare:
    """One client process's part of a run, sent to it as JSON on its stdin.

    Each process polls its own task lists, so its deciders and workers only
    get the executions that it started and that hold its in-flight slots.
    """

    url: str
    index: int
    executions: int
    in_flight: int
    pollers: int
    starters: int
    prefix: str

    @property
    def decision_task_list(self) -> str:
        return f"{DECISIONS}-{self.index}"

    @property
    def activity_task_list(self) -> str:
        return f"{ACTIVITIES}-{self.index}"

    def workflow_id(self, number: int) -> str:
        return f"{self.prefix}-c{self.index}-{number}"


@dataclass
class ClientReport:
    """Results of one client process, sent to the parent as JSON on stdout."""

    latencies: dict[str, list[float]]
    """Seconds per call, by operation name, empty polls included."""
    failed: int
    empty_polls: int
    errors: list[str]


@dataclass(frozen=True)
class ClientSetup:
    """Client processes and threads, the same for every server measured."""

    in_flight: int
    """Maximum open executions in total across the client processes."""
    pollers: int
    """Decider threads in total, and as many worker threads."""
    processes: int = 2

    def split(self, url: str, executions: int, prefix: str) -> list[ClientShare]:
        """Split a run into one share per client process.

        Raise ValueError when a process would get no execution, in-flight
        slot or poller.
        """
        totals = {
            "executions": executions,
            "in-flight executions": self.in_flight,
            "pollers": self.pollers,
        }
        for name, total in totals.items():
            if total < self.processes:
                raise ValueError(
                    f"{name} ({total}) must be at least the number of "
                    f"client processes ({self.processes})"
                )
        columns = zip(
            split_evenly(executions, self.processes),
            split_evenly(self.in_flight, self.processes),
            split_evenly(self.pollers, self.processes),
            split_evenly(STARTER_THREADS, self.processes),
            strict=True,
        )
        return [
            ClientShare(url, index, count, slots, pollers, max(1, starters), prefix)
            for index, (count, slots, pollers, starters) in enumerate(columns)
        ]


@dataclass
class ResourceUsage:
    """CPU time over the measured window of one run, and the load average."""

    server_cpu_seconds: float
    """The server process and its live child processes."""
    client_cpu_seconds: float
    """All client processes together."""
    other_cpu_seconds: float
    """Every other process on the machine, this script's parent included."""
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float]


@dataclass
class Result:
    """Measurements of one workload run against one server."""

    target: str
    stored: int
    executions: int
    setup: ClientSetup
    seconds: float
    latencies: dict[str, list[float]]
    usage: ResourceUsage
    failed: int = 0
    """Executions that a server error ended early; they count as not done."""
    empty_polls: int = 0

    @property
    def completed(self) -> int:
        return self.executions - self.failed

    @property
    def executions_per_second(self) -> float:
        return self.completed / self.seconds

    @property
    def server_cpu_ms_per_call(self) -> float:
        return _ms_per_call(self.usage.server_cpu_seconds, self.completed)

    @property
    def client_cpu_ms_per_call(self) -> float:
        return _ms_per_call(self.usage.client_cpu_seconds, self.completed)


def _ms_per_call(cpu_seconds: float, completed: int) -> float:
    calls = CALLS_PER_EXECUTION * completed
    return 1000 * cpu_seconds / calls if calls else float("nan")


@dataclass
class _Workload:
    share: ClientShare
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    started: int = 0
    empty_polls: int = 0
    finished: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(self.share.in_flight)
        self.lock = threading.Lock()
        self.done = threading.Event()

    def count_empty_poll(self) -> None:
        with self.lock:
            self.empty_polls += 1

    def report(self) -> ClientReport:
        return ClientReport(
            latencies=dict(self.latencies),
            failed=len(self.failed),
            empty_polls=self.empty_polls,
            errors=list(self.errors),
        )


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


def _decision_for(task: dict, activity_task_list: str = ACTIVITIES) -> dict:
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
            "taskList": {"name": activity_task_list},
        },
    }


def _starter(workload: _Workload, swf) -> None:
    share = workload.share
    while True:
        with workload.lock:
            if workload.started >= share.executions:
                return
            number = workload.started
            workload.started += 1
        workload.slots.acquire()
        _timed(
            workload,
            "StartWorkflowExecution",
            swf.start_workflow_execution,
            domain=DOMAIN,
            workflowId=share.workflow_id(number),
            workflowType=WORKFLOW_TYPE,
            taskList={"name": share.decision_task_list},
        )


def _decider(workload: _Workload, swf) -> None:
    while not workload.done.is_set():
        task = _timed(
            workload,
            "PollForDecisionTask",
            swf.poll_for_decision_task,
            domain=DOMAIN,
            taskList={"name": workload.share.decision_task_list},
            maximumPageSize=1000,
        )
        if not task.get("taskToken"):
            workload.count_empty_poll()
            time.sleep(EMPTY_POLL_PAUSE_SECONDS)
            continue
        workflow_id = task["workflowExecution"]["workflowId"]
        decision = _decision_for(task, workload.share.activity_task_list)
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
        if len(workload.finished) >= workload.share.executions:
            workload.done.set()
    workload.slots.release()


def _worker(workload: _Workload, swf) -> None:
    while not workload.done.is_set():
        task = _timed(
            workload,
            "PollForActivityTask",
            swf.poll_for_activity_task,
            domain=DOMAIN,
            taskList={"name": workload.share.activity_task_list},
        )
        if not task.get("taskToken"):
            workload.count_empty_poll()
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


def _role_threads(workload: _Workload) -> list[threading.Thread]:
    share = workload.share
    swf = make_client(share.url, pool_size=2 * share.pollers + share.starters + 4)
    roles = [_starter] * share.starters
    roles += [_decider] * share.pollers + [_worker] * share.pollers
    return [
        threading.Thread(target=_guarded(workload, role, swf), daemon=True)
        for role in roles
    ]


def run_client_process() -> None:
    """Drive one client share: the client mode of this script.

    The parent and the process exchange one line at a time. The parent
    writes the share as JSON, and the process writes ``ready`` once its
    client and threads exist. The parent writes ``go``, and the process
    writes ``done`` when its share is finished, then its report as JSON.
    The process exits when its stdin closes. The parent closes it after
    stopping the server, so that parked polls end first.
    """
    share = ClientShare(**json.loads(sys.stdin.readline()))
    workload = _Workload(share)
    threads = _role_threads(workload)
    _send_line("ready")
    if sys.stdin.readline().strip() != "go":
        return
    for thread in threads:
        thread.start()
    workload.done.wait()
    _send_line("done")
    _send_line(json.dumps(asdict(workload.report())))
    sys.stdin.read()
    for thread in threads:
        thread.join(timeout=10)


def _send_line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class ClientPool:
    """Client processes, each running this script in its client mode.

    See :func:`run_client_process` for the line protocol.
    """

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []
        self.finished = False

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def spawn(self, share: ClientShare) -> None:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), CLIENT_MODE_FLAG],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        self._write(process, json.dumps(asdict(share)))

    def send(self, text: str) -> None:
        for process in self.processes:
            self._write(process, text)

    def expect(self, expected: str) -> None:
        """Wait until every process has written the line ``expected``."""
        for process in self.processes:
            line = self._read(process)
            if line != expected:
                raise RuntimeError(
                    f"client process {process.pid} wrote {line!r}, "
                    f"expected {expected!r}"
                )

    def read_reports(self) -> list[ClientReport]:
        reports = [ClientReport(**json.loads(self._read(p))) for p in self.processes]
        self.finished = True
        return reports

    def close(self) -> None:
        """End the processes. Once the reports are read, wait for them to
        exit, and otherwise terminate them by process id."""
        for process in self.processes:
            _close_quietly(process.stdin)
        grace = 30 if self.finished else 0
        deadline = time.monotonic() + grace
        for process in self.processes:
            _end_process(process, deadline)
            process.stdout.close()

    @staticmethod
    def _write(process: subprocess.Popen, text: str) -> None:
        process.stdin.write(text + "\n")
        process.stdin.flush()

    @staticmethod
    def _read(process: subprocess.Popen) -> str:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(
                f"client process {process.pid} exited with {process.wait()} "
                "before finishing; its error is above"
            )
        return line.rstrip("\n")


def _close_quietly(stream) -> None:
    try:
        stream.close()
    except BrokenPipeError:
        pass


def _end_process(process: subprocess.Popen, deadline: float) -> None:
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
        return
    except subprocess.TimeoutExpired:
        pass
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def client_pool(shares: list[ClientShare]) -> Iterator[ClientPool]:
    """Start one client process per share; end them all on exit."""
    pool = ClientPool()
    try:
        for share in shares:
            pool.spawn(share)
        yield pool
    finally:
        pool.close()


def _stat_fields(pid: int) -> list[str]:
    """Return the fields of ``/proc/PID/stat`` from the third (state) on."""
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name in field 2 is in brackets and may contain spaces.
    return text[text.rindex(")") + 2 :].split()


def process_cpu_seconds(pid: int) -> float:
    """Return the user and system CPU seconds of a process and its reaped children."""
    # Fields 14-17 of proc(5): utime, stime, cutime and cstime, in clock ticks.
    ticks = sum(int(value) for value in _stat_fields(pid)[11:15])
    return ticks / CLOCK_TICKS


def process_tree_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds of a process and all its live descendants.

    NOTE: a child that exits during the window drops out of the sum, unless
    its parent has reaped it, which moves its time into the parent's fields.
    """
    total = process_cpu_seconds(pid)
    for descendant in _descendants(pid):
        try:
            total += process_cpu_seconds(descendant)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _descendants(root: int) -> list[int]:
    children = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (FileNotFoundError, ProcessLookupError):
            continue
        children[parent].append(int(entry.name))
    found, frontier = [], [root]
    while frontier:
        frontier = [child for pid in frontier for child in children[pid]]
        found += frontier
    return found


def machine_busy_cpu_seconds() -> float:
    """Return the CPU seconds all cores spent neither idle nor in I/O wait."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()
    # The fields are user, nice, system, idle, iowait, irq, softirq and steal.
    # Guest time is already counted in user.
    ticks = [int(value) for value in fields[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS


@dataclass
class _Counters:
    server_cpu: float
    client_cpu: float
    machine_busy: float
    load: tuple[float, float, float]


def _read_counters(server_pid: int, client_pids: list[int]) -> _Counters:
    return _Counters(
        server_cpu=process_tree_cpu_seconds(server_pid),
        client_cpu=sum(process_cpu_seconds(pid) for pid in client_pids),
        machine_busy=machine_busy_cpu_seconds(),
        load=os.getloadavg(),
    )


def _usage_between(before: _Counters, after: _Counters) -> ResourceUsage:
    server = after.server_cpu - before.server_cpu
    client = after.client_cpu - before.client_cpu
    machine = after.machine_busy - before.machine_busy
    # /proc/stat and the per-process fields count ticks separately, so the
    # difference can come out slightly negative on an otherwise idle machine.
    other = max(0.0, machine - server - client)
    return ResourceUsage(server, client, other, before.load, after.load)


@dataclass
class Server:
    """A server under test, running as a child process."""

    url: str
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()


def run_workload(
    server: Server, target: str, stored: int, executions: int, setup: ClientSetup
) -> Result:
    """Drive ``executions`` through ``server`` from ``setup.processes`` clients.

    The server is stopped when the work is done, which ends the polls still
    parked on it. Raise RuntimeError when a client process hit an error that
    was not a failed execution.
    """
    shares = setup.split(server.url, executions, prefix=f"s{stored}")
    with client_pool(shares) as pool:
        pool.expect("ready")
        before = _read_counters(server.pid, pool.pids)
        began = time.perf_counter()
        pool.send("go")
        pool.expect("done")
        seconds = time.perf_counter() - began
        after = _read_counters(server.pid, pool.pids)
        server.stop()
        reports = pool.read_reports()
    latencies, failed, empty_polls = _merge_reports(reports)
    usage = _usage_between(before, after)
    return Result(
        target,
        stored,
        executions,
        setup,
        seconds,
        latencies,
        usage,
        failed,
        empty_polls,
    )


def _merge_reports(reports: list[ClientReport]) -> tuple[dict, int, int]:
    errors = [error for report in reports for error in report.errors]
    if errors:
        raise RuntimeError(f"benchmark stopped on unexpected errors: {errors[:3]}")
    latencies = defaultdict(list)
    for report in reports:
        for operation, samples in report.latencies.items():
            latencies[operation].extend(samples)
    failed = sum(report.failed for report in reports)
    empty_polls = sum(report.empty_polls for report in reports)
    return dict(latencies), failed, empty_polls


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
            run_one_inprocess(engine, f"prefill-{number}")
    finally:
        engine.close()


def run_one_inprocess(engine, workflow_id: str) -> None:
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
def engine_server(database_url: str) -> Iterator[Server]:
    """Run ``vwf engine serve`` on a free loopback port."""
    # --metrics-port 0 turns the metrics endpoint off, because another engine
    # on the machine may hold its fixed default port.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vwf",
            "engine",
            "serve",
            "--port",
            "0",
            "--metrics-port",
            "0",
            "--database",
            database_url,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _read_listening_url(process)
        threading.Thread(target=process.stderr.read, daemon=True).start()
        yield Server(url, process)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _read_listening_url(process: subprocess.Popen) -> str:
    output = []
    for line in process.stderr:
        match = _LISTENING.search(line)
        if match:
            return match.group(1)
        output.append(line)
    tail = "".join(output[-20:])
    raise RuntimeError(
        f"vwf engine serve exited with {process.wait()} before listening. "
        f"The end of its stderr:\n{tail}"
    )


@contextmanager
def moto_server() -> Iterator[Server]:
    """Run moto_server on a free loopback port."""
    port = _free_port()
    executable = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield Server(f"http://127.0.0.1:{port}", process)
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
    workdir: Path, stored_counts: list[int], executions: int, setup: ClientSetup
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
        with engine_server(database_url) as server:
            result = run_workload(server, ENGINE, target_stored, executions, setup)
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


def measure_moto(executions: int, setup: ClientSetup) -> Result:
    """Measure moto_server with the same workload on a fresh server."""
    with moto_server() as server:
        register(make_client(server.url))
        result = run_workload(server, MOTO, 0, executions, setup)
    _report_progress(result)
    return result


def _report_progress(result: Result) -> None:
    usage = result.usage
    other_cores = usage.other_cpu_seconds / result.seconds
    print(
        f"{result.target} with {result.stored:,} stored: "
        f"{result.executions_per_second:.1f} executions/s, "
        f"{result.failed} failed, {result.empty_polls} empty polls, "
        f"CPU ms per call: server {result.server_cpu_ms_per_call:.2f}, "
        f"client {result.client_cpu_ms_per_call:.2f}; "
        f"other processes used {other_cores:.2f} cores; "
        f"load average {_format_load(usage.load_start)} at start, "
        f"{_format_load(usage.load_end)} at end",
        file=sys.stderr,
    )


def _format_load(load: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in load)


OPERATIONS = [
    "StartWorkflowExecution",
    "PollForDecisionTask",
    "RespondDecisionTaskCompleted",
    "PollForActivityTask",
    "RespondActivityTaskCompleted",
]


def format_table(results: list[Result]) -> str:
    """Render the results as a Markdown table, latencies in milliseconds.

    The load average column is the 1-minute average at the start and end of
    the run.
    """
    header = ["server", "stored", "executions", "failed", "in flight"]
    header += ["client processes", "executions/s"]
    header += ["server CPU ms/call", "client CPU ms/call", "load start/end"]
    header += [f"{op} p50/p99 ms" for op in OPERATIONS]
    lines = [_row(header), _row(["---"] * len(header))]
    for result in results:
        lines.append(_row(_cells(result)))
    return "\n".join(lines)


def _cells(result: Result) -> list[str]:
    usage = result.usage
    cells = [
        result.target,
        f"{result.stored:,}",
        f"{result.executions:,}",
        str(result.failed),
        str(result.setup.in_flight),
        str(result.setup.processes),
        f"{result.executions_per_second:.1f}",
        f"{result.server_cpu_ms_per_call:.2f}",
        f"{result.client_cpu_ms_per_call:.2f}",
        f"{usage.load_start[0]:.2f} / {usage.load_end[0]:.2f}",
    ]
    return cells + [_percentiles(result.latencies.get(op, [])) for op in OPERATIONS]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _percentiles(samples: list[float]) -> str:
    if len(samples) < 2:
        return "-"
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"{cuts[49] * 1000:.1f} / {cuts[98] * 1000:.1f}"


def format_ratio(results: list[Result]) -> str:
    """Format the throughput ratio of the engine run with the fewest stored
    executions to moto_server, and whether the target is met."""
    engine = min((r for r in results if r.target == ENGINE), key=lambda r: r.stored)
    moto = next(r for r in results if r.target == MOTO)
    if moto.completed == 0:
        return "moto_server completed no executions, so there is no ratio"
    ratio = engine.executions_per_second / moto.executions_per_second
    verdict = "met" if ratio >= TARGET_RATIO else "not met"
    lines = [
        f"engine ({engine.stored:,} stored, {engine.executions:,} executions) / "
        f"moto_server ({moto.executions:,} executions) throughput: {ratio:.1f}x",
        f"target of at least {TARGET_RATIO}x: {verdict}",
    ]
    if engine.setup.in_flight != TARGET_IN_FLIGHT:
        lines[-1] += (
            f" (but measured at {engine.setup.in_flight} in flight, "
            f"and the target is for {TARGET_IN_FLIGHT})"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--executions",
        type=int,
        default=1000,
        help="executions per engine run (default 1000)",
    )
    parser.add_argument(
        "--moto-executions",
        type=int,
        help="executions for the moto_server run (default: --executions, the "
        "same workload; moto_server slows down as its executions accumulate, "
        "so a shorter run flatters it)",
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=500,
        help="maximum open executions at once, in total across the client "
        "processes (default 500)",
    )
    parser.add_argument(
        "--pollers",
        type=int,
        default=16,
        help="decider threads, and as many worker threads, in total across the "
        "client processes (default 16)",
    )
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="client processes that share the workload evenly, each with its own "
        "boto3 client and threads; the same for every server (default 2)",
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
        help="smoke run: 20 executions, 10 in flight, 4 pollers, small stores",
    )
    args = parser.parse_args(argv)
    if args.moto_executions is None:
        args.moto_executions = args.executions
    if args.quick:
        args.executions, args.moto_executions, args.in_flight = 20, 20, 10
        args.pollers, args.stored = 4, [5, 20]
    _check_args(parser, args)
    return args


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if min(args.stored) < 0:
        parser.error(f"--stored counts must not be negative, got {args.stored}")
    if args.client_processes < 1:
        parser.error(
            f"--client-processes must be at least 1, got {args.client_processes}"
        )
    totals = {
        "--executions": args.executions,
        "--in-flight": args.in_flight,
        "--pollers": args.pollers,
    }
    if not args.no_moto:
        totals["--moto-executions"] = args.moto_executions
    for option, value in totals.items():
        if value < args.client_processes:
            parser.error(
                f"{option} ({value}) must be at least --client-processes "
                f"({args.client_processes}), so that each process gets a share"
            )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    setup = ClientSetup(args.in_flight, args.pollers, args.client_processes)
    workdir = Path(tempfile.mkdtemp(prefix="vwf-bench-"))
    try:
        stored_counts = sorted(args.stored)
        results = measure_engine(workdir, stored_counts, args.executions, setup)
        if not args.no_moto:
            results.append(measure_moto(args.moto_executions, setup))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(format_table(results))
    if not args.no_moto:
        print()
        print(format_ratio(results))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    if sys.argv[1:] == [CLIENT_MODE_FLAG]:
        run_client_process()
    else:
        main()

"""The activity worker: polls task lists and runs stage activities."""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from vwf.logcontext import log_context
from vwf.workflow import _wire
from vwf.workflow._context import (
    CANCEL_REQUESTED,
    SHUTDOWN,
    TASK_CLOSED,
    Activity,
    ActivityContext,
)
from vwf.workflow._decisions import TASK_KEY
from vwf.workflow._definition import Stage, WorkflowDefinition
from vwf.workflow._payloads import BlobStore, Payloads
from vwf.workflow.errors import (
    ActivityCancelled,
    DefinitionError,
    NonRetryableError,
    PayloadError,
    TryLaterError,
)

logger = logging.getLogger(__name__)

MAX_HEARTBEAT_INTERVAL = timedelta(seconds=10)
"""Maximum time between heartbeats, whatever the heartbeat timeout. A
heartbeat is how a worker learns that its task was cancelled, so this bounds
how long a cancelled stage keeps running."""

# Extra time for a cancelled activity to return after the shutdown grace.
_CANCEL_WAIT = 5.0


@dataclass(frozen=True)
class _Response:
    """One RespondActivityTask* call: the client method and its arguments."""

    method: str
    arguments: dict[str, Any]


class _TaskRun:
    """A task in progress; guarantees at most one response to SWF."""

    def __init__(self, token: str, context: ActivityContext | None = None) -> None:
        self.token = token
        self.context = context
        self.finished = threading.Event()
        self._responded = False
        self._lock = threading.Lock()

    def claim_response(self) -> bool:
        """Return ``True`` once: to the first caller that may respond."""
        with self._lock:
            if self._responded:
                return False
            self._responded = True
            return True


class ActivityWorker:
    """Run the activities of some stages of ``definition``.

    Each stage gets ``concurrency`` threads, each polling the stage's task
    list and running one task at a time. Call :meth:`run` from the main
    thread; setting its ``stop`` event begins a shutdown with a grace period.
    """

    def __init__(
        self,
        client: Any,
        definition: WorkflowDefinition,
        activities: Mapping[str, Activity],
        *,
        concurrency: int = 1,
        identity: str | None = None,
        store: BlobStore | None = None,
        empty_poll_delay: timedelta = timedelta(seconds=0.2),
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency {concurrency} is invalid; use 1 or more")
        self._stages = {_stage(definition, name): a for name, a in activities.items()}
        self._client = client
        self._domain = definition.domain
        self._concurrency = concurrency
        self._identity = identity or f"worker-{socket.gethostname()}-{os.getpid()}"
        self._payloads = Payloads(store)
        self._empty_poll_delay = empty_poll_delay.total_seconds()
        self._stopping = threading.Event()
        self._running: dict[str, _TaskRun] = {}
        self._running_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the polling threads."""
        for stage in self._stages:
            for index in range(self._concurrency):
                thread = threading.Thread(
                    target=contextvars.copy_context().run,
                    args=(self._poll_loop, stage),
                    name=f"worker-{stage.name}-{index}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        logger.info(
            "worker %s started: stages %s, %d threads each",
            self._identity,
            [stage.name for stage in self._stages],
            self._concurrency,
        )

    def run(self, stop: threading.Event, grace: timedelta) -> None:
        """Work until ``stop`` is set, then shut down within ``grace``."""
        self.start()
        stop.wait()
        self.shutdown(grace)

    def shutdown(self, grace: timedelta) -> None:
        """Stop polling, let running tasks finish within ``grace``, then cancel
        the rest and fail them as retryable so they are rescheduled at once."""
        logger.info("worker %s stopping; grace period %s", self._identity, grace)
        self._stopping.set()
        deadline = time.monotonic() + grace.total_seconds()
        for run in self._running_tasks():
            run.finished.wait(max(0.0, deadline - time.monotonic()))
        for run in self._running_tasks():
            self._interrupt(run)
        for run in self._running_tasks():
            run.finished.wait(_CANCEL_WAIT)
        logger.info("worker %s stopped", self._identity)

    def join(self, timeout: timedelta) -> bool:
        """Wait for the polling threads to end after :meth:`shutdown`; a thread
        in a long poll ends when its poll returns. Return whether all ended."""
        deadline = time.monotonic() + timeout.total_seconds()
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _running_tasks(self) -> list[_TaskRun]:
        with self._running_lock:
            return list(self._running.values())

    def _interrupt(self, run: _TaskRun) -> None:
        context = run.context
        with log_context(
            workflow_id=context.workflow_id, activity_id=context.activity_id
        ):
            logger.warning("task still running after the grace period; cancelling it")
            context.cancel(SHUTDOWN)
            self._respond(run, _interrupted_response())

    def _poll_loop(self, stage: Stage) -> None:
        while not self._stopping.is_set():
            try:
                task = self._client.poll_for_activity_task(
                    domain=self._domain,
                    taskList={"name": stage.task_list},
                    identity=self._identity,
                )
            except (ClientError, BotoCoreError) as exc:
                logger.error(
                    "activity task poll on %s failed: %s", stage.task_list, exc
                )
                self._stopping.wait(1.0)
                continue
            if not task.get("taskToken"):
                logger.debug("no activity task on %s", stage.task_list)
                self._stopping.wait(self._empty_poll_delay)
                continue
            self._handle(stage, task)

    def _handle(self, stage: Stage, task: dict[str, Any]) -> None:
        execution = task["workflowExecution"]
        with log_context(
            workflow_id=execution["workflowId"],
            run_id=execution["runId"],
            activity_id=task["activityId"],
        ):
            try:
                stage_input, meta = self._decode_input(task)
            except (ValueError, PayloadError) as exc:
                logger.error("invalid input of task: %s", exc)
                run = _TaskRun(task["taskToken"])
                self._respond(
                    run, _failure(_wire.NON_RETRYABLE, f"invalid input: {exc}")
                )
                return
            media_id = stage_input.get("media_id") or execution["workflowId"]
            with log_context(media_id=str(media_id)):
                self._run(stage, task, stage_input, meta)

    def _decode_input(self, task: dict[str, Any]) -> tuple[dict, dict]:
        stage_input = self._payloads.resolve(_wire.loads_object(task.get("input")))
        if not isinstance(stage_input, dict):
            raise ValueError("the stored input is not a JSON object")
        meta = stage_input.pop(TASK_KEY, None) or {}
        return stage_input, meta

    def _run(self, stage: Stage, task: dict, stage_input: dict, meta: dict) -> None:
        heartbeat_timeout = _heartbeat_timeout(stage, meta)
        background = stage.heartbeats and heartbeat_timeout is not None
        run = _TaskRun(task["taskToken"])
        # The context sends heartbeats through ``run``, so it is built after it.
        run.context = self._context(task, meta, run, send_at_once=not background)
        if self._stopping.is_set():
            self._respond(run, _interrupted_response())
            return
        with self._running_lock:
            self._running[run.token] = run
        if background:
            self._start_heartbeats(
                run, min(heartbeat_timeout / 3, MAX_HEARTBEAT_INTERVAL)
            )
        logger.info(
            "task started: stage %s, attempt %d", stage.name, run.context.attempt
        )
        try:
            response = self._execute(self._stages[stage], stage_input, run.context)
            if response is not None:
                self._respond(run, response)
        finally:
            run.finished.set()
            with self._running_lock:
                self._running.pop(run.token, None)

    def _context(
        self,
        task: dict[str, Any],
        meta: dict[str, Any],
        run: _TaskRun,
        send_at_once: bool,
    ) -> ActivityContext:
        """Build the task's context; without background heartbeats each
        ``heartbeat()`` call is sent at once, else the heartbeat thread sends it."""
        execution = task["workflowExecution"]

        def send(details: str) -> None:
            if send_at_once:
                self._heartbeat(run, details)

        return ActivityContext(
            workflow_id=execution["workflowId"],
            run_id=execution["runId"],
            activity_id=task["activityId"],
            attempt=_attempt(task, meta),
            send_heartbeat=send,
        )

    def _execute(
        self, activity: Activity, stage_input: dict, context: ActivityContext
    ) -> _Response | None:
        """Run the activity and return the response to send, or ``None``."""
        try:
            result = activity(stage_input, context)
            return _Response(
                "respond_activity_task_completed",
                {"result": self._encode_result(result, context)},
            )
        except NonRetryableError as exc:
            logger.error("task failed without retry: %s", exc)
            return _failure(_wire.NON_RETRYABLE, str(exc))
        except TryLaterError as exc:
            logger.info("stage busy, retry later: %s", exc.reason)
            return _busy_response(exc)
        except ActivityCancelled as exc:
            return _cancelled_response(context, exc)
        except Exception as exc:
            logger.exception("task failed; the decider may retry it")
            return _failure(
                _wire.RETRYABLE,
                f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(),
            )

    def _encode_result(self, result: Any, context: ActivityContext) -> str:
        return self._payloads.encode(
            result,
            workflow_id=context.workflow_id,
            run_id=context.run_id,
            name=f"{context.activity_id}-result",
        )

    def _respond(self, run: _TaskRun, response: _Response) -> None:
        if not run.claim_response():
            return
        try:
            getattr(self._client, response.method)(
                taskToken=run.token, **response.arguments
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UnknownResourceFault":
                logger.error("%s failed: %s", response.method, exc)
                return
            logger.warning(
                "task is closed already (timed out or cancelled); %s dropped",
                response.method,
            )
            return
        except BotoCoreError as exc:
            logger.error("%s failed: %s", response.method, exc)
            return
        logger.info(
            "task ended: %s", response.method.removeprefix("respond_activity_task_")
        )

    def _start_heartbeats(self, run: _TaskRun, interval: timedelta) -> None:
        def beat() -> None:
            while not run.finished.wait(interval.total_seconds()):
                if not self._heartbeat(run, run.context.latest_details()):
                    return

        thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(beat,),
            name=f"heartbeat-{run.context.activity_id}",
            daemon=True,
        )
        thread.start()

    def _heartbeat(self, run: _TaskRun, details: str | None) -> bool:
        """Send a heartbeat; return ``False`` once the task is cancelled or closed."""
        arguments = {"taskToken": run.token}
        if details:
            arguments["details"] = details
        try:
            response = self._client.record_activity_task_heartbeat(**arguments)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "UnknownResourceFault":
                logger.warning(
                    "task is closed (timed out or execution closed); stopping it"
                )
                run.context.cancel(TASK_CLOSED)
                return False
            logger.warning("heartbeat failed: %s", exc)
            return True
        except BotoCoreError as exc:
            logger.warning("heartbeat failed: %s", exc)
            return True
        if response.get("cancelRequested"):
            logger.info("cancellation requested; stopping the task")
            run.context.cancel(CANCEL_REQUESTED)
            return False
        return True


def _stage(definition: WorkflowDefinition, name: str) -> Stage:
    try:
        return definition.stage(name)
    except KeyError:
        stage_names = [stage.name for stage in definition.stages]
        raise DefinitionError(
            f"stage {name!r} is not in workflow {definition.name}; "
            f"use one of {stage_names}"
        ) from None


def _attempt(task: dict[str, Any], meta: dict[str, Any]) -> int:
    attempt = meta.get("attempt")
    if isinstance(attempt, int):
        return attempt
    suffix = task["activityId"].rsplit("-", 1)[-1]
    return int(suffix) if suffix.isdigit() else 1


def _heartbeat_timeout(stage: Stage, meta: dict[str, Any]) -> timedelta | None:
    """Return the task's heartbeat timeout as scheduled, else the stage's."""
    seconds = meta.get("heartbeat_timeout")
    if isinstance(seconds, int | float):
        return timedelta(seconds=seconds)
    return stage.heartbeat_timeout


def _failure(kind: str, message: str, **extra: Any) -> _Response:
    return _Response(
        "respond_activity_task_failed",
        {
            "reason": _wire.trim(message, _wire.MAX_REASON),
            "details": _wire.failure_details(kind, message, **extra),
        },
    )


def _busy_response(exc: TryLaterError) -> _Response:
    retry_after = exc.retry_after.total_seconds() if exc.retry_after else None
    return _failure(_wire.BUSY, f"busy: {exc.reason}", retry_after=retry_after)


def _interrupted_response() -> _Response:
    return _failure(_wire.INTERRUPTED, "worker shut down before the task finished")


def _cancelled_response(
    context: ActivityContext, exc: ActivityCancelled
) -> _Response | None:
    reason = context.cancel_reason
    if reason == CANCEL_REQUESTED:
        logger.info("task cancelled on request")
        details = _wire.trim(str(exc), _wire.MAX_DETAILS)
        return _Response("respond_activity_task_canceled", {"details": details})
    if reason == TASK_CLOSED:
        logger.info("task stopped: SWF closed it already")
        return None
    if reason == SHUTDOWN:
        return _interrupted_response()
    logger.error("activity raised ActivityCancelled without a cancellation: %s", exc)
    return _failure(_wire.RETRYABLE, f"ActivityCancelled: {exc}")

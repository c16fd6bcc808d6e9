"""The context of a running activity: its ids, heartbeats and cancellation."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from vwf.workflow import _wire
from vwf.workflow.errors import ActivityCancelled

logger = logging.getLogger(__name__)

# Reasons for cancelling a context.
CANCEL_REQUESTED = "cancel_requested"
"""The decider requested cancellation (a heartbeat returned cancelRequested)."""
TASK_CLOSED = "task_closed"
"""SWF rejects the task token because the task timed out or its execution closed."""
SHUTDOWN = "shutdown"
"""The worker is shutting down and the grace period ran out."""

_POLL_INTERVAL = 0.2  # seconds between cancellation checks of a child process


class ActivityContext:
    """The ids of one activity task and the means to report progress and to
    notice cancellation.

    ``cancelled`` is set when the decider requests cancellation, when SWF
    rejects the task token, or when the worker shuts down. Long work should
    call :meth:`check_cancelled` between steps and run child processes with
    :meth:`run_process`, which kills them on cancellation.
    """

    def __init__(
        self,
        *,
        workflow_id: str,
        run_id: str,
        activity_id: str,
        attempt: int,
        send_heartbeat: Callable[[str], None] | None = None,
    ) -> None:
        self._workflow_id = workflow_id
        self._run_id = run_id
        self._activity_id = activity_id
        self._attempt = attempt
        self._send_heartbeat = send_heartbeat
        self._lock = threading.Lock()
        self._latest_details: str | None = None
        self._cancel_reason: str | None = None
        self.cancelled = threading.Event()
        self.heartbeats: list[str] = []
        """Heartbeat details recorded by a detached context, oldest first."""

    @classmethod
    def detached(
        cls,
        workflow_id: str = "detached",
        *,
        run_id: str = "detached",
        activity_id: str | None = None,
        attempt: int = 1,
    ) -> ActivityContext:
        """Return a context for running an activity outside SWF, e.g. from the
        command line or a test; heartbeats are recorded in :attr:`heartbeats`."""
        return cls(
            workflow_id=workflow_id,
            run_id=run_id,
            activity_id=activity_id or f"detached-{workflow_id}-{attempt}",
            attempt=attempt,
        )

    @property
    def workflow_id(self) -> str:
        return self._workflow_id

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def activity_id(self) -> str:
        return self._activity_id

    @property
    def attempt(self) -> int:
        """Attempt number of this stage in its execution, starting at 1."""
        return self._attempt

    @property
    def cancel_reason(self) -> str | None:
        """Why :attr:`cancelled` was set: one of the constants of this module."""
        return self._cancel_reason

    def heartbeat(self, details: str | dict[str, Any] = "") -> None:
        """Report progress; ``details`` (JSON for a dict) is trimmed to SWF's
        2,048 characters. The worker sends it with the next heartbeat, or at
        once for a stage without background heartbeats."""
        text = details if isinstance(details, str) else _wire.dumps(details)
        text = _wire.trim(text, _wire.MAX_HEARTBEAT_DETAILS)
        with self._lock:
            self._latest_details = text
            if self._send_heartbeat is None:
                self.heartbeats.append(text)
        if self._send_heartbeat is not None:
            self._send_heartbeat(text)

    def latest_details(self) -> str | None:
        """Return the details of the last :meth:`heartbeat` call."""
        with self._lock:
            return self._latest_details

    def check_cancelled(self) -> None:
        """Raise :class:`ActivityCancelled` when the task was cancelled."""
        if self.cancelled.is_set():
            raise ActivityCancelled(
                f"activity {self._activity_id} was cancelled ({self._cancel_reason})"
            )

    def cancel(self, reason: str) -> None:
        """Set :attr:`cancelled`; the first reason given is kept."""
        with self._lock:
            if self._cancel_reason is None:
                self._cancel_reason = reason
        self.cancelled.set()

    def run_process(
        self,
        args: Sequence[str],
        *,
        check: bool = True,
        kill_grace: timedelta = timedelta(seconds=5),
        **popen_kwargs: Any,
    ) -> subprocess.CompletedProcess:
        """Run a child process in its own process group and wait for it.

        On cancellation the whole group gets SIGTERM, then SIGKILL after
        ``kill_grace``, and :class:`ActivityCancelled` is raised. With
        ``check`` a non-zero exit raises ``subprocess.CalledProcessError``.
        ``popen_kwargs`` go to ``subprocess.Popen``, e.g. ``stdout=PIPE``.
        """
        self.check_cancelled()
        popen_kwargs["start_new_session"] = True
        with subprocess.Popen(args, **popen_kwargs) as process:
            stdout, stderr = self._wait(process, kill_grace)
        if check and process.returncode != 0:
            raise subprocess.CalledProcessError(
                process.returncode, args, stdout, stderr
            )
        return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)

    def _wait(self, process: subprocess.Popen, kill_grace: timedelta) -> tuple:
        while True:
            try:
                return process.communicate(timeout=_POLL_INTERVAL)
            except subprocess.TimeoutExpired:
                if self.cancelled.is_set():
                    break
        logger.info("killing process group %d: activity cancelled", process.pid)
        _signal_group(process, signal.SIGTERM)
        try:
            process.communicate(timeout=kill_grace.total_seconds())
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.communicate()
        raise ActivityCancelled(
            f"activity {self._activity_id} was cancelled ({self._cancel_reason}); "
            f"killed process group {process.pid}"
        )


def _signal_group(process: subprocess.Popen, signal_number: int) -> None:
    try:
        os.killpg(process.pid, signal_number)
    except ProcessLookupError:
        pass


class Activity(Protocol):
    """A stage implementation: takes the stage input and returns its result.

    Raise ``NonRetryableError`` for input that can never succeed,
    ``TryLaterError`` when a resource is busy; any other exception fails the
    task as retryable.
    """

    def __call__(self, input: dict[str, Any], context: ActivityContext) -> dict: ...

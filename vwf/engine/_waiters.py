"""Wake-ups for long polls waiting on a task list in this process."""

from __future__ import annotations

import threading
from collections import defaultdict

# (task kind, domain, task list name), task kind being "decision" or "activity".
TaskListKey = tuple[str, str, str]


class TaskListWaiters:
    """One version counter and condition variable per task list.

    A poller reads :meth:`version` before it looks for a task and, if it finds
    none, waits until the version changes, so a task added between its look
    and its wait is not missed.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._versions: dict[TaskListKey, int] = defaultdict(int)
        self._closed = False

    def version(self, key: TaskListKey) -> int:
        with self._condition:
            return self._versions[key]

    def notify(self, key: TaskListKey) -> None:
        with self._condition:
            self._versions[key] += 1
            self._condition.notify_all()

    def wait(self, key: TaskListKey, seen: int, timeout: float) -> None:
        """Block until ``key`` changes from version ``seen``, ``timeout`` or close."""
        with self._condition:
            self._condition.wait_for(
                lambda: self._closed or self._versions[key] != seen, timeout
            )

    def close(self) -> None:
        """Release every waiting poll; they return empty at their next check."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

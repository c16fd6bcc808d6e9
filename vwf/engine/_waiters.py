"""Wake-ups for long polls waiting on a task list in this process."""

from __future__ import annotations

import threading

# (task kind, domain, task list name), task kind being "decision" or "activity".
TaskListKey = tuple[str, str, str]


class _TaskList:
    """The version counter and waiting polls of one task list."""

    def __init__(self, lock: threading.Lock) -> None:
        self.version = 0
        self.condition = threading.Condition(lock)


class TaskListWaiters:
    """One version counter and condition variable per task list.

    A poller reads :meth:`version` before it looks for a task and, if it finds
    none, waits until the version changes, so a task added between its look
    and its wait is not missed. Each new task wakes one waiting poll, not all
    of them: the others would only find the task taken. A poll that wakes and
    loses the task to a poll that was not waiting goes back to waiting.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lists: dict[TaskListKey, _TaskList] = {}
        self._closed = False

    def _get(self, key: TaskListKey) -> _TaskList:
        task_list = self._lists.get(key)
        if task_list is None:
            task_list = self._lists.setdefault(key, _TaskList(self._lock))
        return task_list

    def version(self, key: TaskListKey) -> int:
        with self._lock:
            return self._get(key).version

    def notify(self, key: TaskListKey) -> None:
        """Record one new task on ``key`` and wake one poll waiting for it."""
        with self._lock:
            task_list = self._get(key)
            task_list.version += 1
            task_list.condition.notify()

    def wait(self, key: TaskListKey, seen: int, timeout: float) -> None:
        """Block until ``key`` changes from version ``seen``, ``timeout`` or close."""
        with self._lock:
            task_list = self._get(key)
            task_list.condition.wait_for(
                lambda: self._closed or task_list.version != seen, timeout
            )

    def close(self) -> None:
        """Release every waiting poll; they return empty at their next check."""
        with self._lock:
            self._closed = True
            for task_list in self._lists.values():
                task_list.condition.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

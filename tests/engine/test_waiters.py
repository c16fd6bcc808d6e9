"""Unit tests of the long-poll wake-ups: one poll per new task, all on close."""

from __future__ import annotations

import threading
import time

from vwf.engine._waiters import TaskListWaiters

KEY = ("decision", "domain", "list")
OTHER_KEY = ("activity", "domain", "list")


def _park(waiters: TaskListWaiters, key, woken: list, timeout: float = 5.0):
    seen = waiters.version(key)

    def wait() -> None:
        waiters.wait(key, seen, timeout)
        woken.append(time.monotonic())

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread


def _settle() -> None:
    time.sleep(0.2)


def test_notify_wakes_one_waiting_poll_per_task() -> None:
    waiters = TaskListWaiters()
    woken: list[float] = []
    threads = [_park(waiters, KEY, woken) for _ in range(3)]
    _settle()

    waiters.notify(KEY)
    _settle()
    assert len(woken) == 1

    waiters.notify(KEY)
    _settle()
    assert len(woken) == 2
    waiters.close()
    for thread in threads:
        thread.join(timeout=5)


def test_notify_leaves_other_task_lists_waiting() -> None:
    waiters = TaskListWaiters()
    woken: list[float] = []
    thread = _park(waiters, OTHER_KEY, woken)
    _settle()

    waiters.notify(KEY)
    _settle()

    assert woken == []
    waiters.close()
    thread.join(timeout=5)
    assert len(woken) == 1


def test_wait_sees_task_added_before_it() -> None:
    waiters = TaskListWaiters()
    seen = waiters.version(KEY)
    waiters.notify(KEY)

    started = time.monotonic()
    waiters.wait(KEY, seen, timeout=5)

    assert time.monotonic() - started < 1


def test_close_wakes_every_waiting_poll() -> None:
    waiters = TaskListWaiters()
    woken: list[float] = []
    threads = [_park(waiters, key, woken) for key in (KEY, KEY, OTHER_KEY)]
    _settle()

    waiters.close()
    for thread in threads:
        thread.join(timeout=5)

    assert len(woken) == 3
    assert waiters.closed


def test_wait_times_out_without_a_task() -> None:
    waiters = TaskListWaiters()

    started = time.monotonic()
    waiters.wait(KEY, waiters.version(KEY), timeout=0.2)

    assert 0.15 < time.monotonic() - started < 2

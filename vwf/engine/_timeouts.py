"""The timeout scheduler: timeouts and timers fire at their due time.

Every pending timeout and timer is a row in the durable ``deadlines`` table.
One background thread sleeps until the earliest due row, is woken early when
this process adds an earlier one, and re-reads the table at least every
``deadline_recheck_interval`` for rows added by other processes. A row that
fell due while no engine ran fires as soon as an engine starts. Each firing
is one transaction that locks the execution, deletes the row (so only one
engine fires it) and appends the timeout event. A row whose task or timer has
already closed is deleted without effect.

The same thread deletes closed executions past their domain's retention
every ``purge_interval``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Row

from vwf.engine import _schema as t
from vwf.engine._activities import close_activity
from vwf.engine._purge import purge_expired
from vwf.engine._run import Run
from vwf.engine._services import Services
from vwf.engine._store import Tx

logger = logging.getLogger(__name__)

_BATCH = 100


class TimeoutScheduler:
    """The background thread that fires due deadlines and purges old executions."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self._condition = threading.Condition()
        self._next_due = math.inf
        self._stopping = False
        self._thread: threading.Thread | None = None

    def bind(self, services: Services) -> None:
        self._services = services

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._loop, name="vwf-engine-timeouts", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def wake(self, due_at: float) -> None:
        """Note a new deadline, waking the thread if it is earlier than its sleep."""
        with self._condition:
            if due_at < self._next_due:
                self._next_due = due_at
                self._condition.notify_all()

    def _loop(self) -> None:
        services = self._services
        purge_every = services.settings.purge_interval.total_seconds()
        next_purge = time.monotonic()
        logger.info("timeout scheduler started")
        while not self._stopping:
            earliest = math.inf
            with self._condition:
                # wake() calls during this pass lower _next_due, and _sleep()
                # then sleeps no later than the earliest of them.
                self._next_due = math.inf
            try:
                fire_due(services)
                if time.monotonic() >= next_purge:
                    purge_expired(services)
                    next_purge = time.monotonic() + purge_every
                earliest = _earliest_due(services)
            except Exception:
                logger.exception("timeout scheduler pass failed; retrying")
            self._sleep(services, earliest, next_purge)
        logger.info("timeout scheduler stopped")

    def _sleep(self, services: Services, earliest: float, next_purge: float) -> None:
        recheck = services.settings.deadline_recheck_interval.total_seconds()
        with self._condition:
            due = min(self._next_due, earliest)
            if self._stopping:
                return
            now = services.now()
            delay = min(due - now, recheck, next_purge - time.monotonic())
            # While asleep, _next_due is the planned wake-up, so wake() only
            # interrupts the sleep for a deadline that falls before it.
            self._next_due = now + max(delay, 0.0)
            if delay > 0:
                self._condition.wait(delay)


def _earliest_due(services: Services) -> float:
    found = services.store.read(
        lambda conn: conn.execute(select(func.min(t.deadlines.c.due_at))).scalar()
    )
    return math.inf if found is None else found


def fire_due(services: Services) -> int:
    """Fire every deadline due now and return how many fired."""
    fired = 0
    while True:
        due = (
            select(t.deadlines)
            .where(t.deadlines.c.due_at <= services.now())
            .order_by(t.deadlines.c.due_at)
            .limit(_BATCH)
        )
        rows = services.store.read(lambda conn, due=due: list(conn.execute(due)))
        for row in rows:
            fired += services.store.write(lambda tx, row=row: _fire(tx, services, row))
        if len(rows) < _BATCH:
            return fired


def _fire(tx: Tx, services: Services, deadline: Row) -> int:
    exists = tx.execute(
        select(t.executions.c.pk).where(t.executions.c.pk == deadline.execution_pk)
    ).scalar()
    if exists is None:
        return 0
    run = Run.load(tx, services, deadline.execution_pk)
    deleted = tx.execute(
        delete(t.deadlines).where(t.deadlines.c.pk == deadline.pk)
    ).rowcount
    if not deleted or not run.is_open:
        return 0
    _HANDLERS[deadline.kind](run, deadline.ref)
    return 1


def _execution_timed_out(run: Run, _ref: int) -> None:
    run.close(
        "TIMED_OUT",
        "WorkflowExecutionTimedOut",
        timeoutType="START_TO_CLOSE",
        childPolicy=run["child_policy"],
    )


def _decision_timed_out(timeout_type: str, state: str, column: str) -> Callable:
    def handle(run: Run, ref: int) -> None:
        if run["decision_state"] != state or run[column] != ref:
            return
        run.append(
            "DecisionTaskTimedOut",
            timeoutType=timeout_type,
            scheduledEventId=run["decision_scheduled_event_id"],
            startedEventId=run["decision_started_event_id"]
            if state == "started"
            else 0,
        )
        run.clear_decision_task()
        logger.info(
            "decision task of %s timed out (%s)", run["workflow_id"], timeout_type
        )

    return handle


def _activity_timed_out(timeout_type: str, states: tuple[str, ...]) -> Callable:
    def handle(run: Run, ref: int) -> None:
        columns = t.activity_tasks.c
        task = run.tx.execute(
            select(t.activity_tasks).where(
                columns.execution_pk == run.pk, columns.scheduled_event_id == ref
            )
        ).one_or_none()
        if task is None or task.status not in states:
            return
        close_activity(
            run,
            task,
            "ActivityTaskTimedOut",
            timeoutType=timeout_type,
            details=task.heartbeat_details,
        )
        logger.info(
            "activity %s of %s timed out (%s)",
            task.activity_id,
            run["workflow_id"],
            timeout_type,
        )

    return handle


def _timer_fired(run: Run, ref: int) -> None:
    columns = t.timers.c
    key = (columns.execution_pk == run.pk, columns.started_event_id == ref)
    timer = run.tx.execute(select(t.timers).where(*key)).one_or_none()
    if timer is None:
        return
    run.tx.execute(delete(t.timers).where(*key))
    run.append("TimerFired", timerId=timer.timer_id, startedEventId=ref)


_HANDLERS: dict[str, Callable[[Run, int], None]] = {
    "execution_start_to_close": _execution_timed_out,
    "decision_start_to_close": _decision_timed_out(
        "START_TO_CLOSE", "started", "decision_started_event_id"
    ),
    "decision_schedule_to_start": _decision_timed_out(
        "SCHEDULE_TO_START", "scheduled", "decision_scheduled_event_id"
    ),
    "activity_schedule_to_start": _activity_timed_out(
        "SCHEDULE_TO_START", ("scheduled",)
    ),
    "activity_schedule_to_close": _activity_timed_out(
        "SCHEDULE_TO_CLOSE", ("scheduled", "started")
    ),
    "activity_start_to_close": _activity_timed_out("START_TO_CLOSE", ("started",)),
    "activity_heartbeat": _activity_timed_out("HEARTBEAT", ("started",)),
    "timer": _timer_fired,
}

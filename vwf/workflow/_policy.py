"""The retry policy: what a stage needs next, given its attempts so far.

Failure, timeout and busy retries are counted separately, over the attempts
of the stage's current round. A round starts with the stage's first attempt
and again with each ``retry`` signal that arrives while the stage is failed.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from vwf.workflow import _wire
from vwf.workflow._definition import Stage
from vwf.workflow._history import (
    CANCELED,
    COMPLETED,
    TIMED_OUT,
    Attempt,
    ExecutionState,
)

# SWF timers count whole seconds; a busy retry waits at least this long.
_MIN_TIMER = timedelta(seconds=1)


class Action(enum.Enum):
    SCHEDULE = "schedule"
    START_TIMER = "start_timer"
    WAIT = "wait"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Step:
    """The next step for one stage."""

    action: Action
    timeouts_so_far: int = 0
    """Timeouts in this round, which pick the next attempt's timeout multiplier."""
    delay: timedelta | None = None
    reason: str = ""
    details: str = ""
    """Details of the last attempt of a failed stage, e.g. a traceback."""


def next_step(stage: Stage, state: ExecutionState) -> Step:
    """Return the next step of ``stage``; the caller checks prerequisites before
    acting on ``SCHEDULE`` for a stage without attempts."""
    attempts = current_round(stage, state)
    if not attempts and stage.name in state.resumed:
        return Step(Action.DONE)
    return _evaluate(stage, state, attempts, state.now)


def current_round(stage: Stage, state: ExecutionState) -> list[Attempt]:
    """Return the attempts of ``stage`` since its last accepted retry signal."""
    attempts = state.attempts_of(stage.name)
    round_start = 0
    for signal in state.retry_signals:
        if signal.stage != stage.name:
            continue
        before = [
            _as_of(a, signal.event_id)
            for a in attempts
            if round_start < a.scheduled_event_id < signal.event_id
        ]
        step = _evaluate(stage, state, before, signal.timestamp)
        if step.action is Action.FAILED:
            round_start = signal.event_id
    return [a for a in attempts if a.scheduled_event_id > round_start]


def stage_result(stage: Stage, state: ExecutionState) -> str | None:
    """Return the result text of a completed stage: its last attempt's, or the
    one an earlier run passed on when this run has no attempt of it."""
    attempts = current_round(stage, state)
    if attempts:
        return attempts[-1].result
    return state.resumed.get(stage.name)


def _as_of(attempt: Attempt, event_id: int) -> Attempt:
    """Return ``attempt`` as it was when event ``event_id`` happened."""
    if attempt.closed_event_id is not None and attempt.closed_event_id > event_id:
        return dataclasses.replace(attempt, outcome=None)
    return attempt


def _evaluate(
    stage: Stage, state: ExecutionState, attempts: list[Attempt], now: datetime | None
) -> Step:
    if not attempts:
        return Step(Action.SCHEDULE)
    last = attempts[-1]
    timeouts = sum(1 for a in attempts if a.outcome == TIMED_OUT)
    failures = sum(1 for a in attempts if a.outcome == _wire.RETRYABLE)
    if last.is_open:
        return Step(Action.WAIT)
    if last.outcome == COMPLETED:
        return Step(Action.DONE)
    if last.outcome == CANCELED:
        return Step(Action.FAILED, reason=f"stage {stage.name} was canceled")
    if last.outcome == _wire.NON_RETRYABLE:
        return _failed(stage, attempts, "failed without retry")
    if last.outcome == _wire.RETRYABLE and failures > stage.failure_retries:
        return _failed(stage, attempts, "failed")
    if last.outcome == TIMED_OUT and timeouts > stage.timeout_retries:
        return _failed(stage, attempts, "timed out")
    if last.outcome == _wire.BUSY:
        return _busy_step(stage, state, attempts, now, timeouts)
    return Step(Action.SCHEDULE, timeouts_so_far=timeouts)


def _failed(stage: Stage, attempts: list[Attempt], failure: str) -> Step:
    last = attempts[-1]
    return Step(
        Action.FAILED,
        reason=(
            f"stage {stage.name} {failure} after {_count(len(attempts), 'attempt')}: "
            f"{last.reason}"
        ),
        details=last.details or "",
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _busy_step(
    stage: Stage,
    state: ExecutionState,
    attempts: list[Attempt],
    now: datetime | None,
    timeouts: int,
) -> Step:
    last = attempts[-1]
    timer = state.timers.get(busy_timer_id(stage.name, last.number))
    if timer is not None:
        if timer.status == "fired":
            return Step(Action.SCHEDULE, timeouts_so_far=timeouts)
        return Step(Action.WAIT)
    delay = last.retry_after or stage.busy_retry_delay
    if stage.busy_deadline is not None and now is not None:
        remaining = attempts[0].scheduled_at + stage.busy_deadline - now
        if remaining <= timedelta(0):
            return _failed(
                stage,
                attempts,
                f"stayed busy past its deadline of {stage.busy_deadline}",
            )
        delay = min(delay, remaining)
    return Step(Action.START_TIMER, delay=max(delay, _MIN_TIMER))


def busy_timer_id(stage: str, attempt: int) -> str:
    """Return the id of the timer that delays the attempt after a busy ``attempt``."""
    return f"{stage}-busy-{attempt}"

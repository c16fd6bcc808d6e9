"""The collaborators every operation handler receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vwf.engine._clock import Clock
from vwf.engine._metrics import EngineMetrics
from vwf.engine._settings import EngineSettings
from vwf.engine._store import Store
from vwf.engine._waiters import TaskListWaiters


@dataclass(frozen=True)
class Services:
    """Store, clock, settings and wake-up hooks of one engine."""

    store: Store
    clock: Clock
    settings: EngineSettings
    waiters: TaskListWaiters
    # Called after commit with the due time (epoch seconds) of a new deadline.
    wake_scheduler: Callable[[float], None]
    metrics: EngineMetrics
    # Domains seen to exist. SWF has no way to delete a domain, so an entry
    # stays true for every engine sharing the database.
    known_domains: set[str] = field(default_factory=set)

    def now(self) -> float:
        """Return the current time in epoch seconds, from the injected clock."""
        return self.clock.now().timestamp()

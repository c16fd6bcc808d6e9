"""The :class:`Engine` facade: one database, its threads and every operation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from vwf.engine import (
    _activities,
    _decisions,
    _domains,
    _executions,
    _polls,
    _types,
    _visibility,
)
from vwf.engine._clock import Clock, SystemClock
from vwf.engine._metrics import EngineMetrics
from vwf.engine._services import Services
from vwf.engine._settings import EngineSettings
from vwf.engine._store import Store
from vwf.engine._timeouts import TimeoutScheduler
from vwf.engine._validation import (
    load_operation_models,
    service_model,
    validate_request,
)
from vwf.engine._waiters import TaskListWaiters
from vwf.engine.errors import OperationNotPermittedFault, UnknownOperationException

logger = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], None]
Handler = Callable[[Services, dict[str, Any]], dict[str, Any]]

_OPERATIONS: dict[str, Handler] = {
    **_domains.OPERATIONS,
    **_types.OPERATIONS,
    **_executions.OPERATIONS,
    **_visibility.OPERATIONS,
    **_activities.OPERATIONS,
    **_decisions.OPERATIONS,
    **_polls.COUNT_OPERATIONS,
}
# Operations that claim a task and hand it over through ``deliver``.
_POLLS = _polls.POLL_OPERATIONS


class Engine:
    """An SWF-compatible workflow engine on one SQLite or PostgreSQL database.

    Construction opens the database and creates its tables; :meth:`start`
    starts the timeout scheduler and the retention purge; :meth:`close` stops
    them and releases the database. Several engines, also in other processes,
    may share one database.
    """

    def __init__(
        self,
        database_url: str,
        *,
        settings: EngineSettings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings or EngineSettings()
        self.clock = clock or SystemClock()
        self._store = Store(database_url)
        self._scheduler = TimeoutScheduler()
        self.metrics = EngineMetrics(self._store)
        self._services = Services(
            store=self._store,
            clock=self.clock,
            settings=self.settings,
            waiters=TaskListWaiters(),
            wake_scheduler=self._scheduler.wake,
            metrics=self.metrics,
        )
        self._scheduler.bind(self._services)

    def start(self) -> None:
        """Load the request model and start the background threads: timeout
        scheduler and retention purge."""
        # Loading botocore's SWF model takes about half a second of CPU, which
        # would otherwise fall on the first requests.
        load_operation_models()
        self._scheduler.start()
        logger.info("engine started on %s", self._store.engine.url)

    def close(self) -> None:
        """Stop the threads, release waiting polls and dispose of the database."""
        self._services.waiters.close()
        self._scheduler.stop()
        self._store.close()
        logger.info("engine closed")

    def handle(
        self,
        operation: str,
        request: dict[str, Any],
        deliver: Deliver | None = None,
    ) -> dict[str, Any]:
        """Run one SWF operation on its JSON-1.0 request and return the response.

        For the two polls, ``deliver`` (when given) is called with the response
        inside the transaction that claims the task, so an exception from it
        leaves the task scheduled. For every other operation ``deliver`` is
        called after the change is committed.
        """
        _check_operation(operation)
        with self.metrics.requests.labels(operation).time():
            return self._handle(operation, request, deliver)

    def _handle(
        self, operation: str, request: dict[str, Any], deliver: Deliver | None
    ) -> dict[str, Any]:
        validate_request(operation, request)
        if operation in _POLLS:
            return _POLLS[operation](self._services, request, deliver)
        handler = _OPERATIONS.get(operation)
        if handler is None:
            raise OperationNotPermittedFault(
                f"{operation} is not supported by the vwf engine; use Amazon SWF "
                "for resource tags and Lambda tasks"
            )
        response = handler(self._services, request)
        if deliver is not None:
            deliver(response)
        return response


def _check_operation(operation: str) -> None:
    if operation not in service_model().operation_names:
        raise UnknownOperationException(
            f"{operation} is not an Amazon SWF operation; check the X-Amz-Target"
        )

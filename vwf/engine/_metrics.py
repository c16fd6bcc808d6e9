"""Prometheus metrics of one engine.

Counters and latencies are kept in memory per engine process, so they start
from zero when the process starts, as Prometheus counters may. Queue depths
and execution counts are read from the database at each scrape, so they are
the same whichever engine process serves them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from vwf.engine import _schema as t
from vwf.engine._store import Store

logger = logging.getLogger(__name__)

# Activity close events -> the outcome label of vwf_engine_activity_tasks_total.
ACTIVITY_OUTCOMES = {
    "ActivityTaskCompleted": "completed",
    "ActivityTaskFailed": "failed",
    "ActivityTaskTimedOut": "timed_out",
    "ActivityTaskCanceled": "canceled",
}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
"""Seconds; long polls fill the upper buckets while they wait for work."""


class EngineMetrics:
    """The engine's metrics in their own registry, served at ``/metrics``."""

    def __init__(self, store: Store) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "vwf_engine_request_seconds",
            "Time to answer each SWF operation; for the two polls this includes "
            "the long-poll wait, so it is the poll latency.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.activities = Counter(
            "vwf_engine_activity_tasks",
            "Activity tasks by activity type (the stage) and what happened: "
            "scheduled, started, completed, failed, timed_out or canceled.",
            ["activity_type", "outcome"],
            registry=self.registry,
        )
        self.registry.register(_StateCollector(store))

    def count_activity(self, activity_type: str, outcome: str) -> None:
        self.activities.labels(activity_type, outcome).inc()


class _StateCollector(Collector):
    """Gauges read from the database at scrape time."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            families = self._store.read(_read_state)
        except Exception:
            # A failed scrape must not disturb the engine; the gauges are left out.
            logger.exception("reading engine state for metrics failed")
            return
        yield from families


def _read_state(conn) -> list[GaugeMetricFamily]:
    tasks = GaugeMetricFamily(
        "vwf_engine_tasks",
        "Decision and activity tasks by domain, task list and status (scheduled "
        "tasks wait for a poller: the queue depth).",
        labels=["kind", "domain", "task_list", "status"],
    )
    for kind, table in (("decision", t.decision_tasks), ("activity", t.activity_tasks)):
        columns = table.c
        query = select(
            columns.domain, columns.task_list, columns.status, func.count()
        ).group_by(columns.domain, columns.task_list, columns.status)
        for domain, task_list, status, count in conn.execute(query):
            tasks.add_metric([kind, domain, task_list, status], count)

    executions = GaugeMetricFamily(
        "vwf_engine_open_executions",
        "Open workflow executions by domain and workflow type.",
        labels=["domain", "workflow_type"],
    )
    columns = t.executions.c
    query = (
        select(columns.domain, columns.type_name, func.count())
        .where(columns.is_open)
        .group_by(columns.domain, columns.type_name)
    )
    for domain, type_name, count in conn.execute(query):
        executions.add_metric([domain, type_name], count)
    return [tasks, executions]

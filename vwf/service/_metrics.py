"""Prometheus metrics of `vwf serve`: the workers' task outcomes and, read from
the SWF API at scrape time, queue depths and open executions.

The SWF API counts work the same way on every SWF service, so the queue
depth an autoscaler needs is available on AWS SWF too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from vwf.workflow import Activity, ActivityContext, WorkflowDefinition
from vwf.workflow.errors import ActivityCancelled, NonRetryableError, TryLaterError

logger = logging.getLogger(__name__)

DURATION_BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 10800)
"""Seconds; stages range from a notification (under 1 s) to long transcodes."""


class WorkerMetrics:
    """Counters and durations of the activity tasks this process runs."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.tasks = Counter(
            "vwf_activity_tasks",
            "Activity tasks run by this process's workers, by stage and outcome "
            "(started, completed, failed, non_retryable, busy, canceled).",
            ["stage", "outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            "vwf_activity_task_duration_seconds",
            "Time from the start to the end of an activity task, by stage.",
            ["stage"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )

    def instrument(self, stage: str, activity: Activity) -> Activity:
        """Return ``activity`` wrapped so each call is counted and timed."""
        return _InstrumentedActivity(stage, activity, self)


class _InstrumentedActivity:
    def __init__(self, stage: str, activity: Activity, metrics: WorkerMetrics):
        self._stage = stage
        self._activity = activity
        self._metrics = metrics

    def __call__(self, input: dict[str, Any], context: ActivityContext) -> dict:
        self._metrics.tasks.labels(self._stage, "started").inc()
        started = time.monotonic()
        outcome = "failed"
        try:
            result = self._activity(input, context)
            outcome = "completed"
            return result
        except NonRetryableError:
            outcome = "non_retryable"
            raise
        except TryLaterError:
            outcome = "busy"
            raise
        except ActivityCancelled:
            outcome = "canceled"
            raise
        finally:
            self._metrics.tasks.labels(self._stage, outcome).inc()
            self._metrics.duration.labels(self._stage).observe(
                time.monotonic() - started
            )


class SwfQueueCollector(Collector):
    """Gauges read from the SWF API at each scrape: pending decision and
    activity tasks per task list, and open executions per workflow type."""

    def __init__(self, client: Any, definitions: Sequence[WorkflowDefinition]):
        self._client = client
        self._definitions = definitions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = GaugeMetricFamily(
            "vwf_swf_pending_tasks",
            "Tasks waiting for a poller, by kind (decision or activity) and task "
            "list: the queue depth to scale workers by.",
            labels=["kind", "task_list"],
        )
        open_executions = GaugeMetricFamily(
            "vwf_swf_open_executions",
            "Open workflow executions, by workflow type.",
            labels=["workflow_type"],
        )
        try:
            self._fill(pending, open_executions)
        except Exception:
            # A scrape must not fail the service; the gauges are left out.
            logger.exception("reading SWF counts for metrics failed")
            return
        yield pending
        yield open_executions

    def _fill(
        self, pending: GaugeMetricFamily, open_executions: GaugeMetricFamily
    ) -> None:
        domain = self._definitions[0].domain
        decider_list = self._definitions[0].decider_task_list
        count = self._client.count_pending_decision_tasks(
            domain=domain, taskList={"name": decider_list}
        )["count"]
        pending.add_metric(["decision", decider_list], count)
        for task_list in _activity_task_lists(self._definitions):
            count = self._client.count_pending_activity_tasks(
                domain=domain, taskList={"name": task_list}
            )["count"]
            pending.add_metric(["activity", task_list], count)
        for definition in self._definitions:
            count = self._client.count_open_workflow_executions(
                domain=domain,
                startTimeFilter={"oldestDate": 0},
                typeFilter={"name": definition.name, "version": definition.version},
            )["count"]
            open_executions.add_metric([definition.name], count)


class RegistryCollector(Collector):
    """Every metric of another registry, e.g. the embedded engine's."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self._registry.collect()


def _activity_task_lists(definitions: Iterable[WorkflowDefinition]) -> list[str]:
    names = {stage.task_list for d in definitions for stage in d.stages}
    return sorted(names)

"""Metrics of `vwf serve`: task counts from the workers, queue depth from SWF."""

from __future__ import annotations

import threading
import urllib.request
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from vwf.service import PipelineService, ServeOptions
from vwf.service._metrics import WorkerMetrics
from vwf.workflow import ActivityContext
from vwf.workflow.errors import NonRetryableError


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_instrumented_activity_counts_outcomes():
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry)

    def flaky(input, context):
        if input.get("bad"):
            raise NonRetryableError("bad input")
        return {}

    activity = metrics.instrument("Transcode", flaky)
    activity({}, ActivityContext.detached())
    with pytest.raises(NonRetryableError):
        activity({"bad": True}, ActivityContext.detached())

    def value(outcome):
        return registry.get_sample_value(
            "vwf_activity_tasks_total", {"stage": "Transcode", "outcome": outcome}
        )

    assert value("started") == 2
    assert value("completed") == 1
    assert value("non_retryable") == 1


@pytest.fixture
def service(settings):
    options = ServeOptions(port=0, metrics_port=0, grace=timedelta(0))
    service = PipelineService(settings, options)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,))
    thread.start()
    while service.metrics_url is None and thread.is_alive():
        stop.wait(0.1)
    yield service
    stop.set()
    thread.join(timeout=60)


def test_serve_metrics_show_queue_depth(service):
    with urllib.request.urlopen(service.metrics_url, timeout=10) as response:
        samples = _samples(response.read().decode())

    key = ("vwf_swf_pending_tasks", (("kind", "activity"), ("task_list", "Transcode")))
    assert samples[key] == 0
    decider = ("kind", "decision"), ("task_list", "VideoProcessing")
    assert samples[("vwf_swf_pending_tasks", decider)] == 0
    open_key = ("vwf_swf_open_executions", (("workflow_type", "VideoProcessing"),))
    assert samples[open_key] == 0

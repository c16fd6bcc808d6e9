"""`vwf canary` against a PipelineService running in this process."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest

from vwf.library import Library, Media
from vwf.service import PipelineService, ServeOptions
from vwf.service._canary import run_canary


@pytest.fixture
def running_service(settings):
    service = PipelineService(settings, ServeOptions(port=0, grace=timedelta(0)))
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,))
    thread.start()
    while service.url is None and thread.is_alive():
        stop.wait(0.1)
    yield service
    stop.set()
    thread.join(timeout=60)


def _media_count(settings) -> int:
    library = Library(settings.library_url)
    try:
        with library.session() as session:
            return session.query(Media).count()
    finally:
        library.dispose()


def test_canary_completes_and_cleans_up(settings, running_service):
    remote = dataclasses.replace(settings, swf_endpoint=running_service.url)

    report = run_canary(remote, timeout=timedelta(minutes=3))

    assert report.ok, report
    assert report.close_status == "COMPLETED"
    assert [stage.status for stage in report.stages] == ["completed"] * 4
    assert _media_count(settings) == 0


def test_canary_without_workers_reports_timeout(settings):
    report = run_canary(settings, timeout=timedelta(seconds=2))

    assert report.ok is False
    assert report.close_status is None
    assert "did not close within" in report.reason

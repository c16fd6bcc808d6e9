"""`vwf serve`: the engine, the decider, every stage's workers and the
scheduled jobs of one host, in one process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from vwf.config import Settings
from vwf.library import Library
from vwf.notify import notifier_from_settings
from vwf.pipeline._registry import STAGE_FACTORIES
from vwf.pipeline._runtime import build_decider, build_worker, pipeline_definitions
from vwf.service._metrics import RegistryCollector, SwfQueueCollector, WorkerMetrics
from vwf.service._reconcile import reconcile
from vwf.workflow import ActivityWorker, open_swf_client, register

logger = logging.getLogger(__name__)

RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class ServeOptions:
    """Options of one `vwf serve` process."""

    host: str = "127.0.0.1"
    port: int = 8765
    """Port of the engine's HTTP server; ``0`` picks a free one."""
    credentials: Mapping[str, str] | None = None
    """Access keys clients must sign with; required off loopback."""
    concurrency: Mapping[str, int] = field(default_factory=dict)
    """Tasks run at once per stage; stages not named get 1."""
    orphan_interval: timedelta = timedelta(hours=6)
    orphan_older_than: timedelta = timedelta(hours=72)
    sweep_interval: timedelta = timedelta(minutes=1)
    """How often failed videos are checked for a pending failure notice."""
    reconcile_interval: timedelta = timedelta(minutes=10)
    """How often executions that closed without the decider are reconciled."""
    grace: timedelta = timedelta(seconds=30)
    """Time running tasks get to finish on SIGTERM."""
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    """Port of the Prometheus metrics endpoint; ``None`` serves none."""


class PipelineService:
    """Everything `vwf serve` runs, started and stopped together.

    With ``swf_endpoint`` unset, the engine runs embedded on
    ``database_url`` and is also served over HTTP, so `vwf submit` and other
    hosts can reach it. With an endpoint set (another engine or AWS SWF),
    only the decider, the workers and the jobs run here.
    """

    def __init__(
        self,
        settings: Settings,
        options: ServeOptions = ServeOptions(),
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.options = options
        self._clock = clock
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._workers: list[ActivityWorker] = []
        self._closers: list[Callable[[], None]] = []
        self._registry = CollectorRegistry()
        self._worker_metrics = WorkerMetrics(self._registry)
        self.url: str | None = None
        """URL of the engine's HTTP server, when this process serves one."""
        self.metrics_url: str | None = None
        """URL of the Prometheus metrics endpoint, when one is served."""

    def start(self) -> None:
        """Open the engine and start every component in background threads."""
        self.settings.home.mkdir(parents=True, exist_ok=True)
        library = Library(self.settings.library_url)
        library.migrate()
        self._closers.append(library.dispose)
        client = self._open_client()
        for definition in pipeline_definitions(self.settings):
            register(client, definition, RETENTION)
        self._start_decider(client, library)
        self._start_workers(client)
        self._start_jobs(client, library)
        self._start_metrics(client)
        logger.info("service started: stages %s", sorted(STAGE_FACTORIES))

    def stop(self) -> None:
        """Stop polling, let running tasks finish within the grace period, and
        close the engine."""
        logger.info("service stopping")
        self._stop.set()
        for worker in self._workers:
            worker.shutdown(self.options.grace)
        for close in reversed(self._closers):
            close()
        for thread in self._threads:
            thread.join(timeout=10)
        logger.info("service stopped")

    def run(self, stop: threading.Event) -> None:
        """Start, serve until ``stop`` is set, then stop."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()

    def _open_client(self) -> Any:
        if self.settings.swf_endpoint:
            connection = open_swf_client(self.settings)
            self._closers.append(connection.close)
            return connection.client
        return self._serve_embedded_engine()

    def _serve_embedded_engine(self) -> Any:
        from vwf.engine import Engine, connect
        from vwf.engine.http import EngineServer

        engine = Engine(self.settings.database_url)
        engine.start()
        self._closers.append(engine.close)
        self._registry.register(RegistryCollector(engine.metrics.registry))
        server = EngineServer(
            engine,
            host=self.options.host,
            port=self.options.port,
            credentials=self.options.credentials,
        )
        server.start()
        self._closers.append(server.stop)
        self.url = server.url
        return connect(engine)

    def _start_decider(self, client: Any, library: Library) -> None:
        decider = build_decider(self.settings, client, library=library)
        self._spawn("decider", decider.run, self._stop)

    def _start_workers(self, client: Any) -> None:
        for stage in STAGE_FACTORIES:
            concurrency = self.options.concurrency.get(stage, 1)
            if concurrency < 1:
                continue
            worker = build_worker(
                self.settings,
                client,
                [stage],
                concurrency=concurrency,
                instrument=self._worker_metrics.instrument,
            )
            worker.start()
            self._workers.append(worker)

    def _start_jobs(self, client: Any, library: Library) -> None:
        jobs = ScheduledJobs(self.settings, client, library, self.options, self._clock)
        self._spawn("scheduled-jobs", jobs.run, self._stop)

    def _start_metrics(self, client: Any) -> None:
        if self.options.metrics_port is None:
            return
        definitions = pipeline_definitions(self.settings)
        self._registry.register(SwfQueueCollector(client, definitions))
        server, _ = start_http_server(
            self.options.metrics_port,
            addr=self.options.metrics_host,
            registry=self._registry,
        )
        self._closers.append(server.shutdown)
        host, port = server.server_address[:2]
        self.metrics_url = f"http://{host}:{port}/metrics"
        logger.info("metrics at %s", self.metrics_url)

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)


class ScheduledJobs:
    """The periodic jobs of the service: orphan faces, failure notices and the
    reconciler."""

    def __init__(
        self,
        settings: Settings,
        client: Any,
        library: Library,
        options: ServeOptions,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        from vwf.faces import OrphanFacesSchedule, run_orphan_faces

        self._clock = clock
        notifier = notifier_from_settings(settings, library)
        self._orphans = OrphanFacesSchedule(
            options.orphan_interval,
            lambda now: run_orphan_faces(
                settings, options.orphan_older_than, now=now, library=library
            ),
        )
        self._periodic = [
            _Periodic(
                "failure notices",
                options.sweep_interval,
                lambda now: notifier.notify_failures(),
            ),
            _Periodic(
                "reconciler",
                options.reconcile_interval,
                lambda now: reconcile(client, library, settings.domain, now=now),
            ),
        ]

    def run(self, stop: threading.Event) -> None:
        """Run due jobs until ``stop`` is set, checking every few seconds."""
        while not stop.is_set():
            self.run_pending(self._clock())
            stop.wait(5.0)

    def run_pending(self, now: datetime) -> None:
        """Run every job that is due at ``now``."""
        self._orphans.run_pending(now)
        for job in self._periodic:
            job.run_pending(now)


class _Periodic:
    def __init__(
        self, name: str, interval: timedelta, job: Callable[[datetime], object]
    ) -> None:
        self._name = name
        self._interval = interval
        self._job = job
        self._next_run: datetime | None = None

    def run_pending(self, now: datetime) -> None:
        if self._next_run is not None and now < self._next_run:
            return
        self._next_run = now + self._interval
        try:
            self._job(now)
        except Exception:
            logger.exception(
                "%s job failed; next run at %s", self._name, self._next_run
            )

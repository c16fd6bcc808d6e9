"""The plan of the long-running processes of one host."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from vwf.errors import ConfigError


@dataclass(frozen=True)
class Program:
    """One kind of long-running process, started ``count`` times."""

    name: str
    """Short name, e.g. ``decider`` or ``worker-FaceDetect``."""
    args: tuple[str, ...]
    count: int = 1
    stop_timeout: timedelta = timedelta(seconds=30)
    """How long the supervisor waits after SIGTERM before it kills."""

    @property
    def command(self) -> str:
        return shlex.join(self.args)


@dataclass(frozen=True)
class HostPlan:
    """The processes of one host and what they share."""

    programs: tuple[Program, ...]
    environment: Mapping[str, str] = field(default_factory=dict)
    log_dir: Path = Path("/var/log/vwf")
    working_dir: Path = Path("/")
    user: str | None = None


def plan_host(
    stages: Mapping[str, int],
    *,
    engine: bool,
    engine_port: int = 8765,
    scheduler: bool = True,
    deciders: int = 1,
    grace: timedelta = timedelta(seconds=30),
    executable: str | None = None,
    environment: Mapping[str, str] | None = None,
    log_dir: Path = Path("/var/log/vwf"),
    user: str | None = None,
) -> HostPlan:
    """Plan a host that runs ``stages`` (stage -> worker processes), optionally
    the engine's HTTP server, ``deciders`` deciders and the scheduled jobs."""
    vwf = executable or _vwf_executable()
    programs = []
    if engine:
        args = (vwf, "engine", "serve", "--port", str(engine_port))
        programs.append(Program("engine", args))
    if deciders:
        programs.append(Program("decider", (vwf, "decider"), count=deciders))
    programs += _worker_programs(vwf, stages, grace)
    if scheduler:
        programs.append(Program("scheduler", (vwf, "scheduler")))

    environment = dict(environment if environment is not None else _vwf_env())
    if engine:
        # Every other process reaches the engine through its HTTP server.
        environment.setdefault("VWF_SWF_ENDPOINT", f"http://127.0.0.1:{engine_port}")
    return HostPlan(
        programs=tuple(programs),
        environment=environment,
        log_dir=log_dir,
        user=user,
    )


def _worker_programs(
    vwf: str, stages: Mapping[str, int], grace: timedelta
) -> list[Program]:
    # The supervisor kills a worker only after its grace period and a margin.
    stop_timeout = grace + timedelta(seconds=15)
    programs = []
    for stage, count in stages.items():
        if count < 0:
            raise ConfigError(
                f"invalid worker count {count} for {stage}: use 0 or more"
            )
        if count:
            args = (vwf, "worker", stage, "--grace", f"{grace.total_seconds():g}")
            programs.append(
                Program(f"worker-{stage}", args, count=count, stop_timeout=stop_timeout)
            )
    return programs


def _vwf_executable() -> str:
    return str(Path(sys.executable).with_name("vwf"))


def _vwf_env() -> dict[str, str]:
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith("VWF_")}

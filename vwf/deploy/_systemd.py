"""systemd units for a :class:`HostPlan`: one template unit per program, so
``vwf-worker-FaceDetect@1`` .. ``@N`` are N worker processes."""

from __future__ import annotations

import shlex
from pathlib import Path

from vwf.deploy._plan import HostPlan, Program

TARGET = "vwf.target"
ENVIRONMENT_FILE = "vwf.env"
DEFAULT_ENVIRONMENT_PATH = Path("/etc/vwf") / ENVIRONMENT_FILE


def render_systemd(
    plan: HostPlan, environment_path: Path = DEFAULT_ENVIRONMENT_PATH
) -> dict[str, str]:
    """Return file name -> content: a template unit per program, ``vwf.target``
    that wants every instance (``systemctl enable --now vwf.target`` starts the
    host), and ``vwf.env`` with the environment, to install at
    ``environment_path`` readable by root only because it may hold secrets."""
    units = {
        f"vwf-{p.name}@.service": _unit(plan, p, environment_path)
        for p in plan.programs
    }
    instances = [
        f"vwf-{program.name}@{number}.service"
        for program in plan.programs
        for number in range(1, program.count + 1)
    ]
    units[TARGET] = _target(instances)
    units[ENVIRONMENT_FILE] = "".join(
        f"{key}={shlex.quote(value)}\n" for key, value in plan.environment.items()
    )
    return units


def _unit(plan: HostPlan, program: Program, environment_path: Path) -> str:
    lines = [
        "[Unit]",
        f"Description=vwf {program.name} %i",
        "After=network-online.target",
        "Wants=network-online.target",
        f"PartOf={TARGET}",
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={program.command}",
        f"WorkingDirectory={plan.working_dir}",
        "Restart=always",
        "RestartSec=5",
        "KillSignal=SIGTERM",
        "KillMode=mixed",
        f"TimeoutStopSec={int(program.stop_timeout.total_seconds())}",
        f"StandardOutput=append:{plan.log_dir}/vwf-{program.name}-%i.log",
        "StandardError=inherit",
        f"EnvironmentFile={environment_path}",
    ]
    if plan.user:
        lines.append(f"User={plan.user}")
    lines += ["", "[Install]", f"WantedBy={TARGET}", ""]
    return "\n".join(lines)


def _target(instances: list[str]) -> str:
    return "\n".join(
        [
            "[Unit]",
            "Description=vwf video pipeline",
            f"Wants={' '.join(instances)}",
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
    )

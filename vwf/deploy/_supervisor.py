"""supervisord configuration for a :class:`HostPlan`."""

from __future__ import annotations

import configparser
import io

from vwf.deploy._plan import HostPlan, Program


def render_supervisor(plan: HostPlan, *, standalone: bool = False) -> str:
    """Return an INI file with one ``[program:vwf-...]`` section per program.

    With ``standalone`` the file also configures supervisord itself (pid file,
    log and a socket under ``plan.log_dir``), so ``supervisord -c FILE`` runs it.
    """
    config = configparser.RawConfigParser()
    config.optionxform = str  # keep the case of keys
    if standalone:
        _add_supervisord(config, plan)
    names = []
    for program in plan.programs:
        name = f"vwf-{program.name}"
        config[f"program:{name}"] = _program(plan, program, name)
        names.append(name)
    config["group:vwf"] = {"programs": ",".join(names)}
    buffer = io.StringIO()
    config.write(buffer)
    return buffer.getvalue()


def _program(plan: HostPlan, program: Program, name: str) -> dict[str, str]:
    section = {
        "command": program.command,
        "process_name": "%(program_name)s-%(process_num)d",
        "numprocs": str(program.count),
        "directory": str(plan.working_dir),
        "autostart": "true",
        "autorestart": "true",
        "startsecs": "5",
        "startretries": "10",
        "stopsignal": "TERM",
        "stopwaitsecs": str(int(program.stop_timeout.total_seconds())),
        "stopasgroup": "true",
        "killasgroup": "true",
        "redirect_stderr": "true",
        "stdout_logfile": str(plan.log_dir / f"{name}-%(process_num)d.log"),
        "stdout_logfile_maxbytes": "50MB",
        "stdout_logfile_backups": "5",
    }
    if plan.environment:
        section["environment"] = ",".join(
            f'{key}="{_escape(value)}"' for key, value in plan.environment.items()
        )
    if plan.user:
        section["user"] = plan.user
    return section


def _add_supervisord(config: configparser.RawConfigParser, plan: HostPlan) -> None:
    socket = plan.log_dir / "supervisor.sock"
    config["unix_http_server"] = {"file": str(socket)}
    config["supervisord"] = {
        "logfile": str(plan.log_dir / "supervisord.log"),
        "pidfile": str(plan.log_dir / "supervisord.pid"),
        "nodaemon": "true",
    }
    config["rpcinterface:supervisor"] = {
        "supervisor.rpcinterface_factory": (
            "supervisor.rpcinterface:make_main_rpcinterface"
        )
    }
    config["supervisorctl"] = {"serverurl": f"unix://{socket}"}


def _escape(value: str) -> str:
    # supervisor expands %(name)s in values and reads "..." as quoting.
    return value.replace("%", "%%").replace('"', '\\"')

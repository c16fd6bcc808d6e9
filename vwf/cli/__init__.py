"""The ``vwf`` command line.

Subcommands live in private modules and load on first use, so ``vwf --help``
stays fast and no model or database is touched at import.
"""

from __future__ import annotations

import importlib

import click

from vwf.cli._logging import configure_logging

# command name -> "module:attribute" of a click command or group.
_COMMANDS = {
    "engine": "vwf.cli._engine:engine",
    "register": "vwf.cli._workflow:register",
    "decider": "vwf.cli._workflow:decider",
    "worker": "vwf.cli._workflow:worker",
    "submit": "vwf.cli._media:submit",
    "people": "vwf.cli._people:people",
    "orphan-faces": "vwf.cli._people:orphan_faces",
    "demo": "vwf.cli._process:demo",
    "process": "vwf.cli._process:process",
    "serve": "vwf.cli._serve:serve",
    "status": "vwf.cli._executions:status",
    "list": "vwf.cli._executions:list_command",
    "history": "vwf.cli._executions:history",
    "cancel": "vwf.cli._executions:cancel",
    "retry": "vwf.cli._executions:retry",
    "reconcile": "vwf.cli._executions:reconcile",
    "canary": "vwf.cli._executions:canary",
    "deploy": "vwf.cli._deploy:deploy",
    "scheduler": "vwf.cli._deploy:scheduler",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None or name not in _COMMANDS:
            return command
        module_name, attribute = _COMMANDS[name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        return getattr(module, attribute)


# Long-running commands log their work at INFO by default; the others only
# print their output and warnings.
_SERVICES = {"serve", "engine", "decider", "worker", "scheduler"}


@click.group(cls=_LazyGroup)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Lowest level of log records to print. [default: INFO for serve, engine, "
    "decider and worker; WARNING otherwise]",
)
@click.option(
    "--log-format",
    default="text",
    show_default=True,
    type=click.Choice(["text", "json"]),
    help="Log record format on standard error.",
)
@click.version_option(package_name="vwf")
@click.pass_context
def main(ctx: click.Context, log_level: str | None, log_format: str) -> None:
    """Turn home videos into something you can browse by person."""
    if log_level is None:
        log_level = "INFO" if ctx.invoked_subcommand in _SERVICES else "WARNING"
    configure_logging(level=log_level.upper(), json_format=log_format == "json")

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
    "demo": "vwf.cli._demo:demo",
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


@click.group(cls=_LazyGroup)
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Lowest level of log records to print.",
)
@click.option(
    "--log-format",
    default="text",
    show_default=True,
    type=click.Choice(["text", "json"]),
    help="Log record format on standard error.",
)
@click.version_option(package_name="vwf")
def main(log_level: str, log_format: str) -> None:
    """Turn home videos into something you can browse by person."""
    configure_logging(level=log_level.upper(), json_format=log_format == "json")

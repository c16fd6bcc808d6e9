"""``vwf engine``: run the workflow engine as an HTTP service."""

from __future__ import annotations

import logging
import os
import signal
from datetime import timedelta
from pathlib import Path

import click

from vwf.cli._params import DURATION
from vwf.errors import VwfError

logger = logging.getLogger(__name__)

ACCESS_KEYS_VARIABLE = "VWF_ENGINE_ACCESS_KEYS"


@click.group()
def engine() -> None:
    """Run vwf's SWF-compatible workflow engine."""


@engine.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Any address other than loopback needs access keys.",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port to listen on; 0 picks a free port.",
)
@click.option(
    "--database",
    "database_url",
    metavar="URL",
    help=(
        "SQLAlchemy URL of the engine database, e.g. sqlite:////srv/vwf/engine.db "
        "or postgresql+psycopg://user@host/vwf. [default: database_url of the vwf "
        "settings, $VWF_HOME/engine.db]"
    ),
)
@click.option(
    "--access-key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help=(
        "File of access keys that clients sign requests with (AWS Signature "
        "Version 4), one 'ACCESS_KEY_ID SECRET_KEY' pair per line; lines starting "
        f"with '#' are ignored. {ACCESS_KEYS_VARIABLE} may instead hold "
        "comma-separated 'ACCESS_KEY_ID SECRET_KEY' pairs. Without keys the "
        "server checks no signatures and listens on loopback only."
    ),
)
@click.option(
    "--metrics-port",
    default=9766,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port of the Prometheus metrics endpoint on loopback; 0 serves none.",
)
@click.option(
    "--read-timeout",
    type=DURATION,
    default="60s",
    show_default=True,
    help="Time a client has to send one whole request before it gets a 408.",
)
@click.option(
    "--idle-timeout",
    type=DURATION,
    default="75s",
    show_default=True,
    help="Time an idle keep-alive connection stays open between requests.",
)
def serve(
    host: str,
    port: int,
    database_url: str | None,
    access_key_file: Path | None,
    metrics_port: int,
    read_timeout: timedelta,
    idle_timeout: timedelta,
) -> None:
    """Serve the engine to SWF clients (boto3, vwf deciders and workers) over
    HTTP until SIGTERM or SIGINT."""
    from vwf.config import load_settings
    from vwf.engine.http import EngineServer

    _check_positive("--read-timeout", read_timeout)
    _check_positive("--idle-timeout", idle_timeout)
    try:
        settings = load_settings(database_url=database_url)
        credentials = _load_credentials(access_key_file)
        engine = _open_engine(settings.database_url)
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc

    try:
        server = EngineServer(
            engine,
            host=host,
            port=port,
            credentials=credentials,
            read_timeout=read_timeout,
            idle_timeout=idle_timeout,
        )
    except (VwfError, OSError) as exc:
        engine.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc

    metrics_server = _serve_metrics(engine, metrics_port) if metrics_port else None
    _stop_on_signals(server)
    try:
        server.serve_forever()
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
        engine.close()
        logger.info("engine stopped")


def _check_positive(option: str, duration: timedelta) -> None:
    if duration <= timedelta(0):
        raise click.BadParameter(
            "must be longer than 0s, e.g. 30s", param_hint=f"'{option}'"
        )


def _serve_metrics(engine, port: int):
    from prometheus_client import start_http_server

    try:
        metrics_server, _ = start_http_server(
            port, addr="127.0.0.1", registry=engine.metrics.registry
        )
    except OSError as exc:
        engine.close()
        raise click.ClickException(
            f"cannot serve metrics on 127.0.0.1:{port}: {exc}; pass another "
            "--metrics-port, or 0 for none"
        ) from exc
    logger.info("engine metrics at http://127.0.0.1:%d/metrics", port)
    return metrics_server


def _load_credentials(path: Path | None) -> dict[str, str] | None:
    from vwf.engine.http import parse_access_keys, read_access_keys

    if path is not None:
        return read_access_keys(path)
    value = os.environ.get(ACCESS_KEYS_VARIABLE)
    if value:
        return parse_access_keys(value.replace(",", "\n"), source=ACCESS_KEYS_VARIABLE)
    return None


def _open_engine(database_url: str):
    import sqlalchemy

    from vwf.engine import Engine

    shown_url = _hide_password(database_url)
    _create_sqlite_directory(database_url)
    try:
        engine = Engine(database_url)
        engine.start()
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise _database_error(shown_url, exc) from exc
    except VwfError as exc:
        raise _database_error(shown_url, exc) from exc
    logger.info("engine database %s", shown_url)
    return engine


def _database_error(shown_url: str, exc: Exception) -> VwfError:
    return VwfError(
        f"cannot open engine database {shown_url}: {exc}; pass --database with "
        "a SQLAlchemy URL such as sqlite:////path/engine.db or "
        "postgresql+psycopg://user@host/dbname"
    )


def _hide_password(database_url: str) -> str:
    import sqlalchemy

    try:
        url = sqlalchemy.engine.make_url(database_url)
    except sqlalchemy.exc.ArgumentError:
        return repr(database_url)
    return url.render_as_string(hide_password=True)


def _create_sqlite_directory(database_url: str) -> None:
    import sqlalchemy

    try:
        url = sqlalchemy.engine.make_url(database_url)
    except sqlalchemy.exc.ArgumentError as exc:
        raise _database_error(repr(database_url), exc) from exc
    if url.get_backend_name() == "sqlite" and url.database not in (
        None,
        "",
        ":memory:",
    ):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _stop_on_signals(server) -> None:
    def handle(signal_number: int, frame) -> None:
        logger.info("received %s, stopping", signal.Signals(signal_number).name)
        server.stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)

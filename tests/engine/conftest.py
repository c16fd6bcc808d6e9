"""The conformance fixtures: one SWF client per transport and database.

Every test that takes ``swf`` runs through the in-process client and through
stock boto3 over HTTP on SQLite, and through the in-process client on
PostgreSQL. Tests that need a second client on the same engine take
``engine`` and call :func:`make_client`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import boto3
import pytest
from botocore.config import Config

from vwf.engine import Engine, EngineSettings, connect
from vwf.engine.http import EngineServer

# Short long-polls keep tests that expect an empty poll quick.
TEST_SETTINGS = EngineSettings(long_poll_timeout=timedelta(seconds=2))


@dataclass
class Harness:
    engine: Engine
    transport: str
    server: EngineServer | None = None

    def client(self):
        return make_client(self)


def make_client(harness: Harness):
    """A new SWF client on ``harness``'s engine, over its transport."""
    if harness.transport == "inprocess":
        return connect(harness.engine)
    return boto3.client(
        "swf",
        endpoint_url=harness.server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=70),
    )


@pytest.fixture(
    params=[
        ("inprocess", "sqlite"),
        ("http", "sqlite"),
        pytest.param(("inprocess", "postgres"), marks=pytest.mark.postgres),
    ],
    ids=["inprocess-sqlite", "http-sqlite", "inprocess-postgres"],
)
def harness(request, tmp_path) -> Iterator[Harness]:
    transport, database = request.param
    if database == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'engine.db'}"
    engine = Engine(url, settings=TEST_SETTINGS)
    engine.start()
    server = None
    if transport == "http":
        server = EngineServer(engine, host="127.0.0.1", port=0)
        server.start()
    try:
        yield Harness(engine=engine, transport=transport, server=server)
    finally:
        if server is not None:
            server.stop()
        engine.close()


@pytest.fixture
def engine(harness: Harness) -> Engine:
    return harness.engine


@pytest.fixture
def swf(harness: Harness):
    """A boto3-shaped SWF client on a fresh engine."""
    return make_client(harness)


@pytest.fixture
def local_swf(tmp_path):
    """An in-process client on a fresh SQLite engine, for checks that do not
    depend on the transport or database (request validation tables)."""
    engine = Engine(f"sqlite:///{tmp_path / 'local.db'}", settings=TEST_SETTINGS)
    engine.start()
    try:
        yield connect(engine)
    finally:
        engine.close()

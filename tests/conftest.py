"""Fixtures shared by every test package: real databases and real media."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from tests.ports import free_port

pytest_plugins = ["tests.notify.fixtures"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get("VWF_SHARED_DATA", REPO_ROOT.parent / "shared" / "data")
)
POSTGRES_URL = os.environ.get(
    "VWF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real photos and videos beside the repository; skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real media not found at {SHARED_DATA}")
    return SHARED_DATA


def _postgres_admin() -> sqlalchemy.Engine:
    return sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_available() -> None:
    try:
        with _postgres_admin().connect() as connection:
            connection.execute(sqlalchemy.text("select 1"))
    except sqlalchemy.exc.OperationalError as exc:
        if os.environ.get("CI"):
            raise RuntimeError(
                f"PostgreSQL at {POSTGRES_URL} is not reachable in CI"
            ) from exc
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc}")


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"vwf_test_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'create database "{name}"'))
    url = sqlalchemy.engine.make_url(POSTGRES_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(
            sqlalchemy.text(f'drop database if exists "{name}" with (force)')
        )
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a new SQLite database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def vwf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory set as ``VWF_HOME`` for the test."""
    home = tmp_path / "vwf-home"
    home.mkdir()
    monkeypatch.setenv("VWF_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("VWF_") and key not in ("VWF_HOME", "VWF_SHARED_DATA"):
            monkeypatch.delenv(key)
    return home


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """URL of a moto server (fake AWS) on loopback, with fake credentials set."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "moto_server"),
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in _FAKE_AWS_ENV}
    os.environ.update(_FAKE_AWS_ENV)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> str:
    """Name of a new, empty bucket on the moto server."""
    import boto3

    name = f"vwf-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket=name)
    return name

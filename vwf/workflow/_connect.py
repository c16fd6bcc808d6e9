"""Open the SWF client a deployment's settings describe."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from vwf._network import is_loopback_host
from vwf.config import Settings

logger = logging.getLogger(__name__)

AWS = "aws"
"""``swf_endpoint`` value that means Amazon SWF itself."""


@dataclass
class SwfConnection:
    """An SWF client and whatever must be closed with it."""

    client: Any
    _close: Callable[[], None] = field(default=lambda: None, repr=False)

    def close(self) -> None:
        self._close()

    def __enter__(self) -> SwfConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_swf_client(settings: Settings) -> SwfConnection:
    """Open an SWF client for ``settings``.

    Without ``swf_endpoint`` the embedded engine runs on ``database_url`` in
    this process. The value ``"aws"`` means Amazon SWF in ``swf_region``.
    Any other value is the URL of an SWF-compatible endpoint such as
    ``vwf engine serve``. A loopback endpoint gets dummy credentials when
    the usual AWS credential chain finds none.
    """
    endpoint = settings.swf_endpoint
    if not endpoint:
        return _open_embedded(settings)
    if endpoint == AWS:
        logger.info("using Amazon SWF in %s", settings.swf_region)
        return SwfConnection(boto3.client("swf", region_name=settings.swf_region))
    logger.info("using the SWF endpoint %s", endpoint)
    return SwfConnection(_endpoint_client(endpoint, settings.swf_region))


def _endpoint_client(endpoint: str, region: str) -> Any:
    session = boto3.session.Session()
    credentials: dict[str, str] = {}
    host = urlsplit(endpoint).hostname or ""
    if session.get_credentials() is None and is_loopback_host(host):
        credentials = {"aws_access_key_id": "vwf", "aws_secret_access_key": "vwf"}
    return session.client(
        "swf", endpoint_url=endpoint, region_name=region, **credentials
    )


def _open_embedded(settings: Settings) -> SwfConnection:
    # Imported here so that remote deployments never load the engine.
    from vwf.engine import Engine, connect

    _create_sqlite_directory(settings.database_url)
    engine = Engine(settings.database_url)
    engine.start()
    logger.info("using the embedded engine on %s", settings.database_url)
    return SwfConnection(connect(engine), engine.close)


def _create_sqlite_directory(database_url: str) -> None:
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and database_url != prefix + ":memory:":
        Path(database_url.removeprefix(prefix)).parent.mkdir(
            parents=True, exist_ok=True
        )

"""SWF's JSON 1.0 protocol over HTTP, so stock SWF clients can use the engine.

::

    server = EngineServer(engine, host="127.0.0.1", port=0)
    server.start()
    swf = boto3.client("swf", endpoint_url=server.url, region_name="us-east-1")
"""

from vwf.engine.http._credentials import parse_access_keys, read_access_keys
from vwf.engine.http._server import EngineServer
from vwf.engine.http.errors import (
    AuthenticationError,
    EngineHttpError,
    InsecureListenError,
)

__all__ = [
    "AuthenticationError",
    "EngineHttpError",
    "EngineServer",
    "InsecureListenError",
    "parse_access_keys",
    "read_access_keys",
]

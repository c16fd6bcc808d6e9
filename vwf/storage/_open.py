"""Open a blob store from its URL."""

from __future__ import annotations

import os
import urllib.parse
import urllib.request

from vwf.storage._base import BlobStore
from vwf.storage.errors import InvalidStoreURLError


def open_store(
    url: str, *, endpoint_url: str | None = None, region: str | None = None
) -> BlobStore:
    """Return the store named by ``url``: ``file:///dir`` or ``s3://bucket/prefix``.

    For S3, ``endpoint_url`` and ``region`` default to the environment
    variables ``VWF_S3_ENDPOINT`` and ``VWF_S3_REGION``, then to boto3's own
    configuration. Nothing connects until the first request.
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "file":
        return _open_local(url, parsed)
    if parsed.scheme == "s3":
        return _open_s3(url, parsed, endpoint_url, region)
    raise InvalidStoreURLError(
        f"invalid storage URL {url!r}: use file:///path or s3://bucket/prefix"
    )


def _open_local(url: str, parsed: urllib.parse.SplitResult) -> BlobStore:
    from vwf.storage._local import LocalBlobStore

    if parsed.netloc not in ("", "localhost") or not parsed.path.startswith("/"):
        raise InvalidStoreURLError(
            f"invalid storage URL {url!r}: a file URL needs an absolute path, "
            "e.g. file:///var/lib/vwf/media"
        )
    return LocalBlobStore(urllib.request.url2pathname(parsed.path))


def _open_s3(
    url: str,
    parsed: urllib.parse.SplitResult,
    endpoint_url: str | None,
    region: str | None,
) -> BlobStore:
    from vwf.storage._s3 import S3BlobStore

    if not parsed.netloc:
        raise InvalidStoreURLError(
            f"invalid storage URL {url!r}: name the bucket, e.g. s3://my-bucket/vwf"
        )
    return S3BlobStore(
        parsed.netloc,
        parsed.path.strip("/"),
        endpoint_url=endpoint_url or os.environ.get("VWF_S3_ENDPOINT") or None,
        region=region or os.environ.get("VWF_S3_REGION") or None,
    )

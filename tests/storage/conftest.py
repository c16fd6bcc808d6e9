"""A blob store on local disk and one on moto's S3 server."""

from __future__ import annotations

from pathlib import Path

import pytest

from vwf.storage import BlobStore, LocalBlobStore, open_store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "s3":
        bucket = request.getfixturevalue("s3_bucket")
        endpoint = request.getfixturevalue("moto_endpoint")
        return open_store(f"s3://{bucket}/root", endpoint_url=endpoint)
    return LocalBlobStore(tmp_path / "blobs")

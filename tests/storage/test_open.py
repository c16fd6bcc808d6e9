from __future__ import annotations

from pathlib import Path

import pytest

from vwf.storage import InvalidStoreURLError, LocalBlobStore, S3BlobStore, open_store


def test_open_file_url(tmp_path: Path) -> None:
    store = open_store(tmp_path.as_uri())

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path


def test_open_s3_url() -> None:
    store = open_store("s3://bucket/some/prefix/", endpoint_url="http://127.0.0.1:1")

    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("bucket", "some/prefix")


@pytest.mark.parametrize("url", ["http://x/y", "file://host/dir", "s3:///k", "dir"])
def test_open_invalid_url_raises(url: str) -> None:
    with pytest.raises(InvalidStoreURLError, match="invalid storage URL"):
        open_store(url)

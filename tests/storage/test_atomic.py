"""A writer killed with SIGKILL mid-write leaves no partial blob."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vwf.storage import LocalBlobStore, open_store

_WRITER = """
import sys
from vwf.storage import open_store
url, key, source, endpoint = sys.argv[1:]
open_store(url, endpoint_url=endpoint or None).put_file(key, source)
"""


def _start_writer(url: str, key: str, source: Path, endpoint: str = ""):
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, url, key, str(source), endpoint],
        stderr=subprocess.PIPE,
    )


def _kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_local_kill_mid_write_leaves_no_blob(tmp_path: Path) -> None:
    fifo = tmp_path / "slow-source"
    os.mkfifo(fifo)
    root = tmp_path / "blobs"
    writer = _start_writer(root.as_uri(), "users/u/video.mp4", fifo)

    # The writer blocks on the FIFO, so it is certainly mid-write when killed.
    with open(fifo, "wb") as feed:
        feed.write(b"x" * 4_000_000)
        feed.flush()
        time.sleep(0.5)
        _kill(writer)

    store = LocalBlobStore(root)
    assert not store.exists("users/u/video.mp4")
    assert store.list() == []


def test_local_kill_keeps_previous_blob(tmp_path: Path) -> None:
    fifo = tmp_path / "slow-source"
    os.mkfifo(fifo)
    store = LocalBlobStore(tmp_path / "blobs")
    store.put_bytes("k", b"previous")
    writer = _start_writer(store.root.as_uri(), "k", fifo)

    with open(fifo, "wb") as feed:
        feed.write(b"y" * 1_000_000)
        feed.flush()
        time.sleep(0.5)
        _kill(writer)

    assert store.get_bytes("k") == b"previous"


def test_s3_kill_mid_upload_absent_or_complete(
    tmp_path: Path, s3_bucket: str, moto_endpoint: str
) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(24 * 1024 * 1024))  # multipart: over 8 MiB
    url = f"s3://{s3_bucket}"
    writer = _start_writer(url, "big.bin", source, moto_endpoint)
    time.sleep(1.0)

    _kill(writer)

    store = open_store(url, endpoint_url=moto_endpoint)
    if store.exists("big.bin"):
        assert store.get_bytes("big.bin") == source.read_bytes()
    else:
        assert store.list() == []


@pytest.mark.parametrize("size", [0, 1, 3 * 1024 * 1024 + 7])
def test_local_put_file_sizes(tmp_path: Path, size: int) -> None:
    source = tmp_path / "source"
    source.write_bytes(os.urandom(size))
    store = LocalBlobStore(tmp_path / "blobs")

    store.put_file("f", source)

    assert store.get_bytes("f") == source.read_bytes()

from __future__ import annotations

from pathlib import Path

import pytest

from vwf.storage import BlobNotFoundError, BlobStore, InvalidKeyError


def test_put_get_bytes_roundtrip(store: BlobStore) -> None:
    store.put_bytes("users/a/x.bin", b"hello")

    assert store.get_bytes("users/a/x.bin") == b"hello"


def test_put_bytes_replaces(store: BlobStore) -> None:
    store.put_bytes("k", b"old")

    store.put_bytes("k", b"new")

    assert store.get_bytes("k") == b"new"


def test_put_file_and_download(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"\x00\x01" * 100_000)
    target = tmp_path / "out" / "copy.bin"

    store.put_file("a/b/c.bin", source)
    store.download("a/b/c.bin", target)

    assert target.read_bytes() == source.read_bytes()


def test_open_read_streams(store: BlobStore) -> None:
    store.put_bytes("s.bin", b"abcdef")

    with store.open_read("s.bin") as stream:
        assert stream.read(3) == b"abc"


def test_get_missing_raises_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFoundError, match="'nope/x' not found"):
        store.get_bytes("nope/x")


def test_size_missing_raises_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFoundError):
        store.size("nope")


def test_exists_and_size(store: BlobStore) -> None:
    store.put_bytes("a.bin", b"12345")

    assert store.exists("a.bin")
    assert not store.exists("b.bin")
    assert store.size("a.bin") == 5


def test_delete_missing_is_noop(store: BlobStore) -> None:
    store.delete("never/stored")

    assert not store.exists("never/stored")


def test_list_by_prefix(store: BlobStore) -> None:
    for key in ["u/1/a", "u/1/b/c", "u/10/a", "v/a"]:
        store.put_bytes(key, b"x")

    assert store.list("u/1/") == ["u/1/a", "u/1/b/c"]
    assert store.list("u/1") == ["u/1/a", "u/1/b/c", "u/10/a"]
    assert store.list() == ["u/1/a", "u/1/b/c", "u/10/a", "v/a"]


def test_delete_prefix(store: BlobStore) -> None:
    for key in ["m/1/a", "m/1/b/c", "m/2/a"]:
        store.put_bytes(key, b"x")

    deleted = store.delete_prefix("m/1/")

    assert deleted == 2
    assert store.list() == ["m/2/a"]


@pytest.mark.parametrize(
    "key", ["", "/abs", "a/../b", "..", "a//b", "a/./b", "a\\b", "trailing/"]
)
def test_invalid_key_raises(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidKeyError, match="invalid blob key"):
        store.put_bytes(key, b"x")

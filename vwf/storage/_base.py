"""The :class:`BlobStore` interface shared by local disk and S3."""

from __future__ import annotations

import abc
from pathlib import Path
from typing import BinaryIO


class BlobStore(abc.ABC):
    """Files (blobs) stored under ``/``-separated keys.

    Writes are atomic: a reader sees either the previous blob or the whole
    new one, and a writer killed mid-write leaves no partial blob under the
    key. Every method validates its key with
    :func:`vwf.storage.keys.validate_key`.
    """

    @abc.abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing any blob there."""

    @abc.abstractmethod
    def put_file(self, key: str, path: Path | str) -> None:
        """Store the file at ``path`` under ``key``, replacing any blob there."""

    @abc.abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """Return the blob's content; raises ``BlobNotFoundError`` if missing."""

    @abc.abstractmethod
    def download(self, key: str, path: Path | str) -> None:
        """Write the blob to the local file ``path`` (atomically replaced)."""

    def open_read(self, key: str) -> BinaryIO:
        """Open the blob for streaming reads; the caller closes it."""
        raise NotImplementedError(f"{type(self).__name__} cannot stream reads")

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Delete the blob; deleting a missing key does nothing."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Return the keys that start with ``prefix``, sorted."""

    @abc.abstractmethod
    def size(self, key: str) -> int:
        """Return the blob's size in bytes; raises ``BlobNotFoundError`` if missing."""

    def delete_prefix(self, prefix: str) -> int:
        """Delete every blob whose key starts with ``prefix``; return how many."""
        keys = self.list(prefix)
        for key in keys:
            self.delete(key)
        return len(keys)

"""Errors of the blob stores.

Tree::

    VwfError
    +-- StorageError            a blob store operation failed
        +-- InvalidKeyError     a key is empty, absolute or contains ``..``
        +-- BlobNotFoundError   no blob is stored under the key
        +-- InvalidStoreURLError  a store URL names no supported store
"""

from __future__ import annotations

from vwf.errors import VwfError


class StorageError(VwfError):
    """A blob store operation failed."""


class InvalidKeyError(StorageError):
    """A key is empty, starts with ``/``, or contains an empty, ``.`` or ``..``
    segment."""


class BlobNotFoundError(StorageError):
    """No blob is stored under the key."""

    def __init__(self, key: str, store: str) -> None:
        super().__init__(f"blob {key!r} not found in {store}")
        self.key = key


class InvalidStoreURLError(StorageError):
    """A store URL is neither ``file:///dir`` nor ``s3://bucket[/prefix]``."""

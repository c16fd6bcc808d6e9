"""Blobs as files under one local directory."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from vwf.storage._base import BlobStore
from vwf.storage.errors import BlobNotFoundError
from vwf.storage.keys import validate_key, validate_prefix

logger = logging.getLogger(__name__)

TEMP_PREFIX = ".vwf-tmp-"
"""Name prefix of in-progress writes; :meth:`LocalBlobStore.list` skips them."""

_CHUNK_SIZE = 1024 * 1024


class LocalBlobStore(BlobStore):
    """Blobs as files under ``root``; a key's ``/`` separators become directories.

    A write goes to a temporary file in the destination directory, is
    fsynced, then renamed over the final name with :func:`os.replace`, so a
    crash leaves the old blob or the new one, plus at most a temporary file.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._atomic_writer(self._path(key)) as file:
            file.write(data)

    def put_file(self, key: str, path: Path | str) -> None:
        with open(path, "rb") as source, self._atomic_writer(self._path(key)) as file:
            shutil.copyfileobj(source, file, _CHUNK_SIZE)

    def get_bytes(self, key: str) -> bytes:
        with self.open_read(key) as file:
            return file.read()

    def download(self, key: str, path: Path | str) -> None:
        with self.open_read(key) as source, self._atomic_writer(Path(path)) as file:
            shutil.copyfileobj(source, file, _CHUNK_SIZE)

    def open_read(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFoundError(key, repr(self)) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        directory = self.root / prefix.rpartition("/")[0]
        if not directory.is_dir():
            return []
        keys = []
        for dirpath, _dirnames, filenames in os.walk(directory):
            for name in filenames:
                if name.startswith(TEMP_PREFIX):
                    continue
                key = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as exc:
            raise BlobNotFoundError(key, repr(self)) from exc

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    @contextlib.contextmanager
    def _atomic_writer(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(
            prefix=TEMP_PREFIX + path.name + ".", dir=path.parent
        )
        try:
            with os.fdopen(descriptor, "wb") as file:
                yield file
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename durable: without it a power loss could undo os.replace.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

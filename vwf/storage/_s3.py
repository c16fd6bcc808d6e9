"""Blobs as objects in an S3 bucket under an optional prefix."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from vwf.storage._base import BlobStore
from vwf.storage.errors import BlobNotFoundError, StorageError
from vwf.storage.keys import validate_key, validate_prefix

logger = logging.getLogger(__name__)

_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
_DELETE_BATCH = 1000  # maximum keys per DeleteObjects request


class S3BlobStore(BlobStore):
    """Blobs as objects ``<prefix>/<key>`` in ``bucket``.

    A PUT replaces an object atomically; large files go through boto3's
    ``upload_file``, which switches to a multipart upload that only becomes
    visible when completed. The boto3 client is created on first use, or
    passed in as ``client``.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client
        self._endpoint_url = endpoint_url
        self._region = region

    def __repr__(self) -> str:
        return f"S3BlobStore('s3://{self.bucket}/{self.prefix}')"

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3", endpoint_url=self._endpoint_url, region_name=self._region
            )
        return self._client

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._errors(key):
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data)

    def put_file(self, key: str, path: Path | str) -> None:
        with self._errors(key):
            self.client.upload_file(str(path), self.bucket, self._name(key))

    def get_bytes(self, key: str) -> bytes:
        with self.open_read(key) as body:
            return body.read()

    def download(self, key: str, path: Path | str) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", dir=path.parent
        )
        os.close(descriptor)
        try:
            with self._errors(key):
                self.client.download_file(self.bucket, self._name(key), temp_name)
            os.replace(temp_name, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)

    def open_read(self, key: str) -> BinaryIO:
        with self._errors(key):
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        return response["Body"]

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except BlobNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            objects = [{"Key": self._name(key)} for key in batch]
            with self._errors(prefix):
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
        return len(keys)

    def list(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        paginator = self.client.get_paginator("list_objects_v2")
        keys = []
        with self._errors(prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
                keys.extend(self._key(item["Key"]) for item in page.get("Contents", []))
        return sorted(keys)

    def size(self, key: str) -> int:
        with self._errors(key):
            response = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        return int(response["ContentLength"])

    def _name(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _key(self, name: str) -> str:
        return name[len(self.prefix) + 1 :] if self.prefix else name

    @contextlib.contextmanager
    def _errors(self, key: str):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _MISSING_CODES:
                raise BlobNotFoundError(key, repr(self)) from exc
            raise StorageError(
                f"S3 request for {key!r} in {self!r} failed: {exc}"
            ) from exc
        except BotoCoreError as exc:
            raise StorageError(
                f"S3 request for {key!r} in {self!r} failed: {exc}"
            ) from exc

"""The Upload stage: copy a remote original (S3 or HTTP) into the blob store.

Input: the workflow input of ``VideoProcessingWithUpload``: ``media_id``,
``user_id``, ``source`` (``s3://bucket/key`` or ``http(s)://...``) and
``original_key``. The stage streams the source to a temporary file while
hashing it (SHA-256) and heartbeating its progress, then applies the
duplicate rule of :func:`vwf.pipeline.ingest.submit`:

- the same content in a ``pending``, ``visible`` or ``complete`` media of the
  user fails this media (not retried), naming the existing media;
- the same content in a ``failed`` media deletes that media and its files,
  because this media replaces it.

It returns ``{"original_key": ..., "content_hash": ..., "byte_size": ...}``.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from vwf.config import Settings
from vwf.errors import VwfError
from vwf.library import AssetType, Library, MediaStatus, NewAsset, NotFoundError
from vwf.logcontext import log_context
from vwf.pipeline.ingest import ACTIVE_STATUSES, parse_source, redact_url
from vwf.storage import BlobNotFoundError, BlobStore, keys, open_store
from vwf.workflow import ActivityContext
from vwf.workflow.errors import NonRetryableError

logger = logging.getLogger(__name__)

STAGE = "Upload"
CHUNK_SIZE = 1024 * 1024
HEARTBEAT_INTERVAL_SECONDS = 10.0
HTTP_TIMEOUT_SECONDS = 60.0
"""Socket timeout of each read from an HTTP source."""


@dataclass(frozen=True)
class UploadRequest:
    """The part of the stage input Upload uses."""

    media_id: uuid.UUID
    user_id: uuid.UUID
    source: str
    original_key: str

    @classmethod
    def from_input(cls, input: dict[str, Any]) -> UploadRequest:
        """Parse the stage input, raising :class:`NonRetryableError` if invalid."""
        try:
            media_id = uuid.UUID(str(input["media_id"]))
            user_id = uuid.UUID(str(input["user_id"]))
            source = parse_source(input["source"])
            original_key = keys.validate_key(str(input["original_key"]))
        except (KeyError, ValueError, VwfError) as exc:
            raise NonRetryableError(f"invalid Upload input: {exc}") from exc
        if not source.is_remote:
            raise NonRetryableError(
                f"Upload needs a remote source, got {input['source']!r}"
            )
        return cls(media_id, user_id, input["source"], original_key)


@dataclass(frozen=True)
class Fetched:
    path: Path
    content_hash: str
    byte_size: int


class UploadActivity:
    """The Upload activity; one instance serves many tasks."""

    def __init__(
        self,
        settings: Settings,
        *,
        library: Library | None = None,
        store: BlobStore | None = None,
        open_source: Callable[[str], BinaryIO] | None = None,
    ) -> None:
        self._library = library or Library(settings.library_url)
        self._store = store or open_store(settings.storage_url)
        self._open_source = open_source or open_remote

    def __call__(self, input: dict[str, Any], context: ActivityContext) -> dict:
        request = UploadRequest.from_input(input)
        ids = {"media_id": request.media_id, "user_id": request.user_id}
        with log_context(
            workflow_id=context.workflow_id, activity_id=context.activity_id, **ids
        ):
            logger.info(
                "%s started, attempt %d: %s",
                STAGE,
                context.attempt,
                redact_url(request.source),
            )
            self._check_media_exists(request)
            with tempfile.TemporaryDirectory(prefix="vwf-upload-") as directory:
                fetched = self._fetch(request, Path(directory) / "original", context)
                self._apply_duplicate_rule(request, fetched.content_hash)
                self._store.put_file(request.original_key, fetched.path)
            self._record(request, fetched, context.attempt)
            logger.info("%s finished: %d bytes", STAGE, fetched.byte_size)
            return {
                "original_key": request.original_key,
                "content_hash": fetched.content_hash,
                "byte_size": fetched.byte_size,
            }

    def _check_media_exists(self, request: UploadRequest) -> None:
        try:
            self._library.media.get(request.user_id, request.media_id)
        except NotFoundError as exc:
            raise NonRetryableError(
                f"media {request.media_id} of user {request.user_id} not found; "
                "it was deleted or belongs to another user"
            ) from exc

    def _fetch(
        self, request: UploadRequest, target: Path, context: ActivityContext
    ) -> Fetched:
        try:
            stream = self._open_source(request.source)
        except SourceUnavailableError as exc:
            raise self._fail(request, str(exc)) from exc
        digest = hashlib.sha256()
        size = 0
        last_heartbeat = time.monotonic()
        with stream, open(target, "wb") as file:
            while chunk := stream.read(CHUNK_SIZE):
                context.check_cancelled()
                digest.update(chunk)
                file.write(chunk)
                size += len(chunk)
                if time.monotonic() - last_heartbeat >= HEARTBEAT_INTERVAL_SECONDS:
                    context.heartbeat({"step": "copying", "bytes": size})
                    last_heartbeat = time.monotonic()
        context.heartbeat({"step": "copied", "bytes": size})
        if size == 0:
            source = redact_url(request.source)
            raise self._fail(request, f"the source {source} is empty")
        return Fetched(target, digest.hexdigest(), size)

    def _apply_duplicate_rule(self, request: UploadRequest, content_hash: str) -> None:
        existing = self._library.media.find_by_hash(request.user_id, content_hash)
        if existing is None or existing.id == request.media_id:
            return
        if existing.status in ACTIVE_STATUSES:
            raise self._fail(
                request,
                f"this video was already submitted as media {existing.id} "
                f"(status {existing.status.value})",
            )
        logger.info("deleting failed media %s: this upload replaces it", existing.id)
        self._store.delete_prefix(keys.media_prefix(request.user_id, existing.id))
        self._library.media.delete(request.user_id, existing.id)

    def _record(self, request: UploadRequest, fetched: Fetched, attempt: int) -> None:
        user, media = request.user_id, request.media_id
        self._library.media.update(user, media, content_hash=fetched.content_hash)
        original = NewAsset(
            AssetType.ORIGINAL, request.original_key, byte_size=fetched.byte_size
        )
        self._library.media.replace_assets(user, media, [original])
        self._library.media.record_stage(
            user, media, STAGE, attempt=attempt, details={"bytes": fetched.byte_size}
        )

    def _fail(self, request: UploadRequest, reason: str) -> NonRetryableError:
        """Mark the media failed and return the error for the caller to raise."""
        logger.warning("%s failed for good: %s", STAGE, reason)
        self._library.media.set_status(
            request.user_id, request.media_id, MediaStatus.FAILED, reason
        )
        return NonRetryableError(reason)


class SourceUnavailableError(VwfError):
    """The remote source cannot be read and retrying will not help: it does
    not exist, or the server rejects the request (HTTP 4xx)."""


_RETRYABLE_HTTP_CLIENT_ERRORS = (408, 429)


def open_remote(url: str) -> BinaryIO:
    """Open ``url`` (``s3://`` or ``http(s)://``) for streaming reads.

    Raises :class:`SourceUnavailableError` when the source is missing or
    rejected; other failures (network, HTTP 5xx) propagate so the stage is
    retried.
    """
    parts = urlsplit(url)
    if parts.scheme == "s3":
        store = open_store(f"s3://{parts.netloc}")
        try:
            return store.open_read(parts.path.lstrip("/"))
        except BlobNotFoundError as exc:
            raise SourceUnavailableError(
                f"the source {redact_url(url)} does not exist"
            ) from exc
    try:
        return urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code not in _RETRYABLE_HTTP_CLIENT_ERRORS:
            raise SourceUnavailableError(
                f"the source {redact_url(url)} cannot be read: "
                f"HTTP {exc.code} {exc.reason}"
            ) from exc
        raise

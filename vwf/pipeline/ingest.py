"""Submit a video: store its original, create its media row, start its workflow.

:func:`submit` takes a local path, ``s3://bucket/key`` or ``http(s)://...``.
A local file is hashed (SHA-256), classified by its streams with ffprobe and
stored before the workflow starts. A remote source is not fetched here: the
workflow type ``VideoProcessingWithUpload`` runs the Upload stage first,
which copies and hashes it and applies the same duplicate rule.

Duplicates: a file whose hash matches a ``pending``, ``visible`` or
``complete`` media of the same user is rejected with
:class:`~vwf.library.DuplicateMediaError`. A match with a ``failed`` media
reuses that row: it returns to ``pending`` with the same uuid (so its
workflow id is reused too) and its old assets and faces are deleted.

Errors: :class:`~vwf.pipeline.errors.SubmitError` and its subclass
:class:`~vwf.pipeline.errors.InvalidSourceError`, and
:class:`~vwf.library.DuplicateMediaError` when the user already has the video.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from botocore.exceptions import BotoCoreError, ClientError

from vwf.config import Settings
from vwf.errors import VwfError
from vwf.library import (
    AssetType,
    DuplicateMediaError,
    Library,
    MediaRecord,
    MediaStatus,
    NewAsset,
    UserRecord,
)
from vwf.logcontext import log_context
from vwf.media import MediaError, check_dimensions, probe
from vwf.pipeline.errors import InvalidSourceError, SubmitError
from vwf.storage import BlobStore, keys, open_store

logger = logging.getLogger(__name__)

HASH_CHUNK_SIZE = 1024 * 1024
ACTIVE_STATUSES = (MediaStatus.PENDING, MediaStatus.VISIBLE, MediaStatus.COMPLETE)
EMBEDDED_RETENTION = timedelta(days=30)
"""How long the embedded engine keeps closed executions it registers itself."""


@dataclass(frozen=True)
class Submission:
    """A submitted video: its media row and its workflow execution."""

    media_id: uuid.UUID
    workflow_id: str
    run_id: str


@dataclass(frozen=True)
class Source:
    """Origin of a video: a local ``path`` or a remote ``url``."""

    path: Path | None = None
    url: str | None = None

    @property
    def is_remote(self) -> bool:
        return self.url is not None

    @property
    def extension(self) -> str:
        name = (
            self.path.name if self.path else PurePosixPath(urlsplit(self.url).path).name
        )
        return PurePosixPath(name).suffix

    @property
    def text(self) -> str:
        """The source for logs and messages, without a URL's query string."""
        return redact_url(self.url) if self.url else str(self.path)


def redact_url(url: str) -> str:
    """Return ``url`` without its query and fragment, which may hold a
    presigned URL's signature, and without user info."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_source(source: str | Path) -> Source:
    """Classify ``source`` as a local path or an ``s3``/``http(s)`` URL."""
    text = str(source)
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https", "s3"):
        parts = urlsplit(text)
        if not parts.netloc or not parts.path.strip("/"):
            raise InvalidSourceError(
                f"invalid source URL {text!r}: use s3://bucket/key or "
                "https://host/path/video.mp4"
            )
        return Source(url=text)
    if scheme and len(scheme) > 1:
        raise InvalidSourceError(
            f"unsupported source {text!r}: use a local path, s3://bucket/key or an "
            "http(s) URL"
        )
    return Source(path=Path(text).expanduser())


def submit(
    settings: Settings,
    source: str | Path,
    user_email: str,
    title: str | None = None,
    skip_faces: bool = False,
    *,
    options: dict[str, Any] | None = None,
    library: Library | None = None,
    store: BlobStore | None = None,
    swf_client: Any = None,
) -> Submission:
    """Submit ``source`` for ``user_email`` and start its workflow.

    ``options`` go to the stages unchanged (e.g. ``{"max_height": 1080}``).
    ``swf_client`` defaults to the client :func:`vwf.workflow.open_swf_client`
    opens for ``settings``. If the workflow cannot start, the media is marked
    ``failed`` with the reason and :class:`SubmitError` is raised.
    """
    parsed = parse_source(source)
    title = check_title(title)
    library = library or Library(settings.library_url)
    library.migrate()
    store = store or open_store(settings.storage_url)
    user = library.users.get_or_create(user_email)
    if parsed.is_remote:
        media = _create_remote(library, user, parsed, title, skip_faces)
    else:
        media = _create_local(library, store, user, parsed, title, skip_faces)

    original_key = keys.original_key(user.id, media.id, parsed.extension)
    workflow_input = {
        "media_id": str(media.id),
        "user_id": str(user.id),
        "original_key": original_key,
        "skip_faces": skip_faces,
        "options": options or {},
    }
    if parsed.is_remote:
        workflow_input["source"] = parsed.url
    with log_context(media_id=str(media.id), user_id=str(user.id)):
        return _start(settings, library, media, workflow_input, parsed, swf_client)


MAX_TITLE_LENGTH = 500
"""Characters of a title; the length of the media table's title column."""


def check_title(title: str | None) -> str | None:
    """Return ``title`` without surrounding whitespace, or raise
    :class:`SubmitError` when it cannot be stored or shown."""
    if title is None:
        return None
    shown_title = repr(title) if len(title) <= 60 else f"{title[:57]!r}..."
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:
        raise SubmitError(
            f"invalid title {shown_title}: it is not valid text (check the terminal's "
            "encoding)"
        ) from None
    stripped = title.strip()
    if len(stripped) > MAX_TITLE_LENGTH:
        raise SubmitError(
            f"invalid title {shown_title}: use at most {MAX_TITLE_LENGTH} characters"
        )
    if any(unicodedata.category(c) == "Cc" for c in stripped):
        raise SubmitError(f"invalid title {shown_title}: remove the control characters")
    return stripped or None


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(HASH_CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _create_local(
    library: Library,
    store: BlobStore,
    user: UserRecord,
    source: Source,
    title: str | None,
    skip_faces: bool,
) -> MediaRecord:
    path = source.path
    assert path is not None
    _check_video_file(path)
    content_hash = sha256_file(path)
    existing = library.media.find_by_hash(user.id, content_hash)
    if existing is not None and existing.status in ACTIVE_STATUSES:
        raise DuplicateMediaError(existing.id, existing.status.value)

    media_id = existing.id if existing else uuid.uuid4()
    original_key = keys.original_key(user.id, media_id, source.extension)
    store.put_file(original_key, path)

    fields = {"source": str(path.resolve()), "title": title, "skip_faces": skip_faces}
    if existing is None:
        media = library.media.create(
            user.id, content_hash=content_hash, media_id=media_id, **fields
        )
    else:
        logger.info("replacing failed media %s", existing.id)
        media = library.media.reset_for_resubmission(user.id, existing.id, **fields)
    original = NewAsset(AssetType.ORIGINAL, original_key, byte_size=path.stat().st_size)
    library.media.replace_assets(user.id, media.id, [original])
    return media


def _check_video_file(path: Path) -> None:
    if path.is_dir():
        raise InvalidSourceError(
            f"{path} is a directory; pass the video file inside it"
        )
    if not path.is_file():
        raise InvalidSourceError(f"video file {path} not found; check the path")
    if path.stat().st_size == 0:
        raise InvalidSourceError(f"video file {path} is empty (0 bytes)")
    try:
        check_dimensions(probe(path).require_video())
    except MediaError as exc:
        raise InvalidSourceError(f"cannot submit {path}: {exc}") from exc


def _create_remote(
    library: Library,
    user: UserRecord,
    source: Source,
    title: str | None,
    skip_faces: bool,
) -> MediaRecord:
    # The hash is unknown until Upload reads the file, so the row has none.
    return library.media.create(
        user.id,
        content_hash=None,
        source=source.url,
        title=title,
        skip_faces=skip_faces,
    )


def _start(
    settings: Settings,
    library: Library,
    media: MediaRecord,
    workflow_input: dict[str, Any],
    source: Source,
    swf_client: Any,
) -> Submission:
    from vwf.pipeline._runtime import pipeline_definitions

    definition = pipeline_definitions(settings)[1 if source.is_remote else 0]
    try:
        with _swf_client(settings, swf_client) as client:
            if not settings.swf_endpoint:
                _register_embedded(client, definition)
            run_id = _start_execution(client, definition, media, workflow_input)
    except (VwfError, BotoCoreError, ClientError) as exc:
        reason = f"the workflow could not start: {exc}"
        library.media.set_status(media.owner_id, media.id, MediaStatus.FAILED, reason)
        logger.error("submit of %s failed: %s", source.text, reason)
        raise SubmitError(
            f"media {media.id} was stored but {reason}; check the SWF settings "
            "(run `vwf register` for a new domain) and submit the file again"
        ) from exc
    logger.info("submitted %s as media %s", source.text, media.id)
    return Submission(media_id=media.id, workflow_id=str(media.id), run_id=run_id)


def _start_execution(
    client: Any, definition: Any, media: MediaRecord, workflow_input: dict
) -> str:
    from vwf.workflow._wire import dumps

    response = client.start_workflow_execution(
        domain=definition.domain,
        workflowId=str(media.id),
        workflowType={"name": definition.name, "version": definition.version},
        taskList={"name": definition.decider_task_list},
        input=dumps(workflow_input),
    )
    return response["runId"]


def _register_embedded(client: Any, definition: Any) -> None:
    from vwf.workflow import register

    register(client, definition, EMBEDDED_RETENTION)


@contextmanager
def _swf_client(settings: Settings, client: Any) -> Iterator[Any]:
    if client is not None:
        yield client
        return
    from vwf.workflow import open_swf_client

    with open_swf_client(settings) as connection:
        yield connection.client


__all__ = [
    "InvalidSourceError",
    "Source",
    "SubmitError",
    "Submission",
    "parse_source",
    "redact_url",
    "sha256_file",
    "submit",
]

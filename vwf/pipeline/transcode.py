"""The Transcode stage: make the web MP4, posters and thumbnails of a video.

Input: the workflow input (``media_id``, ``user_id``, ``original_key`` and
``options``), plus, for a remote source, the ``Upload`` stage's result whose
``original_key`` wins. The stage downloads the original, renders and checks
the web files in a temporary directory, stores them, records metadata and
assets in the library, and makes the media ``visible``. It returns::

    {"video_key": "users/<u>/media/<m>/video.mp4", "poster_key": "...",
     "animated_poster_key": "...", "thumbnail_keys": ["..."],
     "duration": 9.97, "width": 1280, "height": 720, "frame_rate": 29.97,
     "has_audio": true, "recorded_at": "2021-06-01T12:30:00+00:00",
     "latitude": 48.85, "longitude": 2.29}

Bad input (corrupt, audio only, absurd size) fails the media with a reason a
person can read and raises ``NonRetryableError``. A retry after a partial
attempt overwrites the same keys and asset rows.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vwf.config import Settings
from vwf.library import (
    AssetType,
    Library,
    MediaMetadata,
    MediaStatus,
    NewAsset,
    NotFoundError,
)
from vwf.logcontext import log_context
from vwf.media import (
    Image,
    InvalidMediaError,
    TranscodeOptions,
    WebMedia,
    render_web_media,
)
from vwf.storage import BlobNotFoundError, BlobStore, keys, open_store
from vwf.workflow import ActivityContext
from vwf.workflow.errors import NonRetryableError

logger = logging.getLogger(__name__)

STAGE = "Transcode"


@dataclass(frozen=True)
class TranscodeRequest:
    """The part of the stage input Transcode uses."""

    media_id: uuid.UUID
    user_id: uuid.UUID
    original_key: str
    options: TranscodeOptions

    @classmethod
    def from_input(cls, input: dict[str, Any]) -> TranscodeRequest:
        """Parse the stage input, raising :class:`NonRetryableError` if invalid."""
        upload = input.get("Upload") or {}
        original_key = upload.get("original_key") or input.get("original_key")
        if not original_key:
            raise NonRetryableError(
                "stage input has no original_key; submit the video again"
            )
        try:
            options = TranscodeOptions.from_dict(input.get("options"))
        except (TypeError, ValueError) as exc:
            raise NonRetryableError(f"invalid transcode options: {exc}") from exc
        return cls(
            media_id=_parse_uuid(input, "media_id"),
            user_id=_parse_uuid(input, "user_id"),
            original_key=original_key,
            options=options,
        )


@dataclass(frozen=True)
class StoredKeys:
    video: str
    poster: str
    animated_poster: str
    thumbnails: list[str]


class TranscodeActivity:
    """The Transcode activity; one instance serves many tasks."""

    def __init__(
        self,
        settings: Settings,
        *,
        library: Library | None = None,
        store: BlobStore | None = None,
    ) -> None:
        self._library = library or Library(settings.library_url)
        self._store = store or open_store(settings.storage_url)

    def __call__(self, input: dict[str, Any], context: ActivityContext) -> dict:
        request = TranscodeRequest.from_input(input)
        ids = {"media_id": request.media_id, "user_id": request.user_id}
        with log_context(
            workflow_id=context.workflow_id, activity_id=context.activity_id, **ids
        ):
            logger.info("%s started, attempt %d", STAGE, context.attempt)
            self._check_media_exists(request)
            with tempfile.TemporaryDirectory(prefix="vwf-transcode-") as directory:
                web = self._render(request, Path(directory), context)
                stored = self._upload(request, web)
                self._record(request, web, stored, context.attempt)
            logger.info(
                "%s finished: %dx%d, %.2f s",
                STAGE,
                web.plan.width,
                web.plan.height,
                web.duration_seconds,
            )
            return _result(web, stored)

    def _check_media_exists(self, request: TranscodeRequest) -> None:
        try:
            self._library.media.get(request.user_id, request.media_id)
        except NotFoundError as exc:
            raise NonRetryableError(
                f"media {request.media_id} of user {request.user_id} not found; "
                "it was deleted or belongs to another user"
            ) from exc

    def _render(
        self, request: TranscodeRequest, directory: Path, context: ActivityContext
    ) -> WebMedia:
        original = directory / ("original" + Path(request.original_key).suffix)
        try:
            self._store.download(request.original_key, original)
        except BlobNotFoundError as exc:
            raise self._fail(
                request, f"the original file {request.original_key!r} is missing"
            ) from exc
        context.heartbeat({"step": "downloaded"})

        def report_progress(seconds: float) -> None:
            context.heartbeat(
                {"step": "encoding", "encoded_seconds": round(seconds, 1)}
            )

        try:
            return render_web_media(
                original,
                directory,
                request.options,
                runner=context.run_process,
                on_progress=report_progress,
            )
        except InvalidMediaError as exc:
            raise self._fail(request, str(exc)) from exc

    def _fail(self, request: TranscodeRequest, reason: str) -> NonRetryableError:
        """Mark the media failed and return the error for the caller to raise."""
        logger.warning("%s failed for good: %s", STAGE, reason)
        self._library.media.set_status(
            request.user_id, request.media_id, MediaStatus.FAILED, reason
        )
        return NonRetryableError(reason)

    def _upload(self, request: TranscodeRequest, web: WebMedia) -> StoredKeys:
        user, media = request.user_id, request.media_id
        stored = StoredKeys(
            video=keys.video_key(user, media),
            poster=keys.poster_key(user, media),
            animated_poster=keys.animated_poster_key(
                user, media, web.animated_poster.path.suffix.lstrip(".")
            ),
            thumbnails=[
                keys.thumbnail_key(user, media, index)
                for index in range(len(web.thumbnails))
            ],
        )
        self._store.put_file(stored.video, web.video)
        self._store.put_file(stored.poster, web.poster.path)
        self._store.put_file(stored.animated_poster, web.animated_poster.path)
        for key, image in zip(stored.thumbnails, web.thumbnails, strict=True):
            self._store.put_file(key, image.path)
        return stored

    def _record(
        self, request: TranscodeRequest, web: WebMedia, stored: StoredKeys, attempt: int
    ) -> None:
        user, media = request.user_id, request.media_id
        self._library.media.set_metadata(user, media, _metadata(web))
        self._library.media.replace_assets(user, media, _assets(web, stored))
        current = self._library.media.get(user, media)
        if current.status is MediaStatus.PENDING:
            self._library.media.set_status(user, media, MediaStatus.VISIBLE)
        else:
            logger.info("media stays %s after %s", current.status.value, STAGE)
        self._library.media.record_stage(
            user,
            media,
            STAGE,
            attempt=attempt,
            details={"width": web.plan.width, "height": web.plan.height},
        )


def _metadata(web: WebMedia) -> MediaMetadata:
    return MediaMetadata(
        duration_seconds=web.duration_seconds,
        width=web.plan.width,
        height=web.plan.height,
        recorded_at=web.source.recorded_at,
        latitude=web.source.latitude,
        longitude=web.source.longitude,
    )


def _assets(web: WebMedia, stored: StoredKeys) -> list[NewAsset]:
    assets = [
        NewAsset(
            AssetType.MAIN_VIDEO,
            stored.video,
            width=web.plan.width,
            height=web.plan.height,
            duration_seconds=web.duration_seconds,
            byte_size=web.video.stat().st_size,
        ),
        _image_asset(AssetType.POSTER, stored.poster, web.poster),
        _image_asset(
            AssetType.ANIMATED_POSTER, stored.animated_poster, web.animated_poster
        ),
    ]
    for key, image in zip(stored.thumbnails, web.thumbnails, strict=True):
        assets.append(_image_asset(AssetType.THUMBNAIL, key, image))
    return assets


def _image_asset(asset_type: AssetType, key: str, image: Image) -> NewAsset:
    return NewAsset(
        asset_type,
        key,
        width=image.width,
        height=image.height,
        time_code_seconds=image.time_seconds,
        byte_size=image.path.stat().st_size,
    )


def _result(web: WebMedia, stored: StoredKeys) -> dict[str, Any]:
    source = web.source
    return {
        "video_key": stored.video,
        "poster_key": stored.poster,
        "animated_poster_key": stored.animated_poster,
        "thumbnail_keys": stored.thumbnails,
        "duration": round(web.duration_seconds, 3),
        "width": web.plan.width,
        "height": web.plan.height,
        "frame_rate": round(float(web.plan.frame_rate), 3),
        "has_audio": web.plan.has_audio,
        "recorded_at": source.recorded_at.isoformat() if source.recorded_at else None,
        "latitude": source.latitude,
        "longitude": source.longitude,
    }


def _parse_uuid(input: dict[str, Any], name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(input[name]))
    except (KeyError, ValueError) as exc:
        raise NonRetryableError(
            f"invalid {name} {input.get(name)!r} in the stage input: use a UUID"
        ) from exc

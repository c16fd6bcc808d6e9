"""The FaceDetect stage: find, track and rate every face of a transcoded video.

Input: the workflow input (``media_id``, ``user_id``) plus, under
``"Transcode"``, that stage's result, whose ``video_key`` names the transcoded
MP4 in the blob store. The stage stores the kept faces of each track (crops in
the blob store, rows in the library) and returns the tracks::

    {"embedding_model": "sface_2021dec_int8bq", "duration": 9.9,
     "frames_sampled": 82, "skipped": false,
     "tracks": [{"track_id": 0, "start": 0.85, "end": 1.42, "face_ids": [...],
                 "best_face_id": "...", "too_small": false, "quality": 0.235}]}

A retry replaces the faces an earlier attempt stored for the media, so the
library never contains duplicates.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from vwf.config import Settings
from vwf.faces import (
    AnalysisCancelled,
    AnalysisOptions,
    FaceModels,
    FaceTrack,
    TrackFace,
    VideoAnalysis,
    VideoDecodeError,
    analyze_video,
)
from vwf.library import (
    AssetType,
    Face,
    Library,
    Media,
    MediaAsset,
    NotFoundError,
    get_owned,
)
from vwf.logcontext import log_context
from vwf.storage import BlobNotFoundError, BlobStore, StorageError, keys, open_store
from vwf.workflow import ActivityContext
from vwf.workflow.errors import ActivityCancelled, NonRetryableError

logger = logging.getLogger(__name__)

STAGE = "FaceDetect"
# Seconds of wall-clock time between two progress heartbeats.
_HEARTBEAT_SECONDS = 5.0


@dataclass(frozen=True)
class FaceDetectRequest:
    """The part of the stage input FaceDetect uses."""

    media_id: uuid.UUID
    user_id: uuid.UUID
    video_key: str

    @classmethod
    def from_input(cls, input: dict[str, Any]) -> FaceDetectRequest:
        """Parse the stage input, raising :class:`NonRetryableError` if invalid."""
        media_id = _parse_uuid(input, "media_id")
        user_id = _parse_uuid(input, "user_id")
        transcode = input.get("Transcode") or {}
        video_key = transcode.get("video_key") or keys.video_key(user_id, media_id)
        return cls(media_id=media_id, user_id=user_id, video_key=video_key)


@dataclass(frozen=True)
class _StoredFace:
    face_id: uuid.UUID
    track: FaceTrack
    face: TrackFace
    asset: MediaAsset


class FaceDetectActivity:
    """The FaceDetect activity; one instance serves many tasks, one at a time
    or from several threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        models: FaceModels | None = None,
        library: Library | None = None,
        store: BlobStore | None = None,
        options: AnalysisOptions | None = None,
    ) -> None:
        self._models = models or FaceModels.default()
        self._library = library or Library(settings.library_url)
        self._store = store or open_store(settings.storage_url)
        self._options = options or AnalysisOptions()

    def __call__(self, input: dict[str, Any], context: ActivityContext) -> dict:
        request = FaceDetectRequest.from_input(input)
        ids = {"media_id": request.media_id, "user_id": request.user_id}
        with log_context(
            workflow_id=context.workflow_id, activity_id=context.activity_id, **ids
        ):
            logger.info("%s started, attempt %d", STAGE, context.attempt)
            if self._skips_faces(request):
                logger.info("%s skipped: skip_faces is set on the media", STAGE)
                return {"skipped": True, "tracks": []}

            analysis = self._analyze(request, context)
            stored = self._save(request, analysis)
            result = _result(analysis, stored)
            self._library.media.record_stage(
                request.user_id,
                request.media_id,
                STAGE,
                attempt=context.attempt,
                details={"tracks": len(analysis.tracks), "faces": len(stored)},
            )
            logger.info(
                "%s finished: %d tracks, %d faces",
                STAGE,
                len(analysis.tracks),
                len(stored),
            )
            return result

    def _skips_faces(self, request: FaceDetectRequest) -> bool:
        try:
            with self._library.session() as session:
                media = get_owned(session, Media, request.user_id, request.media_id)
                return media.skip_faces
        except NotFoundError as exc:
            raise NonRetryableError(
                f"media {request.media_id} of user {request.user_id} not found; "
                "it was deleted or belongs to another user"
            ) from exc

    def _analyze(
        self, request: FaceDetectRequest, context: ActivityContext
    ) -> VideoAnalysis:
        heartbeat = _Heartbeat(context)
        with tempfile.TemporaryDirectory(prefix="vwf-facedetect-") as directory:
            video = Path(directory) / "video.mp4"
            try:
                self._store.download(request.video_key, video)
                return analyze_video(
                    video,
                    self._models,
                    self._options,
                    on_progress=heartbeat,
                    should_stop=context.cancelled.is_set,
                )
            except BlobNotFoundError as exc:
                raise NonRetryableError(
                    f"transcoded video {request.video_key!r} not found in the blob "
                    "store; run Transcode for this media again"
                ) from exc
            except VideoDecodeError as exc:
                raise NonRetryableError(
                    f"transcoded video {request.video_key!r} cannot be decoded: {exc}"
                ) from exc
            except AnalysisCancelled as exc:
                raise ActivityCancelled(str(exc)) from exc

    def _save(
        self, request: FaceDetectRequest, analysis: VideoAnalysis
    ) -> list[_StoredFace]:
        """Store the crops, then replace the media's faces in one transaction."""
        stored = [
            self._store_crop(request, track, face)
            for track in analysis.tracks
            for face in track.faces
        ]
        new_keys = {item.asset.storage_key for item in stored}

        try:
            stale_keys = self._replace_rows(request, stored, analysis.embedding_model)
        except NotFoundError as exc:
            self._delete_blobs(new_keys)
            raise NonRetryableError(
                f"media {request.media_id} was deleted while its faces were detected"
            ) from exc

        # NOTE: crops uploaded by an attempt that died before its commit stay
        # in the store unreferenced. Only crops the library references are
        # deleted here, because deleting every unknown crop could remove the
        # crops of a concurrent attempt that has not committed yet.
        self._delete_blobs(stale_keys - new_keys)
        return stored

    def _replace_rows(
        self, request: FaceDetectRequest, stored: list[_StoredFace], model: str
    ) -> set[str]:
        """Replace the media's faces and crop assets; return the old crops' keys."""
        with self._library.session() as session:
            media = get_owned(
                session, Media, request.user_id, request.media_id, for_update=True
            )
            old_keys = _delete_faces(session, media.id)
            session.add_all(item.asset for item in stored)
            session.flush()
            session.add_all(_face_row(item, request, model) for item in stored)
        if old_keys:
            logger.info("replaced %d faces of an earlier attempt", len(old_keys))
        return old_keys

    def _delete_blobs(self, keys_to_delete: set[str]) -> None:
        for key in sorted(keys_to_delete):
            try:
                self._store.delete(key)
            except StorageError as exc:
                logger.warning("could not delete face crop %s: %s", key, exc)

    def _store_crop(
        self, request: FaceDetectRequest, track: FaceTrack, face: TrackFace
    ) -> _StoredFace:
        face_id = uuid.uuid4()
        key = keys.face_key(request.user_id, request.media_id, face_id)
        self._store.put_bytes(key, face.crop_jpeg)
        asset = MediaAsset(
            id=uuid.uuid4(),
            media_id=request.media_id,
            type=AssetType.FACE_CROP,
            storage_key=key,
            width=face.crop_size[0],
            height=face.crop_size[1],
            time_code_seconds=face.time,
            byte_size=len(face.crop_jpeg),
        )
        return _StoredFace(face_id, track, face, asset)


class _Heartbeat:
    """Progress callback that heartbeats at most every few seconds."""

    def __init__(self, context: ActivityContext) -> None:
        self._context = context
        self._last = float("-inf")

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last < _HEARTBEAT_SECONDS:
            return
        self._last = now
        self._context.heartbeat({"stage": STAGE, "percent": round(100 * fraction)})


def _parse_uuid(input: dict[str, Any], name: str) -> uuid.UUID:
    value = input.get(name)
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NonRetryableError(
            f"invalid {name} {value!r} in the {STAGE} input: expected a UUID"
        ) from exc


def _delete_faces(session: Any, media_id: uuid.UUID) -> set[str]:
    """Delete the media's faces and crop assets; return the crops' blob keys."""
    crop_assets = select(MediaAsset.storage_key).where(
        MediaAsset.media_id == media_id, MediaAsset.type == AssetType.FACE_CROP
    )
    old_keys = set(session.scalars(crop_assets))
    session.execute(delete(Face).where(Face.media_id == media_id))
    session.execute(
        delete(MediaAsset).where(
            MediaAsset.media_id == media_id, MediaAsset.type == AssetType.FACE_CROP
        )
    )
    return old_keys


def _face_row(item: _StoredFace, request: FaceDetectRequest, model: str) -> Face:
    face, detected = item.face, item.face.face
    x, y, width, height = detected.box
    return Face(
        id=item.face_id,
        owner_id=request.user_id,
        media_id=request.media_id,
        track_id=item.track.track_id,
        time_seconds=face.time,
        box_x=x,
        box_y=y,
        box_w=width,
        box_h=height,
        landmarks=[[round(px, 2), round(py, 2)] for px, py in detected.landmarks],
        detection_score=detected.score,
        quality=face.quality.score,
        too_small=face.quality.too_small,
        embedding=face.embedding.astype("<f4").tobytes(),
        embedding_model=model,
        crop_asset_id=item.asset.id,
    )


def _result(analysis: VideoAnalysis, stored: list[_StoredFace]) -> dict[str, Any]:
    face_ids: dict[int, list[str]] = {}
    for item in stored:
        face_ids.setdefault(item.track.track_id, []).append(str(item.face_id))
    tracks = [
        {
            "track_id": track.track_id,
            "start": round(track.start, 3),
            "end": round(track.end, 3),
            "face_ids": face_ids[track.track_id],
            "best_face_id": face_ids[track.track_id][0],
            "too_small": track.too_small,
            "quality": round(track.faces[0].quality.score, 4),
        }
        for track in analysis.tracks
    ]
    return {
        "skipped": False,
        "embedding_model": analysis.embedding_model,
        "duration": round(analysis.duration, 3),
        "frames_sampled": analysis.frames_sampled,
        "tracks": tracks,
    }

"""Face tracking across sampled frames.

Faces in consecutive samples are associated by box overlap (IoU) with an
optimal one-to-one assignment (the Hungarian algorithm from SciPy). A track
also keeps a reference embedding, so a face that overlaps a track but belongs
to someone else, as at a cut between two people framed alike, starts a new
track instead of continuing the old one.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from scipy.optimize import linear_sum_assignment

from vwf.faces._detector import DetectedFace
from vwf.faces._embedder import cosine_similarity, normalize

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Return the intersection over union of two ``(x, y, width, height)`` boxes."""
    left = max(a[0], b[0])
    top = max(a[1], b[1])
    right = min(a[0] + a[2], b[0] + b[2])
    bottom = min(a[1] + a[3], b[1] + b[3])
    intersection = max(0.0, right - left) * max(0.0, bottom - top)
    union = a[2] * a[3] + b[2] * b[3] - intersection
    return intersection / union if union > 0 else 0.0


@dataclass(frozen=True)
class TrackSpan:
    """A finished track: one person's face, continuously visible."""

    track_id: int
    start: float
    """Time of the first face, in seconds from the start of the video."""
    end: float
    """Time of the last face, in seconds from the start of the video."""
    observations: int
    """Number of sampled frames in which the face was found."""


@dataclass
class _Track:
    track_id: int
    start: float
    end: float
    box: Box
    reference: np.ndarray
    reference_time: float
    observations: int = 1
    reference_count: int = 1
    suspect: bool = False
    """The last identity check disagreed with the reference."""

    def span(self) -> TrackSpan:
        return TrackSpan(self.track_id, self.start, self.end, self.observations)


class FaceTracker:
    """Assign each face of each sampled frame to a track.

    Feed frames in time order to :meth:`update`, then call :meth:`finish`.
    ``embed(i)`` passed to :meth:`update` returns the embedding of face ``i``
    of that frame. The tracker calls it only to start a track, to check a
    track's identity, and for every matched face after a scene cut. A check is
    due when the track's reference is older than ``reference_interval``, when
    the track is suspect, or when it was last seen more than ``recheck_gap``
    earlier. A cut also ends every track that no face of the new frame
    continues.
    """

    def __init__(
        self,
        *,
        min_iou: float = 0.2,
        max_gap: timedelta = timedelta(seconds=1),
        split_similarity: float = 0.3,
        reference_interval: timedelta = timedelta(seconds=1),
        recheck_gap: timedelta = timedelta(seconds=0.3),
    ) -> None:
        self._min_iou = min_iou
        self._max_gap = max_gap.total_seconds()
        self._split_similarity = split_similarity
        self._reference_interval = reference_interval.total_seconds()
        self._recheck_gap = recheck_gap.total_seconds()
        self._active: list[_Track] = []
        self._finished: list[TrackSpan] = []
        self._next_id = 0

    def update(
        self,
        time: float,
        faces: Sequence[DetectedFace],
        embed: Callable[[int], np.ndarray],
        *,
        scene_changed: bool = False,
    ) -> list[int]:
        """Track the faces of the frame at ``time`` seconds.

        Returns the track id of each face, in the order of ``faces``.
        """
        self._expire(time)
        matches = self._associate(faces)
        if scene_changed:
            self._end_unmatched(matches.values())
        embed_once = functools.cache(embed)
        track_ids: list[int] = []
        for index, face in enumerate(faces):
            track = matches.get(index)
            if track is not None:
                # After a cut or a gap, the face may belong to someone else.
                strict = scene_changed or time - track.end > self._recheck_gap
                if strict or self._needs_check(track, time):
                    track = self._verify(track, embed_once(index), time, strict)
            if track is None:
                track = self._start(face, time, embed_once(index))
            else:
                self._extend(track, face, time)
            track_ids.append(track.track_id)
        return track_ids

    def finish(self) -> list[TrackSpan]:
        """Close every active track and return all tracks, ordered by id."""
        self._finished.extend(track.span() for track in self._active)
        self._active = []
        return sorted(self._finished, key=lambda span: span.track_id)

    def _expire(self, time: float) -> None:
        for track in list(self._active):
            if time - track.end > self._max_gap:
                self._end(track)

    def _end_unmatched(self, matched: Iterable[_Track]) -> None:
        """End the tracks with no face after a cut: their scene is gone."""
        matched_ids = {track.track_id for track in matched}
        for track in list(self._active):
            if track.track_id not in matched_ids:
                self._end(track)

    def _end(self, track: _Track) -> None:
        self._active.remove(track)
        self._finished.append(track.span())

    def _associate(self, faces: Sequence[DetectedFace]) -> dict[int, _Track]:
        if not faces or not self._active:
            return {}
        overlap = np.array(
            [[iou(face.box, track.box) for track in self._active] for face in faces]
        )
        rows, columns = linear_sum_assignment(overlap, maximize=True)
        return {
            int(row): self._active[column]
            for row, column in zip(rows, columns, strict=True)
            if overlap[row, column] >= self._min_iou
        }

    def _needs_check(self, track: _Track, time: float) -> bool:
        if track.suspect:
            return True
        return time - track.reference_time >= self._reference_interval

    def _verify(
        self, track: _Track, embedding: np.ndarray, time: float, strict: bool
    ) -> _Track | None:
        """Refresh ``track``'s reference, or end it if the face is someone else.

        Unless ``strict``, one dissimilar face (blurred, covered by a hand) only
        makes the track suspect, and the split happens if the next check agrees.
        """
        similarity = cosine_similarity(track.reference, embedding)
        if similarity >= self._split_similarity:
            track.suspect = False
            self._add_to_reference(track, embedding, time)
            return track
        if not (strict or track.suspect):
            track.suspect = True
            return track

        logger.debug(
            "splitting track %d at %.2fs: similarity %.2f to its reference",
            track.track_id,
            time,
            similarity,
        )
        self._end(track)
        return None

    @staticmethod
    def _add_to_reference(track: _Track, embedding: np.ndarray, time: float) -> None:
        # The reference is the running mean of the embeddings checked so far.
        track.reference_count += 1
        weight = 1.0 / track.reference_count
        track.reference = normalize((1 - weight) * track.reference + weight * embedding)
        track.reference_time = time

    def _start(self, face: DetectedFace, time: float, embedding: np.ndarray) -> _Track:
        track = _Track(
            track_id=self._next_id,
            start=time,
            end=time,
            box=face.box,
            reference=embedding,
            reference_time=time,
        )
        self._next_id += 1
        self._active.append(track)
        return track

    @staticmethod
    def _extend(track: _Track, face: DetectedFace, time: float) -> None:
        track.box = face.box
        track.end = time
        track.observations += 1

"""The orphan-faces job: cluster faces left without a person across videos.

Recognition leaves a face unassigned when it is unsure, or when its cluster
is too small to start a new person. Once such faces are older than
``older_than``, this job clusters them per user, across videos, with density
clustering (:func:`~vwf.faces._cluster.density_clusters`). A cluster that now
matches an existing person joins it; any other cluster becomes one new
unnamed person. Isolated tracks stay unassigned for a later run.

The job takes the same per-user recognition turn as the FaceRecognize stage
and skips a busy user, so it is safe to run beside the pipeline. Each user's
changes are written in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from vwf.config import Settings
from vwf.faces._cluster import (
    TrackPoint,
    cannot_link_matrix,
    density_clusters,
    mean_embedding,
)
from vwf.faces._gallery import (
    barred_people,
    decode_embedding,
    load_exclusions,
    load_gallery,
    track_key,
)
from vwf.faces._matching import Decision, Outcome, Thresholds, assign_people
from vwf.faces._person_rows import assign_faces
from vwf.faces._turn import RecognitionTurns
from vwf.faces.errors import UserBusyError
from vwf.library import Library
from vwf.library._models import Face, Person, RecognitionResult, User, utcnow
from vwf.logcontext import log_context

logger = logging.getLogger(__name__)

DEFAULT_OLDER_THAN = timedelta(hours=72)


@dataclass(frozen=True)
class OrphanReport:
    """Outcome of the job for one user."""

    user_id: uuid.UUID
    orphan_faces: int
    """Unassigned faces old enough to be considered."""
    joined_people: int
    """Clusters added to an existing person."""
    new_people: int
    faces_assigned: int
    skipped_busy: bool = False


def run_orphan_faces(
    settings: Settings,
    older_than: timedelta = DEFAULT_OLDER_THAN,
    *,
    now: datetime | None = None,
    user_id: uuid.UUID | None = None,
    library: Library | None = None,
    thresholds: Thresholds | None = None,
) -> list[OrphanReport]:
    """Cluster the orphan faces of every user (or only ``user_id``)."""
    library = library or Library(settings.library_url)
    job = OrphanFaces(library, thresholds or Thresholds())
    return job.run(older_than, now=now or utcnow(), user_id=user_id)


class OrphanFaces:
    """The orphan-faces job over one library."""

    def __init__(
        self,
        library: Library,
        thresholds: Thresholds,
        *,
        turns: RecognitionTurns | None = None,
    ) -> None:
        self._library = library
        self._thresholds = thresholds
        self._turns = turns or RecognitionTurns(library)

    def run(
        self,
        older_than: timedelta,
        *,
        now: datetime,
        user_id: uuid.UUID | None = None,
    ) -> list[OrphanReport]:
        """Process each user in turn; a busy user is skipped and logged."""
        cutoff = now - older_than
        reports = []
        for owner_id in self._users(user_id):
            with log_context(user_id=str(owner_id)):
                reports.append(self._run_user(owner_id, cutoff))
        return reports

    def _users(self, user_id: uuid.UUID | None) -> list[uuid.UUID]:
        if user_id is not None:
            return [user_id]
        with self._library.session() as session:
            return list(session.scalars(select(User.id).order_by(User.created_at)))

    def _run_user(self, owner_id: uuid.UUID, cutoff: datetime) -> OrphanReport:
        try:
            turn = self._turns.acquire(owner_id)
        except UserBusyError as exc:
            logger.info("skipped user %s for orphan faces: %s", owner_id, exc)
            return OrphanReport(owner_id, 0, 0, 0, 0, skipped_busy=True)
        try:
            with self._library.session() as session:
                report = self._cluster_user(session, owner_id, cutoff)
                self._turns.confirm(session, turn)
        except UserBusyError as exc:
            logger.warning("orphan faces of user %s rolled back: %s", owner_id, exc)
            return OrphanReport(owner_id, 0, 0, 0, 0, skipped_busy=True)
        finally:
            self._turns.release(turn)
        logger.info(
            "orphan faces of user %s: %d considered, %d joined existing people, "
            "%d new people, %d faces assigned",
            owner_id,
            report.orphan_faces,
            report.joined_people,
            report.new_people,
            report.faces_assigned,
        )
        return report

    def _cluster_user(
        self, session: Session, owner_id: uuid.UUID, cutoff: datetime
    ) -> OrphanReport:
        faces = orphan_faces(session, owner_id, cutoff)
        tracks = _group_by_track(faces)
        points = [_track_point(key, members) for key, members in tracks.items()]
        groups = density_clusters(
            points,
            eps=self._thresholds.orphan_eps,
            min_samples=self._thresholds.orphan_min_tracks,
        )
        clustered = {i for group in groups for i in group}
        # An isolated track that now matches a person joins it, but does not
        # start a new person on its own.
        singles = [[i] for i in range(len(points)) if i not in clustered]
        members = groups + singles
        decisions = self._decide(session, owner_id, points, members)

        joined = new = assigned = 0
        for index, (group, decision) in enumerate(zip(members, decisions, strict=True)):
            group_faces = [face for i in group for face in tracks[points[i].key]]
            if decision.outcome is Outcome.MATCHED:
                person = session.get(Person, decision.person_id)
                result = RecognitionResult.MACHINE_RECOGNIZED
                assign_faces(group_faces, person, result, decision.score)
                joined += 1
            elif index < len(groups):
                _new_person(session, owner_id, group_faces)
                new += 1
            else:
                continue
            assigned += len(group_faces)
        return OrphanReport(owner_id, len(faces), joined, new, assigned)

    def _decide(
        self,
        session: Session,
        owner_id: uuid.UUID,
        points: Sequence[TrackPoint],
        members: Sequence[list[int]],
    ) -> list[Decision]:
        if not members:
            return []
        gallery = load_gallery(session, owner_id)
        centroids = np.stack(
            [mean_embedding([points[i].embedding for i in group]) for group in members]
        )
        barred = barred_people(
            centroids,
            [{points[i].key for i in group} for group in members],
            gallery.person_ids,
            load_exclusions(session, owner_id),
            self._thresholds.near_duplicate,
        )
        return assign_people(
            gallery.score(centroids, self._thresholds.top_k),
            gallery.person_ids,
            conflicts=_group_conflicts(points, members),
            barred=barred,
            thresholds=self._thresholds,
        )


def _new_person(session: Session, owner_id: uuid.UUID, faces: Sequence[Face]) -> None:
    person = Person(owner_id=owner_id)
    session.add(person)
    session.flush()
    assign_faces(faces, person, RecognitionResult.NEW_FACE, None)


def orphan_faces(session: Session, owner_id: uuid.UUID, cutoff: datetime) -> list[Face]:
    """Return faces of ``owner_id`` with no person and no result, created
    before ``cutoff``, that have an embedding and are not too small."""
    return list(
        session.scalars(
            select(Face)
            .where(
                Face.owner_id == owner_id,
                Face.person_id.is_(None),
                Face.recognition.is_(None),
                Face.embedding.is_not(None),
                Face.too_small.is_(False),
                Face.created_at < cutoff,
            )
            .order_by(Face.media_id, Face.time_seconds, Face.id)
        )
    )


def _group_by_track(
    faces: Sequence[Face],
) -> dict[tuple[uuid.UUID, object], list[Face]]:
    tracks: dict[tuple[uuid.UUID, object], list[Face]] = {}
    for face in faces:
        tracks.setdefault(track_key(face), []).append(face)
    return tracks


def _track_point(key: tuple[uuid.UUID, object], faces: Sequence[Face]) -> TrackPoint:
    # NOTE: only the stored faces' times are known here, not the detected
    # track's full span, so two tracks seen together may fail to cannot-link
    # when their kept faces come from different moments.
    times = [face.time_seconds for face in faces]
    embedding = mean_embedding([decode_embedding(face.embedding) for face in faces])
    return TrackPoint(key, embedding, key[0], min(times), max(times))


def _group_conflicts(
    points: Sequence[TrackPoint], members: Sequence[list[int]]
) -> np.ndarray:
    blocked = cannot_link_matrix(points)
    conflicts = np.zeros((len(members), len(members)), dtype=bool)
    for a, first in enumerate(members):
        for b, second in enumerate(members):
            if a != b and blocked[np.ix_(first, second)].any():
                conflicts[a, b] = True
    return conflicts


class OrphanFacesSchedule:
    """Runs the orphan-faces job every ``interval``, driven by the caller's clock.

    The long-running service calls :meth:`run_pending` periodically; the first
    call runs the job at once.
    """

    def __init__(
        self,
        interval: timedelta,
        job: Callable[[datetime], object],
    ) -> None:
        if interval <= timedelta(0):
            raise ValueError(f"invalid interval {interval}: use a positive duration")
        self.interval = interval
        self._job = job
        self.next_run: datetime | None = None

    def run_pending(self, now: datetime) -> bool:
        """Run the job if it is due at ``now``; return whether it ran."""
        if self.next_run is not None and now < self.next_run:
            return False
        self.next_run = now + self.interval
        try:
            self._job(now)
        except Exception:
            logger.exception("orphan-faces job failed; next run at %s", self.next_run)
        return True

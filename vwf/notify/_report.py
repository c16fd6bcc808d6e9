"""The content of a notification about one video: its outcome and its people."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vwf.library import (
    Face,
    Library,
    Media,
    MediaAsset,
    MediaStatus,
    Person,
    RecognitionResult,
    User,
    get_owned,
)

# Faces of one person closer than this in time belong to one appearance.
APPEARANCE_GAP_SECONDS = 2.0


@dataclass(frozen=True)
class PersonSummary:
    """One person seen in a video."""

    person_id: str
    label: str
    """The person's name, or ``new person N`` for an unnamed person."""
    name: str | None
    is_new: bool
    """The person was created from this video rather than recognised."""
    face_count: int
    time_ranges: tuple[tuple[float, float], ...]
    """Seconds from the start of the video where the person appears."""
    crop_key: str | None
    """Blob store key of a face crop of the person in this video."""


@dataclass(frozen=True)
class VideoReport:
    """The outcome of processing one video, as sent to its owner."""

    media_id: str
    owner_email: str
    title: str | None
    status: str
    failure_reason: str | None
    duration_seconds: float | None
    people: tuple[PersonSummary, ...] = field(default_factory=tuple)

    @property
    def outcome(self) -> str:
        """``failed`` for a failed video, else ``completed``."""
        return "failed" if self.status == MediaStatus.FAILED else "completed"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome
        data["people"] = [
            {**person, "time_ranges": [list(r) for r in person["time_ranges"]]}
            for person in data["people"]
        ]
        return data

    def email_subject(self) -> str:
        title = self.title or "Your video"
        if self.outcome == "failed":
            return f"{title}: processing failed"
        return f"{title} is ready"

    def email_body(self) -> str:
        lines = [f"Video {self.title or self.media_id} ({self.media_id})."]
        if self.outcome == "failed":
            lines.append(f"Processing failed: {self.failure_reason or 'unknown'}.")
            return "\n".join(lines) + "\n"
        if not self.people:
            lines.append("No people were found in it.")
        for person in self.people:
            ranges = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in person.time_ranges)
            lines.append(f"- {person.label}: {person.face_count} faces at {ranges}")
        return "\n".join(lines) + "\n"


def build_report(
    library: Library,
    owner_id: uuid.UUID | str,
    media_id: uuid.UUID | str,
    *,
    time_ranges: Mapping[str, Sequence[Sequence[float]]] | None = None,
) -> VideoReport:
    """Read the media item and the people found in it from the library.

    ``time_ranges`` (person id -> ``(start, end)`` seconds, as FaceRecognize
    returns them from whole tracks) replaces the ranges that the stored
    faces alone would give, since only a track's best faces are stored.
    """
    with library.session() as session:
        media = get_owned(session, Media, owner_id, media_id)
        owner = session.get(User, media.owner_id)
        people = _people_in(session, media.id)
    if time_ranges:
        people = tuple(_with_ranges(person, time_ranges) for person in people)
    return VideoReport(
        media_id=str(media.id),
        owner_email=owner.email,
        title=media.title,
        status=MediaStatus(media.status).value,
        failure_reason=media.failure_reason,
        duration_seconds=media.duration_seconds,
        people=people,
    )


def _with_ranges(
    person: PersonSummary, time_ranges: Mapping[str, Sequence[Sequence[float]]]
) -> PersonSummary:
    spans = time_ranges.get(person.person_id)
    if not spans:
        return person
    ranges = tuple((float(start), float(end)) for start, end in spans)
    return replace(person, time_ranges=ranges)


def people_time_ranges(recognize_result: Any) -> dict[str, list]:
    """Return person id -> time ranges from a FaceRecognize stage result."""
    if not isinstance(recognize_result, dict):
        return {}
    people = recognize_result.get("people") or []
    return {
        str(p["person_id"]): p["time_ranges"]
        for p in people
        if isinstance(p, dict) and "person_id" in p and p.get("time_ranges")
    }


def _people_in(session: Session, media_id: uuid.UUID) -> tuple[PersonSummary, ...]:
    statement = (
        select(Face, Person, MediaAsset.storage_key)
        .join(Person, Face.person_id == Person.id)
        .outerjoin(MediaAsset, Face.crop_asset_id == MediaAsset.id)
        .where(Face.media_id == media_id)
        .order_by(Face.time_seconds)
    )
    by_person: dict[uuid.UUID, list[tuple[Face, Person, str | None]]] = {}
    for face, person, crop_key in session.execute(statement):
        by_person.setdefault(person.id, []).append((face, person, crop_key))

    summaries = []
    unnamed = 0
    for rows in by_person.values():
        person = rows[0][1]
        if person.name is None:
            unnamed += 1
        summaries.append(_summarize(rows, unnamed))
    return tuple(summaries)


def _summarize(
    rows: list[tuple[Face, Person, str | None]], unnamed_number: int
) -> PersonSummary:
    person = rows[0][1]
    faces = [face for face, _, _ in rows]
    best_crop = max(rows, key=lambda row: row[0].quality or 0.0)[2]
    return PersonSummary(
        person_id=str(person.id),
        label=person.name or f"new person {unnamed_number}",
        name=person.name,
        is_new=any(face.recognition == RecognitionResult.NEW_FACE for face in faces),
        face_count=len(faces),
        time_ranges=_appearances(face.time_seconds for face in faces),
        crop_key=best_crop,
    )


def _appearances(times: Iterable[float]) -> tuple[tuple[float, float], ...]:
    ranges: list[tuple[float, float]] = []
    for time in sorted(times):
        if ranges and time - ranges[-1][1] <= APPEARANCE_GAP_SECONDS:
            ranges[-1] = (ranges[-1][0], time)
        else:
            ranges.append((time, time))
    return tuple(ranges)

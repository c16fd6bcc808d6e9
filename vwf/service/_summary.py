"""The outcome of one processed video, as `vwf process` prints it."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from vwf.notify import PersonSummary
from vwf.service._history import StageProgress
from vwf.storage import BlobNotFoundError, BlobStore

logger = logging.getLogger(__name__)

SHEET_TILE = 160
"""Side in pixels of one face in a video's people sheet."""


@dataclass(frozen=True)
class PersonResult:
    """One person found in a video, with a face crop on local disk."""

    label: str
    name: str | None
    is_new: bool
    face_count: int
    time_ranges: tuple[tuple[float, float], ...]
    crop_path: str | None


@dataclass(frozen=True)
class VideoResult:
    """The outcome of one submitted video."""

    source: str
    media_id: str | None
    status: str
    """The media status (``complete``, ``failed``, ...) or ``rejected`` when the
    video was not accepted (e.g. a duplicate)."""
    reason: str | None = None
    duration_seconds: float | None = None
    people: tuple[PersonResult, ...] = ()
    stages: tuple[StageProgress, ...] = ()
    people_sheet: str | None = None
    """PNG with a labelled face of each person."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.status == "complete"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["stages"] = [
            {
                "stage": stage.stage,
                "status": stage.status,
                "attempts": stage.attempts,
                "seconds": stage.seconds,
            }
            for stage in self.stages
        ]
        data.pop("extra")
        return data


def export_people(
    store: BlobStore, people: tuple[PersonSummary, ...], directory: Path
) -> tuple[tuple[PersonResult, ...], str | None]:
    """Copy one face crop per person to ``directory`` and draw a people sheet."""
    directory.mkdir(parents=True, exist_ok=True)
    results = []
    for number, person in enumerate(people, start=1):
        crop_path = _export_crop(store, person, directory / f"person-{number}.jpg")
        results.append(
            PersonResult(
                label=person.label,
                name=person.name,
                is_new=person.is_new,
                face_count=person.face_count,
                time_ranges=person.time_ranges,
                crop_path=str(crop_path) if crop_path else None,
            )
        )
    sheet = _draw_sheet(results, directory / "people.png") if results else None
    return tuple(results), str(sheet) if sheet else None


def _export_crop(store: BlobStore, person: PersonSummary, path: Path) -> Path | None:
    if person.crop_key is None:
        return None
    try:
        store.download(person.crop_key, path)
    except BlobNotFoundError:
        logger.warning(
            "face crop %s of person %s is missing", person.crop_key, person.person_id
        )
        return None
    return path


def _draw_sheet(people: list[PersonResult], path: Path) -> Path:
    label_height = 24
    sheet = Image.new(
        "RGB", (SHEET_TILE * len(people), SHEET_TILE + label_height), "white"
    )
    draw = ImageDraw.Draw(sheet)
    for index, person in enumerate(people):
        left = index * SHEET_TILE
        if person.crop_path:
            with Image.open(person.crop_path) as crop:
                tile = crop.convert("RGB")
                tile.thumbnail((SHEET_TILE, SHEET_TILE))
                sheet.paste(tile, (left + (SHEET_TILE - tile.width) // 2, 0))
        draw.text((left + 4, SHEET_TILE + 4), person.label, fill="black")
    sheet.save(path)
    return path

"""Measure recognition accuracy on the shared photos and videos.

Three evaluations, each with the default :class:`vwf.faces.Thresholds`:

1. Photo pairs: every pair of the portrait photos in ``photos/people``
   (largest face of each), called "same person" when the cosine similarity
   of the SFace embeddings reaches the ``match`` threshold.
2. Clip pairs: for each person with two photos, ffmpeg makes a still clip of
   each, and both go through FaceDetect and FaceRecognize in an empty
   library. The second clip must match the person the first one created,
   otherwise the person is split. A side-by-side clip of two people must
   give two people, otherwise they are merged.
3. The White House clip, with the people imported from ``photos/people``:
   the labelled faces of its last shot (three front-row people) must each
   get one person, and no person may hold two labelled people.

    .venv/bin/python bench/face_accuracy.py [--shared-data PATH]

The output is the Markdown table recorded in ``docs/benchmarks.md``, plus
the similarity ranges used in ``docs/recognition.md``.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select

from vwf.config import load_settings
from vwf.faces import (
    DirectorySource,
    FaceModels,
    PeopleImporter,
    Thresholds,
    load_image,
)
from vwf.library import Face, Library, Media, MediaStatus, Person
from vwf.pipeline.facedetect import FaceDetectActivity
from vwf.pipeline.facerecognize import FaceRecognizeActivity
from vwf.storage import LocalBlobStore, keys
from vwf.workflow import ActivityContext

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Box centres (x, y) in the last shot of white_house_music_10s.mp4, which
# starts 7.2 s after its first frame; identified by eye.
LAST_SHOT_START = 7.1
FRONT_ROW = {
    "woman_left": (203, 130),
    "barack_obama": (355, 92),
    "woman_right": (415, 133),
}
SIDE_BY_SIDE = [("barack_obama", "joe_biden"), ("kit_harington", "rose_leslie")]


@dataclass
class Tally:
    """Correct decisions out of all, with the failures named."""

    correct: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, ok: bool, label: str) -> None:
        self.total += 1
        self.correct += ok
        if not ok:
            self.failures.append(label)

    def cell(self) -> str:
        return f"{self.correct}/{self.total}"


class Pipeline:
    """FaceDetect and FaceRecognize over a fresh library in ``home``."""

    def __init__(self, home: Path, models: FaceModels) -> None:
        self.settings = load_settings(environ={}, home=home)
        self.library = Library(self.settings.library_url)
        self.library.migrate()
        self.store = LocalBlobStore(home / "blobs")
        self.owner = self.library.users.get_or_create("bench@example.com").id
        self.models = models
        self.detect = FaceDetectActivity(
            self.settings, models=models, library=self.library, store=self.store
        )
        self.recognize = FaceRecognizeActivity(self.settings, library=self.library)

    def import_people(self, folder: Path) -> None:
        importer = PeopleImporter(
            self.library, self.store, self.owner, models=self.models
        )
        importer.run(DirectorySource(folder))

    def process(self, video: Path) -> tuple[uuid.UUID, dict]:
        media_id = uuid.uuid4()
        with self.library.session() as session:
            session.add(
                Media(id=media_id, owner_id=self.owner, status=MediaStatus.VISIBLE)
            )
        self.store.put_file(keys.video_key(self.owner, media_id), video)
        stage_input = {"media_id": str(media_id), "user_id": str(self.owner)}
        detected = self.detect(stage_input, ActivityContext.detached())
        result = self.recognize(
            {**stage_input, "FaceDetect": detected}, ActivityContext.detached()
        )
        return media_id, result


def embed_portraits(people: Path, models: FaceModels) -> list[tuple[str, np.ndarray]]:
    """Return ``(person, embedding)`` of the largest face of each photo."""
    found = []
    for path in sorted(people.glob("*/*")):
        image = load_image(path)
        faces = models.detect(image)
        if faces:
            face = max(faces, key=lambda f: f.box[2] * f.box[3])
            found.append((path.parent.name, models.embed(image, face)))
    return found


def photo_pairs(portraits, thresholds: Thresholds) -> tuple[Tally, dict]:
    """Score every photo pair at the match threshold; return similarity ranges."""
    tally = Tally()
    same, different = [], []
    for (name_a, a), (name_b, b) in itertools.combinations(portraits, 2):
        similarity = float(a @ b)
        is_same = name_a == name_b
        (same if is_same else different).append(similarity)
        tally.add((similarity >= thresholds.match) == is_same, f"{name_a}/{name_b}")
    ranges = {
        "same": (min(same), float(np.median(same)), max(same)),
        "different": (min(different), float(np.median(different)), max(different)),
    }
    return tally, ranges


def still_clip(photos: list[Path], output: Path, seconds: float = 2) -> Path:
    """Make an H.264 clip of ``photos`` side by side, held for ``seconds``."""
    inputs = []
    for photo in photos:
        inputs += ["-loop", "1", "-t", str(seconds), "-i", str(photo)]
    scaled = "".join(f"[{i}]scale=-2:360[v{i}];" for i in range(len(photos)))
    joined = "".join(f"[v{i}]" for i in range(len(photos)))
    graph = f"{scaled}{joined}hstack=inputs={len(photos)},scale=trunc(iw/2)*2:360"
    if len(photos) == 1:
        graph = "[0]scale=-2:360,scale=trunc(iw/2)*2:360"
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-y", *inputs,
        "-filter_complex", graph, "-c:v", "libx264", "-preset", "veryfast",
        "-pix_fmt", "yuv420p", "-r", "25", str(output),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=300)
    return output


def clip_pairs(people: Path, work: Path, models: FaceModels) -> tuple[Tally, Tally]:
    """Return (same person across two clips, two people side by side) tallies."""
    split = Tally()
    for folder in sorted(p for p in people.iterdir() if p.is_dir()):
        photos = sorted(folder.iterdir())[:2]
        if len(photos) < 2:
            continue
        pipeline = Pipeline(work / f"split-{folder.name}", models)
        first = pipeline.process(still_clip([photos[0]], work / f"{folder.name}-a.mp4"))
        second = pipeline.process(
            still_clip([photos[1]], work / f"{folder.name}-b.mp4")
        )
        kept = _people_ids(first[1]) & _people_ids(second[1])
        split.add(len(kept) == 1, folder.name)

    merged = Tally()
    for left, right in SIDE_BY_SIDE:
        pipeline = Pipeline(work / f"merge-{left}-{right}", models)
        photos = [people / left / "01.jpg", people / right / "01.jpg"]
        _, result = pipeline.process(still_clip(photos, work / f"{left}-{right}.mp4"))
        merged.add(len(result["people"]) == 2, f"{left}+{right}")
    return split, merged


def white_house(
    shared_data: Path, work: Path, models: FaceModels
) -> tuple[dict[str, Tally], int]:
    """Check the known and new people of the White House clip's last shot;
    also return the number of new people the clip created."""
    pipeline = Pipeline(work / "white-house", models)
    pipeline.import_people(shared_data / "photos/people")
    media_id, result = pipeline.process(
        shared_data / "videos/white_house_music_10s.mp4"
    )

    with pipeline.library.session() as session:
        faces = session.scalars(select(Face).where(Face.media_id == media_id)).all()
        names = {p.id: p.name for p in session.scalars(select(Person))}
    people_of: dict[str, set] = {label: set() for label in FRONT_ROW}
    labels_of: dict[uuid.UUID, set[str]] = {}
    for face in faces:
        label = _label(face)
        if label and face.person_id:
            people_of[label].add(face.person_id)
            labels_of.setdefault(face.person_id, set()).add(label)

    tallies = {"known": Tally(), "split": Tally(), "merged": Tally()}
    found = {person["name"] for person in result["people"]}
    for name in ("lin_manuel_miranda", "barack_obama"):
        tallies["known"].add(name in found, name)
    for label, person_ids in people_of.items():
        tallies["split"].add(len(person_ids) == 1, label)
    for person_id, labels in labels_of.items():
        tallies["merged"].add(len(labels) == 1, str(names.get(person_id)))
    new_people = sum(person["new"] for person in result["people"])
    return tallies, new_people


def _label(face: Face) -> str | None:
    if face.time_seconds < LAST_SHOT_START:
        return None
    x = face.box_x + face.box_w / 2
    y = face.box_y + face.box_h / 2
    for label, (label_x, label_y) in FRONT_ROW.items():
        if abs(x - label_x) < 30 and abs(y - label_y) < 30:
            return label
    return None


def _people_ids(result: dict) -> set[str]:
    return {person["person_id"] for person in result["people"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=SHARED_DATA)
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    models = FaceModels.default()
    thresholds = Thresholds()
    people = arguments.shared_data / "photos/people"

    pairs, ranges = photo_pairs(embed_portraits(people, models), thresholds)
    with tempfile.TemporaryDirectory(prefix="vwf-accuracy-") as directory:
        work = Path(directory)
        split, merged = clip_pairs(people, work, models)
        house, new_people = white_house(arguments.shared_data, work, models)

    print("| evaluation | correct | failures |")
    print("|---|---|---|")
    rows = [
        ("photo pairs at match threshold", pairs),
        ("clip pairs: same person, two videos (not split)", split),
        ("clip pairs: two people side by side (not merged)", merged),
        ("White House: known people found", house["known"]),
        ("White House: front-row people not split", house["split"]),
        ("White House: people not merged", house["merged"]),
    ]
    for name, tally in rows:
        print(f"| {name} | {tally.cell()} | {', '.join(tally.failures) or '-'} |")
    print()
    print(f"White House clip: {new_people} new unnamed people")
    for kind, (low, median, high) in ranges.items():
        print(
            f"{kind}-person photo pairs: min {low:.3f}, median {median:.3f}, "
            f"max {high:.3f}"
        )


if __name__ == "__main__":
    main()

"""``vwf people ...`` and ``vwf orphan-faces``: manage recognised people."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from vwf.cli._params import DURATION
from vwf.errors import VwfError

T = TypeVar("T")

_user_option = click.option(
    "--user",
    "email",
    required=True,
    metavar="EMAIL",
    help="Email of the user whose people to manage.",
)


def _context(email: str, *, create_user: bool = False) -> dict[str, Any]:
    from vwf.config import load_settings
    from vwf.faces._people import People, find_user_id
    from vwf.library import Library
    from vwf.storage import open_store

    settings = load_settings()
    library = Library(settings.library_url)
    library.migrate()
    if create_user:
        owner_id = library.users.get_or_create(email).id
    else:
        owner_id = find_user_id(library, email)
    store = open_store(settings.storage_url)
    return {
        "settings": settings,
        "library": library,
        "store": store,
        "owner_id": owner_id,
        "people": People(library, owner_id, store=store),
    }


def _run(action: Callable[[], T]) -> T:
    # Turn vwf's own errors into a one-line message and exit status 1.
    try:
        return action()
    except VwfError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def people() -> None:
    """List, name, merge, split and import the people in a user's videos."""


@people.command("list")
@_user_option
def list_people(email: str) -> None:
    """List every person with their face and video counts."""

    def action() -> None:
        rows = _context(email)["people"].list()
        if not rows:
            click.echo("no people yet")
        for person in rows:
            click.echo(
                f"{person.id}  {person.name or '(unnamed)'}  "
                f"{person.face_count} faces in {person.media_count} media"
            )

    _run(action)


@people.command()
@click.argument("person_id", metavar="PERSON")
@click.option(
    "--contact-sheet",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a PNG grid of the person's face crops to this path.",
)
@_user_option
def show(person_id: str, contact_sheet: Path | None, email: str) -> None:
    """Show one person and their faces, best quality first."""

    def action() -> None:
        context = _context(email)
        detail = context["people"].get(person_id)
        person = detail.person
        click.echo(f"{person.id}  {person.name or '(unnamed)'}")
        click.echo(f"{person.face_count} faces in {person.media_count} media")
        for face in detail.faces:
            quality = "-" if face.quality is None else f"{face.quality:.3f}"
            click.echo(
                f"  face {face.id}  media {face.media_id}  "
                f"{face.time_seconds:7.2f}s  {face.recognition}  quality {quality}"
            )
        if contact_sheet is not None:
            drawn = context["people"].contact_sheet(
                person_id, contact_sheet, context["store"].get_bytes
            )
            click.echo(f"wrote {drawn} face crops to {contact_sheet}")

    _run(action)


@people.command()
@click.argument("person_id", metavar="PERSON")
@click.argument("name")
@_user_option
def name(person_id: str, name: str, email: str) -> None:
    """Set the NAME of PERSON."""
    person = _run(lambda: _context(email)["people"].rename(person_id, name))
    click.echo(f"named person {person.id} {person.name!r}")


@people.command()
@click.argument("source_id", metavar="SOURCE")
@click.argument("target_id", metavar="TARGET")
@_user_option
def merge(source_id: str, target_id: str, email: str) -> None:
    """Merge person SOURCE into person TARGET and delete SOURCE."""
    person = _run(lambda: _context(email)["people"].merge(source_id, target_id))
    click.echo(f"merged into person {person.id}: {person.face_count} faces")


@people.command()
@click.argument("face_ids", nargs=-1, required=True, metavar="FACE...")
@click.option("--to", "target_id", metavar="PERSON", help="Person to move to.")
@click.option("--new", "to_new", is_flag=True, help="Move to a new unnamed person.")
@_user_option
def move(
    face_ids: tuple[str, ...], target_id: str | None, to_new: bool, email: str
) -> None:
    """Move only the given faces to another person (--to) or a new one (--new)."""
    if (target_id is None) == (not to_new):
        raise click.UsageError("pass exactly one of --to PERSON or --new")
    person = _run(lambda: _context(email)["people"].move_faces(face_ids, target_id))
    click.echo(f"moved {len(face_ids)} faces to person {person.id}")


@people.command()
@click.argument("person_id", metavar="PERSON")
@click.argument("face_ids", nargs=-1, required=True, metavar="FACE...")
@_user_option
def split(person_id: str, face_ids: tuple[str, ...], email: str) -> None:
    """Move the given faces of PERSON to a new unnamed person."""
    person = _run(lambda: _context(email)["people"].split(person_id, face_ids))
    click.echo(f"split {len(face_ids)} faces into new person {person.id}")


@people.command()
@click.argument("face_id", metavar="FACE")
@click.option(
    "--person",
    "person_id",
    required=True,
    metavar="PERSON",
    help="The person this face is not.",
)
@_user_option
def reject(face_id: str, person_id: str, email: str) -> None:
    """Record that FACE is not --person, so recognition never gives it that person."""
    _run(lambda: _context(email)["people"].reject(face_id, person_id))
    click.echo(f"face {face_id} will not be matched to person {person_id} again")


@people.command()
@click.argument("person_id", metavar="PERSON", required=False)
@click.option("--media", "media_id", metavar="MEDIA", help="Delete this video's faces.")
@click.option(
    "--keep-faces",
    is_flag=True,
    help="Keep the person's faces, unassigned, instead of deleting them.",
)
@_user_option
def delete(
    person_id: str | None, media_id: str | None, keep_faces: bool, email: str
) -> None:
    """Delete PERSON, or the faces of one video (--media), or both combined:
    PERSON's faces in that video."""
    if person_id is None and media_id is None:
        raise click.UsageError("pass PERSON, --media MEDIA or both")

    def action() -> int:
        people_api = _context(email)["people"]
        if media_id is not None:
            return people_api.delete_media_faces(media_id, person_id)
        return people_api.delete(person_id, keep_faces=keep_faces)

    count = _run(action)
    click.echo(f"deleted; {count} faces affected")


@people.command("import")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@_user_option
def import_people(directory: Path, email: str) -> None:
    """Import DIRECTORY with one folder of photos per person (the folder name
    is the person's name). Importing the same photos again adds nothing."""

    def action():
        from vwf.faces._import import DirectorySource, PeopleImporter

        context = _context(email, create_user=True)
        importer = PeopleImporter(
            context["library"], context["store"], context["owner_id"]
        )
        return importer.run(DirectorySource(directory))

    report = _run(action)
    click.echo(
        f"imported {len(report.imported)} photos, {len(report.already_imported)} "
        f"already imported, created {len(report.people_created)} people"
    )
    for source in report.without_face:
        click.echo(f"no face found in {source}", err=True)
    for source in report.unreadable:
        click.echo(f"cannot read {source}", err=True)


@click.command("orphan-faces")
@click.option(
    "--older-than",
    default="72h",
    show_default=True,
    type=DURATION,
    help="Only faces detected at least this long ago (s, m, h or d, e.g. 72h).",
)
@click.option("--user", "email", metavar="EMAIL", help="Only this user's faces.")
def orphan_faces(older_than: timedelta, email: str | None) -> None:
    """Cluster faces left without a person into people, per user."""

    def action():
        from vwf.config import load_settings
        from vwf.faces._orphans import run_orphan_faces
        from vwf.faces._people import find_user_id
        from vwf.library import Library

        settings = load_settings()
        library = Library(settings.library_url)
        library.migrate()
        user_id: uuid.UUID | None = None
        if email is not None:
            user_id = find_user_id(library, email)
        return run_orphan_faces(settings, older_than, user_id=user_id, library=library)

    for report in _run(action):
        status = (
            "busy, skipped"
            if report.skipped_busy
            else (
                f"{report.orphan_faces} orphan faces, {report.joined_people} joined "
                f"people, {report.new_people} new people"
            )
        )
        click.echo(f"user {report.user_id}: {status}")

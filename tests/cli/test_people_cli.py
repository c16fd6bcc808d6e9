"""Tests of ``vwf people ...`` and ``vwf orphan-faces`` through click."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from click.testing import CliRunner
from PIL import Image

from vwf.cli import main
from vwf.cli._params import DURATION
from vwf.config import load_settings
from vwf.faces._people import People, find_user_id
from vwf.library import Library

EMAIL = "ada@example.com"


def _vwf(*arguments: str):
    result = CliRunner().invoke(main, list(arguments), catch_exceptions=False)
    return result


@pytest.fixture
def imported(vwf_home, shared_data, tmp_path):
    """A user whose people were imported from two shared photo folders."""
    root = tmp_path / "people"
    for person in ("grace_hopper", "eileen_collins"):
        shutil.copytree(shared_data / "photos/people" / person, root / person)
    result = _vwf("people", "import", str(root), "--user", EMAIL)
    assert result.exit_code == 0, result.output
    library = Library(load_settings().library_url)
    yield People(library, find_user_id(library, EMAIL))
    library.dispose()


@pytest.mark.shared_data
def test_import_then_list(imported):
    result = _vwf("people", "list", "--user", EMAIL)

    assert result.exit_code == 0
    assert "grace_hopper" in result.output
    assert "eileen_collins" in result.output


@pytest.mark.shared_data
def test_import_again_reports_already_imported(imported, tmp_path):
    result = _vwf("people", "import", str(tmp_path / "people"), "--user", EMAIL)

    assert "imported 0 photos, 2 already imported" in result.output


@pytest.mark.shared_data
def test_name_and_show_with_contact_sheet(imported, tmp_path):
    person = imported.list()[0]
    sheet = tmp_path / "sheet.png"

    renamed = _vwf("people", "name", str(person.id), "Grace Hopper", "--user", EMAIL)
    shown = _vwf(
        "people", "show", str(person.id), "--contact-sheet", str(sheet), "--user", EMAIL
    )

    assert renamed.exit_code == 0
    assert "Grace Hopper" in shown.output
    assert "wrote 1 face crops" in shown.output
    with Image.open(sheet) as image:
        assert image.format == "PNG"


@pytest.mark.shared_data
def test_merge_then_split(imported):
    first, second = imported.list()
    merged = _vwf("people", "merge", str(first.id), str(second.id), "--user", EMAIL)
    faces = [face.id for face in imported.get(second.id).faces]

    split = _vwf("people", "split", str(second.id), str(faces[0]), "--user", EMAIL)

    assert merged.exit_code == 0
    assert "2 faces" in merged.output
    assert split.exit_code == 0
    assert len(imported.list()) == 2


@pytest.mark.shared_data
def test_move_requires_one_target(imported):
    person = imported.list()[0]
    face = imported.get(person.id).faces[0].id

    result = _vwf("people", "move", str(face), "--user", EMAIL)

    assert result.exit_code == 2
    assert "exactly one of --to PERSON or --new" in result.output


@pytest.mark.shared_data
def test_reject_and_delete(imported):
    first, second = imported.list()
    face = imported.get(first.id).faces[0].id

    rejected = _vwf(
        "people", "reject", str(face), "--person", str(first.id), "--user", EMAIL
    )
    deleted = _vwf("people", "delete", str(second.id), "--user", EMAIL)

    assert rejected.exit_code == 0
    assert deleted.exit_code == 0
    assert [p.name for p in imported.list()] == [first.name]


def test_unknown_user_is_clear_error(vwf_home):
    result = _vwf("people", "list", "--user", "nobody@example.com")

    assert result.exit_code == 1
    assert "user nobody@example.com not found" in result.output


@pytest.mark.shared_data
def test_unknown_person_is_clear_error(imported):
    result = _vwf("people", "show", "not-a-uuid", "--user", EMAIL)

    assert result.exit_code == 1
    assert "person not-a-uuid not found" in result.output


@pytest.mark.shared_data
def test_orphan_faces_reports_per_user(imported):
    result = _vwf("orphan-faces", "--older-than", "1s", "--user", EMAIL)

    assert result.exit_code == 0
    assert "0 orphan faces" in result.output


def test_orphan_faces_rejects_bad_duration(vwf_home):
    result = _vwf("orphan-faces", "--older-than", "soon")

    assert result.exit_code == 2
    assert "invalid duration 'soon'" in result.output


def test_duration_type_units():
    assert DURATION.convert("72h", None, None) == timedelta(hours=72)
    assert DURATION.convert("90s", None, None) == timedelta(seconds=90)
    assert DURATION.convert("1.5d", None, None) == timedelta(hours=36)


@pytest.mark.shared_data
def test_delete_media_faces(imported):
    person = imported.list()[0]
    media = imported.get(person.id).faces[0].media_id

    result = _vwf("people", "delete", "--media", str(media), "--user", EMAIL)

    assert result.exit_code == 0
    assert "1 faces affected" in result.output
    # A named person stays, without faces, until deleted by name.
    remaining = {p.id: p for p in imported.list()}
    assert remaining[person.id].face_count == 0


def test_delete_needs_person_or_media(vwf_home):
    result = _vwf("people", "delete", "--user", EMAIL)

    assert result.exit_code == 2
    assert "pass PERSON, --media MEDIA or both" in result.output

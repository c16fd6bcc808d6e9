"""``vwf submit`` with the embedded engine in a temporary VWF_HOME."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.media.clips import ClipFactory
from vwf.cli import main


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    return ClipFactory(tmp_path_factory.mktemp("clips"))


def test_submit_prints_media_and_workflow(vwf_home: Path, clips) -> None:
    result = CliRunner().invoke(
        main, ["submit", str(clips("base.mp4")), "--user", "a@example.com"]
    )

    assert result.exit_code == 0, result.output
    media = re.search(r"^media ([0-9a-f-]{36})$", result.output, re.MULTILINE)
    assert media is not None
    assert f"workflow {media.group(1)} run " in result.output


def test_submit_duplicate_exits_with_message(vwf_home: Path, clips) -> None:
    args = ["submit", str(clips("base.mp4")), "--user", "a@example.com"]
    CliRunner().invoke(main, args)

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 1
    assert "already submitted as media" in result.output


def test_submit_audio_only_exits_with_message(vwf_home: Path, clips) -> None:
    result = CliRunner().invoke(
        main, ["submit", str(clips("audio_only.m4a")), "--user", "a@example.com"]
    )

    assert result.exit_code == 1
    assert "audio only" in result.output


def test_submit_requires_user(vwf_home: Path, clips) -> None:
    result = CliRunner().invoke(main, ["submit", str(clips("base.mp4"))])

    assert result.exit_code == 2
    assert "--user" in result.output

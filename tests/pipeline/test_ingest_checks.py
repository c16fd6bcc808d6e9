"""Submit rejects bad titles, directories and empty files before storing."""

import pytest

from vwf.config import load_settings
from vwf.pipeline.errors import InvalidSourceError, SubmitError
from vwf.pipeline.ingest import MAX_TITLE_LENGTH, check_title, submit


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("\udcff\udcfe bad", "not valid text"),
        ("x" * (MAX_TITLE_LENGTH + 1), "at most 500 characters"),
        ("line\nbreak", "control characters"),
    ],
)
def test_check_title_rejects(title, message):
    with pytest.raises(SubmitError, match=message):
        check_title(title)


def test_check_title_strips_and_keeps_unicode():
    assert check_title("  Zoë's party 🎉  ") == "Zoë's party 🎉"
    assert check_title("   ") is None


def test_submit_directory_is_rejected(vwf_home, tmp_path):
    with pytest.raises(InvalidSourceError, match="is a directory"):
        submit(load_settings(), tmp_path, "ada@example.com")


def test_submit_empty_file_is_rejected(vwf_home, tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")

    with pytest.raises(InvalidSourceError, match="is empty"):
        submit(load_settings(), empty, "ada@example.com")


def test_submit_bad_title_stores_nothing(vwf_home, tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"not checked yet")

    with pytest.raises(SubmitError, match="invalid title"):
        submit(load_settings(), video, "ada@example.com", title="a\x07b")

    assert not (vwf_home / "media").exists()

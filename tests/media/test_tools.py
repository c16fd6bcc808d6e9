from __future__ import annotations

from pathlib import Path

import pytest

from vwf.media import InvalidMediaError, ToolError
from vwf.media._tools import _raise_for_status, _read_out_time, run_ffmpeg


def test_run_ffmpeg_reports_progress(tmp_path: Path) -> None:
    seen: list[float] = []
    # -re reads the input at its own rate, so encoding 3 s takes about 3 s.
    args = ["-re", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=3"]
    args += ["-y", str(tmp_path / "out.mp4")]

    run_ffmpeg(args, progress_file=tmp_path / "progress.txt", on_progress=seen.append)

    assert len(seen) >= 1
    assert seen == sorted(seen)


def test_read_out_time_uses_last_value(tmp_path: Path) -> None:
    progress = tmp_path / "progress.txt"
    progress.write_text("out_time_us=1000000\nprogress=continue\nout_time_us=2500000\n")

    assert _read_out_time(progress) == 2.5


def test_read_out_time_missing_file(tmp_path: Path) -> None:
    assert _read_out_time(tmp_path / "none.txt") is None


def test_signal_exit_is_tool_error() -> None:
    with pytest.raises(ToolError, match="killed by signal 9"):
        _raise_for_status(-9, "")


def test_input_error_is_invalid_media() -> None:
    stderr = "x.mp4: Invalid data found when processing input\n"

    with pytest.raises(InvalidMediaError, match="cannot be decoded"):
        _raise_for_status(1, stderr)


def test_other_exit_is_tool_error() -> None:
    with pytest.raises(ToolError, match="exit status 1: Unknown encoder"):
        _raise_for_status(1, "Unknown encoder 'libfoo'\n")


def test_run_ffmpeg_bad_option_is_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError):
        run_ffmpeg(["-no-such-option", str(tmp_path / "out.mp4")])

"""Run ffmpeg and the checker as child processes, with progress reporting."""

from __future__ import annotations

import functools
import logging
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from vwf.media.errors import InvalidMediaError, ToolError

logger = logging.getLogger(__name__)

FFMPEG = "ffmpeg"

# ffmpeg messages that mean the input, not ffmpeg, is at fault.
_INPUT_ERROR_MARKERS = (
    "Invalid data found when processing input",
    "moov atom not found",
    "could not find codec parameters",
    "Output file is empty, nothing was encoded",
    "does not contain any stream",
    "error while decoding",
    "Error while decoding",
)


class ProcessRunner(Protocol):
    """Runs a child process to completion, like ``subprocess.run`` or
    ``ActivityContext.run_process``."""

    def __call__(
        self, args: Sequence[str], *, check: bool = ..., **popen_kwargs: Any
    ) -> subprocess.CompletedProcess: ...


ProgressCallback = Callable[[float], None]
"""Called with the seconds of output written so far."""


def run_ffmpeg(
    args: Sequence[str],
    *,
    runner: ProcessRunner = subprocess.run,
    progress_file: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> str:
    """Run ffmpeg with ``args`` (without the program name); return its stderr.

    With ``progress_file`` and ``on_progress``, ffmpeg writes ``-progress``
    lines to the file and a thread reports the output time once a second.
    Raises :class:`InvalidMediaError` when ffmpeg rejects the input and
    :class:`ToolError` for other failures (missing binary, crash, signal).
    """
    command = [FFMPEG, "-hide_banner", "-nostdin", "-nostats", "-v", "error"]
    if progress_file is not None:
        command += ["-progress", str(progress_file)]
    command += list(args)
    watcher = _ProgressWatcher(progress_file, on_progress)
    watcher.start()
    try:
        completed = _run(runner, command)
    finally:
        watcher.stop()
    stderr = completed.stderr.decode(errors="replace")
    _raise_for_status(completed.returncode, stderr)
    return stderr


def _run(runner: ProcessRunner, command: list[str]) -> subprocess.CompletedProcess:
    try:
        return runner(
            command,
            check=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except FileNotFoundError as exc:
        raise ToolError(f"{command[0]} not found: install ffmpeg") from exc


def _raise_for_status(returncode: int, stderr: str) -> None:
    if returncode == 0:
        return
    last_line = _last_line(stderr) or f"exit status {returncode}"
    if returncode < 0:
        raise ToolError(f"ffmpeg was killed by signal {-returncode}: {last_line}")
    if any(marker in stderr for marker in _INPUT_ERROR_MARKERS):
        raise InvalidMediaError(f"the video cannot be decoded ({last_line})")
    raise ToolError(f"ffmpeg failed with exit status {returncode}: {last_line}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


class _ProgressWatcher:
    """Polls an ffmpeg ``-progress`` file and reports ``out_time_us``."""

    def __init__(self, path: Path | None, callback: ProgressCallback | None) -> None:
        self._path = path
        self._callback = callback
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        if self._path is not None and self._callback is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _poll(self) -> None:
        assert self._path is not None and self._callback is not None
        last_reported = -1.0
        while not self._stopped.wait(1.0):
            seconds = _read_out_time(self._path)
            if seconds is not None and seconds != last_reported:
                last_reported = seconds
                try:
                    self._callback(seconds)
                except Exception:
                    logger.exception("progress callback failed")


def _read_out_time(path: Path) -> float | None:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return None
    for line in reversed(text.splitlines()):
        key, _, value = line.partition("=")
        if key == "out_time_us" and value.strip().lstrip("-").isdigit():
            return max(0.0, int(value) / 1_000_000)
    return None


@functools.cache
def available_filters() -> frozenset[str]:
    """Return the names of the filters this ffmpeg build has."""
    try:
        completed = subprocess.run(
            [FFMPEG, "-hide_banner", "-filters"], capture_output=True, check=False
        )
    except FileNotFoundError as exc:
        raise ToolError(f"{FFMPEG} not found: install ffmpeg") from exc
    names = set()
    for line in completed.stdout.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 3 and "->" in parts[2]:
            names.add(parts[1])
    return frozenset(names)


@functools.cache
def available_encoders() -> frozenset[str]:
    """Return the names of the encoders this ffmpeg build has."""
    completed = subprocess.run(
        [FFMPEG, "-hide_banner", "-encoders"], capture_output=True, check=False
    )
    names = set()
    for line in completed.stdout.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return frozenset(names)

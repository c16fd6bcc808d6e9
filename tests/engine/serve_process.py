"""``vwf engine serve`` as a child process, for tests that signal or kill it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

_LISTENING = re.compile(r"listening on (http://\S+)")


class ServeProcess:
    """Starts ``python -m vwf engine serve --port 0`` and learns its URL from
    the log. Standard error is drained on a thread into :attr:`log_lines`."""

    def __init__(
        self,
        database_url: str | None,
        *extra_args: str,
        env: Mapping[str, str] | None = None,
    ) -> None:
        command = [sys.executable, "-m", "vwf", "engine", "serve", "--port", "0"]
        command += ["--metrics-port", "0"]
        if database_url is not None:
            command += ["--database", database_url]
        self.process = subprocess.Popen(
            [*command, *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.log_lines: list[str] = []
        self._url_found = threading.Event()
        self.url: str | None = None
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        for line in self.process.stderr:
            self.log_lines.append(line)
            match = _LISTENING.search(line)
            if match and self.url is None:
                self.url = match.group(1)
                self._url_found.set()
        self._url_found.set()

    def wait_listening(self, timeout: float = 30.0) -> str:
        """Return the server URL once it listens; fail if the process exits."""
        deadline = time.monotonic() + timeout
        while not self._url_found.wait(0.1):
            if time.monotonic() > deadline:
                raise TimeoutError(f"server did not listen in {timeout} s: {self.log}")
        if self.url is None:
            raise RuntimeError(f"server exited before listening: {self.log}")
        return self.url

    @property
    def log(self) -> str:
        return "".join(self.log_lines)

    def kill(self) -> None:
        """Send SIGKILL to the process (by its pid) and reap it."""
        self.process.kill()
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 30.0) -> int:
        """Send SIGTERM and return the exit code."""
        self.process.terminate()
        return self.process.wait(timeout=timeout)

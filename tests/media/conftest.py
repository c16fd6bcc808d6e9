"""Test clips made once per session with ffmpeg."""

from __future__ import annotations

import pytest

from tests.media.clips import ClipFactory


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> ClipFactory:
    return ClipFactory(tmp_path_factory.mktemp("clips"))

"""The demo inputs, made once per session from the packaged portraits."""

from __future__ import annotations

from pathlib import Path

import pytest

from vwf.service import DemoInputs, make_demo_inputs


@pytest.fixture(scope="session")
def demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> DemoInputs:
    return make_demo_inputs(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def settings(vwf_home: Path):
    from vwf.config import load_settings

    return load_settings()

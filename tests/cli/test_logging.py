"""The CLI's log set-up: text and JSON records with the context ids."""

from __future__ import annotations

import json
import logging

import pytest

from vwf.cli._logging import configure_logging
from vwf.logcontext import log_context


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_records_carry_context_ids(capsys):
    configure_logging(level="INFO", json_format=True)

    with log_context(workflow_id="w1", media_id="m1", user_id="u1"):
        with log_context(activity_id="Transcode-m1-1"):
            logging.getLogger("vwf.test").info("task started")

    record = json.loads(capsys.readouterr().err.strip())
    assert record["message"] == "task started"
    assert record["workflow_id"] == "w1"
    assert record["activity_id"] == "Transcode-m1-1"
    assert record["media_id"] == "m1"
    assert record["user_id"] == "u1"
    assert record["level"] == "INFO"


def test_text_records_end_with_context_ids(capsys):
    configure_logging(level="INFO")

    with log_context(workflow_id="w1"):
        logging.getLogger("vwf.test").warning("slow")

    line = capsys.readouterr().err.strip()
    assert line.endswith("vwf.test: slow [workflow_id=w1]")


def test_log_context_rejects_unknown_key():
    with pytest.raises(TypeError, match="unknown log context keys"):
        with log_context(colour="blue"):
            pass

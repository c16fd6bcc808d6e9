"""The JSON 1.0 codec shared by the in-process client and the HTTP server."""

from __future__ import annotations

import json

import pytest

from tests.engine.conftest import TEST_SETTINGS
from vwf.engine import Engine
from vwf.engine._wire import handle_request

TARGET = "SimpleWorkflowService."


@pytest.fixture
def engine(tmp_path):
    engine = Engine(f"sqlite:///{tmp_path / 'wire.db'}", settings=TEST_SETTINGS)
    yield engine
    engine.close()


def _call(engine, target: str, body: bytes) -> tuple[int, dict]:
    answers = []
    handle_request(
        engine, target, body, lambda status, data: answers.append((status, data))
    )
    assert len(answers) == 1
    status, data = answers[0]
    return status, json.loads(data)


def test_success_is_200_json(engine):
    body = json.dumps({"name": "d", "workflowExecutionRetentionPeriodInDays": "1"})

    status, answer = _call(engine, TARGET + "RegisterDomain", body.encode())

    assert status == 200
    assert answer == {}


def test_fault_is_400_with_swf_type(engine):
    status, answer = _call(engine, TARGET + "DescribeDomain", b'{"name": "missing"}')

    assert status == 400
    assert answer["__type"] == "com.amazonaws.swf.base.model#UnknownResourceFault"
    assert "missing" in answer["message"]


def test_validation_uses_coral_type(engine):
    status, answer = _call(engine, TARGET + "DescribeDomain", b'{"name": 5}')

    assert status == 400
    assert answer["__type"] == "com.amazon.coral.validate#ValidationException"


def test_missing_required_member_raises_validation(engine):
    status, answer = _call(engine, TARGET + "RegisterDomain", b'{"name": "d"}')

    assert status == 400
    assert answer["__type"].endswith("#ValidationException")
    assert "workflowExecutionRetentionPeriodInDays" in answer["message"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_body_is_serialization_error(engine, body):
    status, answer = _call(engine, TARGET + "ListDomains", body)

    assert status == 400
    assert answer["__type"].endswith("#SerializationException")


@pytest.mark.parametrize(
    "target", ["SimpleWorkflowService.Nope", "Other.ListDomains", ""]
)
def test_unknown_operation_is_reported(engine, target):
    status, answer = _call(engine, target, b"{}")

    assert status == 400
    assert answer["__type"].endswith("#UnknownOperationException")


def test_tagging_is_operation_not_permitted(engine):
    body = json.dumps({"resourceArn": "arn:aws:swf:x:1:/domain/d", "tags": []})

    status, answer = _call(engine, TARGET + "TagResource", body.encode())

    assert status == 400
    assert answer["__type"].endswith("#OperationNotPermittedFault")


def test_send_error_propagates(engine):
    def broken_send(status: int, data: bytes) -> None:
        raise BrokenPipeError("client gone")

    _call(
        engine,
        TARGET + "RegisterDomain",
        b'{"name": "d", "workflowExecutionRetentionPeriodInDays": "1"}',
    )
    body = json.dumps({"domain": "d", "taskList": {"name": "t"}}).encode()

    with pytest.raises(BrokenPipeError):
        handle_request(engine, TARGET + "CountPendingDecisionTasks", body, broken_send)

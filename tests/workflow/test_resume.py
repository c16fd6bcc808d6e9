"""A new run of a closed execution that reruns one stage and reuses the rest."""

from __future__ import annotations

import json

import pytest

from tests.workflow.conftest import attributes, definition, events_of, running, stage
from vwf.workflow import RESUMED_KEY, ActivityContext, resume_input
from vwf.workflow.errors import DefinitionError, NonRetryableError


class Counting:
    """Stub stages that count their calls; ``C`` fails until ``fixed`` is set."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.fixed = False

    def activity(self, name: str):
        def run(input: dict, context: ActivityContext) -> dict:
            self.calls[name] = self.calls.get(name, 0) + 1
            if name == "C" and not self.fixed:
                raise NonRetryableError("C is broken")
            return {"stage": name, "from": sorted(k for k in input if k in "ABCD")}

        return run


def _chain(swf):
    return definition(
        swf.domain, stage("A"), stage("B", "A"), stage("C", "B"), stage("D", "C")
    )


def _run_then_resume(swf, counting, first_input):
    workflow = _chain(swf)
    activities = {name: counting.activity(name) for name in "ABCD"}
    with running(swf, workflow, activities):
        first = swf.start(workflow, first_input, workflow_id="wf-resume")
        assert swf.wait_closed(first)["closeStatus"] == "FAILED"
        counting.fixed = True
        resumed = resume_input(workflow, first, swf.history(first), "C")
        second = swf.start(workflow, resumed, workflow_id="wf-resume")
        info = swf.wait_closed(second)
    return workflow, resumed, second, info


def test_resume_reruns_stage_and_dependents(swf):
    counting = Counting()

    _, _, _, info = _run_then_resume(swf, counting, {"media_id": "m1"})

    assert info["closeStatus"] == "COMPLETED"
    assert counting.calls == {"A": 1, "B": 1, "C": 2, "D": 1}


def test_resume_input_keeps_original_and_results(swf):
    counting = Counting()

    _, resumed, _, _ = _run_then_resume(swf, counting, {"media_id": "m1"})

    assert resumed["media_id"] == "m1"
    assert sorted(resumed[RESUMED_KEY]) == ["A", "B"]
    assert resumed[RESUMED_KEY]["B"] == {"stage": "B", "from": ["A"]}


def test_resumed_run_passes_reused_result_on(swf):
    counting = Counting()

    _, _, second, _ = _run_then_resume(swf, counting, {"media_id": "m1"})

    scheduled = events_of(swf.history(second), "ActivityTaskScheduled")
    assert [attributes(e)["activityType"]["name"] for e in scheduled] == ["C", "D"]
    c_input = json.loads(attributes(scheduled[0])["input"])
    assert c_input["B"] == {"stage": "B", "from": ["A"]}
    assert RESUMED_KEY not in c_input


def test_resumed_run_summary_marks_reused_stages(swf):
    counting = Counting()

    _, _, second, _ = _run_then_resume(swf, counting, {"media_id": "m1"})

    completed = events_of(swf.history(second), "WorkflowExecutionCompleted")
    summary = json.loads(attributes(completed[0])["result"])
    assert summary["stages"]["A"]["status"] == "resumed"
    assert summary["stages"]["C"]["status"] == "completed"


def test_resume_unknown_stage_is_rejected(swf):
    workflow = _chain(swf)

    with pytest.raises(DefinitionError, match="unknown stage 'Z'"):
        resume_input(workflow, {"workflowId": "w", "runId": "r"}, [], "Z")

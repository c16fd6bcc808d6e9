"""Starting a new run of a closed execution from one of its stages.

SWF cannot reopen a closed execution. To run a stage again, a new run with
the same workflow id starts with the results of the stages that need no
rerun in its input under :data:`RESUMED_KEY`, and the decider treats those
stages as completed.
"""

from __future__ import annotations

from typing import Any

from vwf.workflow import _wire
from vwf.workflow._definition import WorkflowDefinition
from vwf.workflow._history import COMPLETED, RESUMED_KEY, decode_result, rebuild
from vwf.workflow._policy import current_round
from vwf.workflow.errors import DefinitionError


def resume_input(
    definition: WorkflowDefinition,
    execution: dict[str, str],
    events: list[dict[str, Any]],
    stage: str,
) -> dict[str, Any]:
    """Return the input of a new run that runs ``stage`` and every stage that
    depends on it again, reusing the results that the run of ``events``
    completed (or itself took over) for every other stage."""
    rerun = _with_dependents(definition, stage)
    state = rebuild(definition, execution, events)
    results = {}
    for other in definition.stages:
        if other.name in rerun:
            continue
        attempts = current_round(other, state)
        if attempts and attempts[-1].outcome == COMPLETED:
            results[other.name] = decode_result(attempts[-1].result)
        elif not attempts and other.name in state.resumed:
            results[other.name] = decode_result(state.resumed[other.name])
    workflow_input = _wire.loads_object(state.input_text)
    workflow_input[RESUMED_KEY] = results
    return workflow_input


def _with_dependents(definition: WorkflowDefinition, stage: str) -> set[str]:
    names = [s.name for s in definition.stages]
    if stage not in names:
        raise DefinitionError(
            f"unknown stage {stage!r} of workflow {definition.name}; use one of {names}"
        )
    rerun = {stage}
    changed = True
    while changed:
        changed = False
        for other in definition.stages:
            if other.name not in rerun and rerun & set(other.prerequisites):
                rerun.add(other.name)
                changed = True
    return rerun

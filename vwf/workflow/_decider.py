"""The generic decider: polls decision tasks and runs any workflow definition."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from vwf.logcontext import log_context
from vwf.workflow import _wire
from vwf.workflow._decisions import Plan, fail_plan, plan_decisions
from vwf.workflow._definition import WorkflowDefinition
from vwf.workflow._history import rebuild
from vwf.workflow._payloads import BlobStore, Payloads
from vwf.workflow.errors import DefinitionError

logger = logging.getLogger(__name__)

CloseHook = Callable[[str, dict[str, Any], str, Any], None]
"""Called as ``hook(workflow_id, input, outcome, detail)`` just before the
decider closes an execution. ``outcome`` is ``completed`` (detail: the result
summary), ``failed`` (detail: the reason) or ``canceled`` (detail: details)."""


class Decider:
    """Poll one decider task list and decide for every execution on it.

    ``definitions`` may contain several workflow types that share the domain
    and the decider task list. Each decision task is planned with the
    definition of its workflow type.

    A closed execution cannot be resumed in SWF. So with
    ``fail_on_stage_failure=False`` a stage that used up its retries leaves
    the execution open until a ``retry`` signal with the input
    ``{"stage": "<name>"}`` starts a new round of attempts, or until the
    execution times out or is cancelled.
    """

    def __init__(
        self,
        client: Any,
        definitions: WorkflowDefinition | Sequence[WorkflowDefinition],
        *,
        identity: str | None = None,
        on_close: CloseHook | None = None,
        store: BlobStore | None = None,
        fail_on_stage_failure: bool = True,
        empty_poll_delay: timedelta = timedelta(seconds=0.2),
    ) -> None:
        if isinstance(definitions, WorkflowDefinition):
            definitions = [definitions]
        definitions = list(definitions)
        _check_shared_task_list(definitions)
        self._definitions = {(d.name, d.version): d for d in definitions}
        self.domain = definitions[0].domain
        self.task_list = definitions[0].decider_task_list
        self._client = client
        self._identity = identity or f"decider-{socket.gethostname()}-{os.getpid()}"
        self._on_close = on_close
        self._payloads = Payloads(store)
        self._fail_on_stage_failure = fail_on_stage_failure
        self._empty_poll_delay = empty_poll_delay.total_seconds()

    def run(self, stop: threading.Event) -> None:
        """Decide until ``stop`` is set; an error is logged and polling goes on."""
        logger.info(
            "decider %s started on domain %s, task list %s",
            self._identity,
            self.domain,
            self.task_list,
        )
        while not stop.is_set():
            try:
                handled = self.poll_once()
            except (ClientError, BotoCoreError) as exc:
                logger.error("decision task poll failed: %s; retrying in 1 s", exc)
                stop.wait(1.0)
                continue
            if not handled:
                stop.wait(self._empty_poll_delay)
        logger.info("decider %s stopped", self._identity)

    def poll_once(self) -> bool:
        """Poll once and handle the decision task; return whether there was one."""
        task = self._poll()
        if task is None:
            logger.debug("no decision task on %s", self.task_list)
            return False
        execution = task["workflowExecution"]
        with log_context(
            workflow_id=execution["workflowId"],
            run_id=execution["runId"],
            media_id=_media_id(task),
        ):
            self._handle(task)
        return True

    def _poll(self) -> dict[str, Any] | None:
        """Return the next decision task with its complete history, or ``None``."""
        request = {
            "domain": self.domain,
            "taskList": {"name": self.task_list},
            "identity": self._identity,
        }
        task = self._client.poll_for_decision_task(**request)
        if not task.get("taskToken"):
            return None
        events = list(task.get("events", []))
        page = task
        while page.get("nextPageToken"):
            page = self._client.poll_for_decision_task(
                **request, nextPageToken=page["nextPageToken"]
            )
            events.extend(page.get("events", []))
        return {**task, "events": events}

    def _handle(self, task: dict[str, Any]) -> None:
        try:
            plan = self._plan(task)
            if plan.outcome is not None and not self._call_on_close(task, plan):
                return
        except Exception:
            # The decision task times out and SWF hands it to a decider again.
            logger.exception("deciding failed; the decision task will be retried")
            return
        self._respond(task["taskToken"], plan)

    def _plan(self, task: dict[str, Any]) -> Plan:
        workflow_type = task["workflowType"]
        definition = self._definitions.get(
            (workflow_type["name"], workflow_type["version"])
        )
        if definition is None:
            reason = (
                f"no definition for workflow type {workflow_type['name']} version "
                f"{workflow_type['version']} in this decider; run a decider that has it"
            )
            logger.error("%s", reason)
            return fail_plan(reason)
        state = rebuild(definition, task["workflowExecution"], task["events"])
        return plan_decisions(state, self._payloads, self._fail_on_stage_failure)

    def _call_on_close(self, task: dict[str, Any], plan: Plan) -> bool:
        if self._on_close is None:
            return True
        workflow_id = task["workflowExecution"]["workflowId"]
        try:
            self._on_close(
                workflow_id, _workflow_input(task), plan.outcome, plan.detail
            )
        except Exception:
            logger.exception(
                "on-close hook failed; not sending the %s decision, so the decision "
                "task times out and is retried",
                plan.outcome,
            )
            return False
        return True

    def _respond(self, task_token: str, plan: Plan) -> None:
        try:
            self._client.respond_decision_task_completed(
                taskToken=task_token, decisions=plan.decisions
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UnknownResourceFault":
                raise
            logger.warning(
                "decision task is no longer open (timed out or the execution "
                "closed); dropping %d decisions",
                len(plan.decisions),
            )
            return
        if plan.outcome is not None:
            logger.info("execution %s", plan.outcome)


def _check_shared_task_list(definitions: Sequence[WorkflowDefinition]) -> None:
    if not definitions:
        raise DefinitionError("a decider needs at least one workflow definition")
    places = {(d.domain, d.decider_task_list) for d in definitions}
    if len(places) != 1:
        raise DefinitionError(
            f"definitions of one decider use several domains or decider task lists "
            f"{sorted(places)}; run one decider per task list"
        )


def _workflow_input(task: dict[str, Any]) -> dict[str, Any]:
    for event in task["events"]:
        if event["eventType"] == "WorkflowExecutionStarted":
            attributes = event["workflowExecutionStartedEventAttributes"]
            try:
                return _wire.loads_object(attributes.get("input"))
            except ValueError:
                return {}
    return {}


def _media_id(task: dict[str, Any]) -> str:
    """Return the media id: the input's ``media_id``, else the workflow id."""
    media_id = _workflow_input(task).get("media_id")
    return str(media_id) if media_id else task["workflowExecution"]["workflowId"]

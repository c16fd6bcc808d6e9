"""One workflow execution inside a write transaction: its history and state.

Every change to an execution goes through a :class:`Run` loaded in the
current :class:`~vwf.engine._store.Tx`. The run appends events, tracks
whether a decision is needed, and writes its row just before commit. That is
where SWF's decision task rule lives. An event that needs a decision schedules
a decision task if none is open. If one is started, the completion of that
task schedules exactly one new one.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from vwf.engine import _schema as t
from vwf.engine._durations import parse_duration
from vwf.engine._services import Services
from vwf.engine._sql import LOCK_ROW, Prepared
from vwf.engine._store import Tx

logger = logging.getLogger(__name__)

# Events after which the decider must be asked what to do next.
DECISION_EVENTS = frozenset(
    {
        "WorkflowExecutionStarted",
        "WorkflowExecutionSignaled",
        "WorkflowExecutionCancelRequested",
        "DecisionTaskTimedOut",
        "ActivityTaskCompleted",
        "ActivityTaskFailed",
        "ActivityTaskTimedOut",
        "ActivityTaskCanceled",
        "ScheduleActivityTaskFailed",
        "RequestCancelActivityTaskFailed",
        "RecordMarkerFailed",
        "StartTimerFailed",
        "CancelTimerFailed",
        "TimerFired",
        "CompleteWorkflowExecutionFailed",
        "FailWorkflowExecutionFailed",
        "CancelWorkflowExecutionFailed",
        "ContinueAsNewWorkflowExecutionFailed",
        "StartChildWorkflowExecutionFailed",
        "ChildWorkflowExecutionStarted",
        "ChildWorkflowExecutionCompleted",
        "ChildWorkflowExecutionFailed",
        "ChildWorkflowExecutionTimedOut",
        "ChildWorkflowExecutionCanceled",
        "ChildWorkflowExecutionTerminated",
        "SignalExternalWorkflowExecutionFailed",
        "ExternalWorkflowExecutionSignaled",
        "RequestCancelExternalWorkflowExecutionFailed",
        "ExternalWorkflowExecutionCancelRequested",
        "ScheduleLambdaFunctionFailed",
    }
)

# Close status -> the event the parent records when a child closes that way,
# and the close event attributes it copies.
_CHILD_CLOSE_EVENTS = {
    "COMPLETED": ("ChildWorkflowExecutionCompleted", ("result",)),
    "FAILED": ("ChildWorkflowExecutionFailed", ("reason", "details")),
    "CANCELED": ("ChildWorkflowExecutionCanceled", ("details",)),
    "TERMINATED": ("ChildWorkflowExecutionTerminated", ()),
    "TIMED_OUT": ("ChildWorkflowExecutionTimedOut", ("timeoutType",)),
}


_executions = t.executions.c
_deadlines = t.deadlines.c
_children = t.children.c

_SELECT_RUN = Prepared(
    select(t.executions).where(_executions.pk == bindparam("pk")), lock=LOCK_ROW
)
_FIND_RUN = Prepared(
    select(_executions.pk).where(
        _executions.domain == bindparam("domain"),
        _executions.workflow_id == bindparam("workflow_id"),
        _executions.run_id == bindparam("run_id"),
    )
)
_FIND_OPEN_RUN = Prepared(
    select(_executions.pk).where(
        _executions.domain == bindparam("domain"),
        _executions.workflow_id == bindparam("workflow_id"),
        _executions.is_open.is_(True),
    )
)
_INSERT_EVENT = Prepared(
    insert(t.events),
    columns=("execution_pk", "event_id", "event_type", "timestamp", "attributes"),
)
_INSERT_DEADLINE = Prepared(
    insert(t.deadlines), columns=("due_at", "kind", "execution_pk", "ref")
)
_DELETE_DEADLINES = Prepared(
    delete(t.deadlines).where(
        _deadlines.execution_pk == bindparam("execution_pk"),
        _deadlines.ref == bindparam("ref"),
    )
)
_DELETE_DEADLINES_OF_KIND = Prepared(
    delete(t.deadlines).where(
        _deadlines.execution_pk == bindparam("execution_pk"),
        _deadlines.ref == bindparam("ref"),
        _deadlines.kind == bindparam("kind"),
    )
)
_INSERT_DECISION_TASK = Prepared(
    insert(t.decision_tasks),
    columns=(
        "execution_pk",
        "domain",
        "task_list",
        "priority",
        "scheduled_at",
        "status",
    ),
)


def _delete_of_execution(table: Any) -> Prepared:
    return Prepared(
        delete(table).where(table.c.execution_pk == bindparam("execution_pk"))
    )


_DELETE_DECISION_TASK = _delete_of_execution(t.decision_tasks)
# One DELETE per table of the work an execution has open.
_RELEASE_OPEN_WORK = [
    _DELETE_DECISION_TASK,
    *(
        _delete_of_execution(table)
        for table in (t.activity_tasks, t.timers, t.deadlines)
    ),
]
_SELECT_CHILDREN = Prepared(
    select(_children.child_pk).where(_children.parent_pk == bindparam("parent_pk"))
)
_DELETE_CHILDREN = Prepared(
    delete(t.children).where(_children.parent_pk == bindparam("parent_pk"))
)
_SELECT_CHILD = Prepared(
    select(t.children).where(
        _children.parent_pk == bindparam("parent_pk"),
        _children.child_pk == bindparam("child_pk"),
    )
)
_DELETE_CHILD = Prepared(
    delete(t.children).where(
        _children.parent_pk == bindparam("parent_pk"),
        _children.initiated_event_id == bindparam("initiated_event_id"),
    )
)
# UPDATE statements of the executions row, one per set of changed columns.
_UPDATES: dict[frozenset[str], Prepared] = {}


def _update_run(columns: frozenset[str]) -> Prepared:
    prepared = _UPDATES.get(columns)
    if prepared is None:
        statement = update(t.executions).where(_executions.pk == bindparam("key_pk"))
        prepared = _UPDATES.setdefault(
            columns, Prepared(statement, columns=sorted(columns))
        )
    return prepared


def new_token() -> str:
    """Return an unguessable task token."""
    return secrets.token_urlsafe(32)


def new_run_id() -> str:
    return secrets.token_urlsafe(32)


def attributes_key(event_type: str) -> str:
    """Return the HistoryEvent member holding ``event_type``'s attributes."""
    return event_type[0].lower() + event_type[1:] + "EventAttributes"


class Run:
    """A locked execution row plus the events and changes of this transaction."""

    def __init__(self, tx: Tx, services: Services, row: Any) -> None:
        self.tx = tx
        self.services = services
        self._row = row._asdict()
        self._changes: dict[str, Any] = {}
        self._needs_decision = False
        tx.runs[self.pk] = self
        tx.before_commit.append(self.flush)

    @classmethod
    def load(cls, tx: Tx, services: Services, pk: int) -> Run:
        """Return the run with primary key ``pk``, locked for this transaction."""
        if pk in tx.runs:
            return tx.runs[pk]
        row = _SELECT_RUN.first(tx, pk=pk)
        if row is None:
            raise LookupError(f"execution {pk} vanished inside its transaction")
        return cls(tx, services, row)

    @classmethod
    def find(
        cls,
        tx: Tx,
        services: Services,
        domain: str,
        workflow_id: str,
        run_id: str | None = None,
    ) -> Run | None:
        """Return the named run, or the open run of ``workflow_id`` without a runId."""
        if run_id:
            pk = _FIND_RUN.scalar(
                tx, domain=domain, workflow_id=workflow_id, run_id=run_id
            )
        else:
            pk = _FIND_OPEN_RUN.scalar(tx, domain=domain, workflow_id=workflow_id)
        return None if pk is None else cls.load(tx, services, pk)

    def __getitem__(self, column: str) -> Any:
        if column in self._changes:
            return self._changes[column]
        return self._row[column]

    def set(self, **columns: Any) -> None:
        for column, value in columns.items():
            if self[column] != value:
                self._changes[column] = value

    @property
    def pk(self) -> int:
        return self._row["pk"]

    @property
    def is_open(self) -> bool:
        return bool(self["is_open"])

    @property
    def execution(self) -> dict[str, str]:
        return {"workflowId": self["workflow_id"], "runId": self["run_id"]}

    @property
    def workflow_type(self) -> dict[str, str]:
        return {"name": self["type_name"], "version": self["type_version"]}

    def append(self, event_type: str, **attributes: Any) -> int:
        """Append an event and return its id; ``None`` attributes are left out."""
        if not self.is_open:
            raise RuntimeError(
                f"event {event_type} appended to closed run {self['run_id']}"
            )
        event_id = self["next_event_id"]
        values = {k: v for k, v in attributes.items() if v is not None}
        _INSERT_EVENT.run(
            self.tx,
            execution_pk=self.pk,
            event_id=event_id,
            event_type=event_type,
            timestamp=self.services.now(),
            attributes=json.dumps(values, separators=(",", ":")),
        )
        self.set(next_event_id=event_id + 1)
        if event_type in DECISION_EVENTS:
            self._needs_decision = True
        return event_id

    def count_activity(self, activity_type: str, outcome: str) -> None:
        """Count an activity event in the metrics once the transaction commits."""
        metrics = self.services.metrics
        self.tx.after_commit.append(
            lambda: metrics.count_activity(activity_type, outcome)
        )

    def add_deadline(self, kind: str, ref: int, after_seconds: float) -> None:
        """Record that ``kind`` of event ``ref`` falls due in ``after_seconds``."""
        due_at = self.services.now() + after_seconds
        _INSERT_DEADLINE.run(
            self.tx, due_at=due_at, kind=kind, execution_pk=self.pk, ref=ref
        )
        self.tx.after_commit.append(lambda: self.services.wake_scheduler(due_at))

    def remove_deadlines(self, ref: int, *kinds: str) -> None:
        """Delete the deadlines of event ``ref``, all of them when no kind is given."""
        if not kinds:
            _DELETE_DEADLINES.run(self.tx, execution_pk=self.pk, ref=ref)
        for kind in kinds:
            _DELETE_DEADLINES_OF_KIND.run(
                self.tx, execution_pk=self.pk, ref=ref, kind=kind
            )

    def schedule_decision_task(self) -> None:
        """Append DecisionTaskScheduled and queue the task for a decider."""
        timeout = self["decision_schedule_to_start_timeout"]
        event_id = self.append(
            "DecisionTaskScheduled",
            taskList={"name": self["task_list"]},
            taskPriority=self["task_priority"],
            startToCloseTimeout=self["task_start_to_close_timeout"],
            scheduleToStartTimeout=timeout,
        )
        _INSERT_DECISION_TASK.run(
            self.tx,
            execution_pk=self.pk,
            domain=self["domain"],
            task_list=self["task_list"],
            priority=int(self["task_priority"] or 0),
            scheduled_at=self.services.now(),
            status="scheduled",
        )
        self.set(decision_state="scheduled", decision_scheduled_event_id=event_id)
        duration = parse_duration(timeout) if timeout else None
        if duration is not None:
            self.add_deadline(
                "decision_schedule_to_start", event_id, duration.total_seconds()
            )
        self._notify_pollers("decision", self["task_list"])

    def clear_decision_task(self) -> None:
        """Forget the open decision task after it completed or timed out."""
        _DELETE_DECISION_TASK.run(self.tx, execution_pk=self.pk)
        self.remove_deadlines(self["decision_scheduled_event_id"])
        self.remove_deadlines(self["decision_started_event_id"])
        self.set(decision_state="none", decision_pending=False)

    def request_decision(self) -> None:
        """Make sure a decision task follows this transaction."""
        self._needs_decision = True

    def _notify_pollers(self, kind: str, task_list: str) -> None:
        key = (kind, self["domain"], task_list)
        self.tx.after_commit.append(lambda: self.services.waiters.notify(key))

    def notify_activity_pollers(self, task_list: str) -> None:
        self._notify_pollers("activity", task_list)

    def close(
        self,
        close_status: str,
        event_type: str,
        *,
        child_policy: str | None = None,
        **attributes: Any,
    ) -> None:
        """Append the close event, release everything open and tell the parent.

        The child policy (``child_policy`` or the run's own) is applied to the
        open children on every close. SWF's reference describes it for
        termination and timeouts, and this engine also applies it when a
        decision closes the run.
        """
        self.append(event_type, **attributes)
        self.set(
            is_open=False, close_status=close_status, closed_at=self.services.now()
        )
        self._release_open_work()
        self._apply_child_policy(child_policy or self["child_policy"])
        if close_status != "CONTINUED_AS_NEW":
            self._tell_parent(close_status, attributes)
        logger.info(
            "execution %s/%s closed as %s",
            self["workflow_id"],
            self["run_id"],
            close_status,
        )

    def _release_open_work(self) -> None:
        for statement in _RELEASE_OPEN_WORK:
            statement.run(self.tx, execution_pk=self.pk)
        self.set(decision_state="none", decision_pending=False)

    def _apply_child_policy(self, policy: str) -> None:
        rows = _SELECT_CHILDREN.rows(self.tx, parent_pk=self.pk)
        child_pks = [row.child_pk for row in rows]
        _DELETE_CHILDREN.run(self.tx, parent_pk=self.pk)
        if policy == "ABANDON":
            return
        for child_pk in child_pks:
            child = Run.load(self.tx, self.services, child_pk)
            if not child.is_open:
                continue
            if policy == "TERMINATE":
                child.close(
                    "TERMINATED",
                    "WorkflowExecutionTerminated",
                    childPolicy=child["child_policy"],
                    cause="CHILD_POLICY_APPLIED",
                )
            else:
                child.request_cancel(cause="CHILD_POLICY_APPLIED")

    def request_cancel(self, **attributes: Any) -> None:
        self.append("WorkflowExecutionCancelRequested", **attributes)
        self.set(cancel_requested=True)

    def _tell_parent(self, close_status: str, attributes: dict[str, Any]) -> None:
        parent_pk = self["parent_pk"]
        if parent_pk is None:
            return
        found = _SELECT_CHILD.first(self.tx, parent_pk=parent_pk, child_pk=self.pk)
        if found is None:
            return
        parent = Run.load(self.tx, self.services, parent_pk)
        _DELETE_CHILD.run(
            self.tx, parent_pk=parent_pk, initiated_event_id=found.initiated_event_id
        )
        if not parent.is_open:
            return
        event_type, copied = _CHILD_CLOSE_EVENTS[close_status]
        forwarded = {key: attributes.get(key) for key in copied}
        parent.append(
            event_type,
            workflowExecution=self.execution,
            workflowType=self.workflow_type,
            initiatedEventId=found.initiated_event_id,
            startedEventId=found.started_event_id,
            **forwarded,
        )

    def flush(self) -> bool:
        """Write pending changes and schedule a needed decision task.

        Returns whether anything was written. It runs before commit, and
        earlier where a later statement must see the row as changed.
        """
        if self.is_open and self._history_full():
            self.close(
                "TERMINATED",
                "WorkflowExecutionTerminated",
                childPolicy=self["child_policy"],
                cause="EVENT_LIMIT_EXCEEDED",
            )
        if self.is_open and self._needs_decision:
            self._needs_decision = False
            self._schedule_or_defer_decision()
        if not self._changes:
            return False
        _update_run(frozenset(self._changes)).run(
            self.tx, key_pk=self.pk, **self._changes
        )
        self._row.update(self._changes)
        self._changes = {}
        return True

    def _history_full(self) -> bool:
        # NOTE: the check runs once per transaction, so a history may exceed
        # the limit by the events of one transaction plus the terminate event.
        return self["next_event_id"] - 1 >= self.services.settings.max_history_events

    def _schedule_or_defer_decision(self) -> None:
        state = self["decision_state"]
        if state == "none":
            self.set(decision_pending=False)
            self.schedule_decision_task()
        elif state == "started":
            self.set(decision_pending=True)

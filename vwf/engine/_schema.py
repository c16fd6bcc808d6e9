"""The engine's tables (SQLAlchemy Core) and the schema version.

The engine creates its tables with ``metadata.create_all`` and records
:data:`SCHEMA_VERSION` in ``engine_schema``. A database written by another
version is rejected at open, not migrated, because the engine's tables are
internal; the application's own tables use Alembic. Times are epoch seconds
(float) and event attributes are JSON text exactly as sent on the wire.

Every query on a hot path (polls, starts, responds, history) is served by an
index whose size does not matter to it: lookups by primary key, by task token,
by (domain, task list, status) or by (domain, workflowId).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

SCHEMA_VERSION = 1

metadata = MetaData()

engine_schema = Table(
    "engine_schema",
    metadata,
    Column("version", Integer, primary_key=True),
)

domains = Table(
    "domains",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("description", Text),
    Column("retention_days", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
)


def _type_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("domain", String(256), primary_key=True),
        Column("name", String(256), primary_key=True),
        Column("version", String(64), primary_key=True),
        Column("status", String(16), nullable=False),
        Column("description", Text),
        Column("created_at", Float, nullable=False),
        Column("deprecated_at", Float),
        # The type's configuration as SWF returns it (default* members).
        Column("configuration", Text, nullable=False),
    )


workflow_types = _type_table("workflow_types")
activity_types = _type_table("activity_types")

executions = Table(
    "executions",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(256), nullable=False),
    Column("workflow_id", String(256), nullable=False),
    Column("run_id", String(64), nullable=False, unique=True),
    Column("type_name", String(256), nullable=False),
    Column("type_version", String(64), nullable=False),
    Column("task_list", String(256), nullable=False),
    Column("task_priority", String(16)),
    Column("child_policy", String(16), nullable=False),
    Column("execution_start_to_close_timeout", String(8), nullable=False),
    Column("task_start_to_close_timeout", String(8), nullable=False),
    Column("lambda_role", String(1600)),
    Column("tags", Text, nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("close_status", String(32)),
    Column("started_at", Float, nullable=False),
    Column("closed_at", Float),
    Column("cancel_requested", Boolean, nullable=False),
    Column("parent_pk", Integer),
    Column("parent_workflow_id", String(256)),
    Column("parent_run_id", String(64)),
    Column("parent_initiated_event_id", Integer),
    Column("next_event_id", Integer, nullable=False),
    # Decision task state: "none", "scheduled" or "started".
    Column("decision_state", String(16), nullable=False),
    Column("decision_scheduled_event_id", Integer, nullable=False),
    Column("decision_started_event_id", Integer, nullable=False),
    Column("previous_started_event_id", Integer, nullable=False),
    # Set when an event that needs a decision arrives while a decision task
    # is started; the completion then schedules exactly one new decision task.
    Column("decision_pending", Boolean, nullable=False),
    Column("decision_schedule_to_start_timeout", String(8)),
    Column("latest_execution_context", Text),
    Column("latest_activity_task_at", Float),
    # At most one open execution per workflowId and domain.
    Index(
        "executions_open_workflow_id",
        "domain",
        "workflow_id",
        unique=True,
        sqlite_where=text("is_open"),
        postgresql_where=text("is_open"),
    ),
    Index("executions_workflow_id", "domain", "workflow_id", "started_at"),
    Index("executions_started", "domain", "is_open", "started_at"),
    Index("executions_closed", "domain", "is_open", "closed_at"),
    Index("executions_parent", "parent_pk"),
)

execution_tags = Table(
    "execution_tags",
    metadata,
    Column(
        "execution_pk",
        Integer,
        ForeignKey("executions.pk", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tag", String(256), primary_key=True),
    Index("execution_tags_tag", "tag"),
)

events = Table(
    "events",
    metadata,
    Column(
        "execution_pk",
        Integer,
        ForeignKey("executions.pk", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("event_id", Integer, primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("timestamp", Float, nullable=False),
    Column("attributes", Text, nullable=False),
)

# The decision task of an execution, scheduled or started (at most one).
decision_tasks = Table(
    "decision_tasks",
    metadata,
    Column(
        "execution_pk",
        Integer,
        ForeignKey("executions.pk", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("domain", String(256), nullable=False),
    Column("task_list", String(256), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("scheduled_at", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("token", String(64), unique=True),
    Index("decision_tasks_queue", "domain", "task_list", "status", "priority"),
)

# One row per open activity: the task queue and the activity's state.
activity_tasks = Table(
    "activity_tasks",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column(
        "execution_pk",
        Integer,
        ForeignKey("executions.pk", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("activity_id", String(256), nullable=False),
    Column("scheduled_event_id", Integer, nullable=False),
    Column("started_event_id", Integer, nullable=False),
    Column("domain", String(256), nullable=False),
    Column("task_list", String(256), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("token", String(64), unique=True),
    Column("type_name", String(256), nullable=False),
    Column("type_version", String(64), nullable=False),
    Column("input", Text),
    Column("heartbeat_timeout", String(8), nullable=False),
    Column("start_to_close_timeout", String(8), nullable=False),
    Column("heartbeat_details", Text),
    Column("cancel_requested", Boolean, nullable=False),
    Column("latest_cancel_requested_event_id", Integer),
    Index("activity_tasks_open_id", "execution_pk", "activity_id", unique=True),
    Index("activity_tasks_scheduled_event", "execution_pk", "scheduled_event_id"),
    Index("activity_tasks_queue", "domain", "task_list", "status", "priority", "pk"),
)

timers = Table(
    "timers",
    metadata,
    Column(
        "execution_pk",
        Integer,
        ForeignKey("executions.pk", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("timer_id", String(256), primary_key=True),
    Column("started_event_id", Integer, nullable=False),
    Index("timers_started_event", "execution_pk", "started_event_id"),
)

# Open child executions of a parent, keyed by the Initiated event in the parent.
children = Table(
    "children",
    metadata,
    Column(
        "parent_pk",
        Integer,
        ForeignKey("executions.pk", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("initiated_event_id", Integer, primary_key=True),
    Column("child_pk", Integer, nullable=False),
    Column("started_event_id", Integer, nullable=False),
    Index("children_child", "child_pk"),
)

# Every pending timeout and timer: the scheduler sleeps until the earliest.
deadlines = Table(
    "deadlines",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("due_at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column(
        "execution_pk",
        Integer,
        ForeignKey("executions.pk", ondelete="CASCADE"),
        nullable=False,
    ),
    # The event the deadline belongs to (scheduled, started or timer event id).
    Column("ref", Integer, nullable=False),
    Index("deadlines_due", "due_at"),
    Index("deadlines_owner", "execution_pk", "ref", "kind"),
)

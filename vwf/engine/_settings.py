"""Tuning and limits of one engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class EngineSettings:
    """How long polls wait, how often the engine re-checks, and SWF's limits.

    The limits default to Amazon SWF's published quotas; tests lower them to
    reach a limit quickly.
    """

    # Under boto3's default 60 s read timeout, so stock clients never time out
    # while a poll is held.
    long_poll_timeout: timedelta = timedelta(seconds=50)
    # A waiting poll re-reads the database this often, so it finds tasks that
    # another process scheduled on the same database.
    poll_recheck_interval: timedelta = timedelta(seconds=1)
    # The timeout scheduler re-reads deadlines at least this often, so it finds
    # deadlines that another process added.
    deadline_recheck_interval: timedelta = timedelta(seconds=1)
    # How often closed executions past their domain's retention are deleted.
    purge_interval: timedelta = timedelta(minutes=10)
    max_history_events: int = 25_000
    max_open_activities: int = 1_000
    max_open_timers: int = 1_000
    max_open_children: int = 1_000
    max_page_size: int = 1_000

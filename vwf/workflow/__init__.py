"""Workflows on SWF: definitions as data, a generic decider and activity workers.

The decider and the workers talk to any boto3-shaped SWF client: the embedded
engine, ``vwf engine serve`` or Amazon SWF.
"""

from vwf.workflow._connect import SwfConnection, open_swf_client
from vwf.workflow._context import Activity, ActivityContext
from vwf.workflow._decider import CloseHook, Decider
from vwf.workflow._definition import Stage, WorkflowDefinition
from vwf.workflow._history import RESUMED_KEY
from vwf.workflow._register import register
from vwf.workflow._resume import resume_input
from vwf.workflow._worker import ActivityWorker

__all__ = [
    "RESUMED_KEY",
    "Activity",
    "ActivityContext",
    "ActivityWorker",
    "CloseHook",
    "Decider",
    "Stage",
    "SwfConnection",
    "WorkflowDefinition",
    "open_swf_client",
    "register",
    "resume_input",
]

"""An embedded workflow engine with Amazon SWF's API and semantics.

Deciders and activity workers written against boto3's ``swf`` client run
unchanged on this engine (in process through :func:`connect`, or over HTTP
through ``vwf engine serve``) and on Amazon SWF.

Example::

    engine = Engine("sqlite:///engine.db")
    engine.start()
    swf = connect(engine)
    swf.register_domain(name="media", workflowExecutionRetentionPeriodInDays="7")

An empty long poll has one shape: ``PollForDecisionTask`` returns
``{"startedEventId": 0, "previousStartedEventId": 0}`` and
``PollForActivityTask`` returns ``{"startedEventId": 0}``, both without a
``taskToken``, after ``EngineSettings.long_poll_timeout``.
"""

from vwf.engine._client import connect
from vwf.engine._clock import Clock, SystemClock
from vwf.engine._engine import Engine
from vwf.engine._settings import EngineSettings

__all__ = ["Clock", "Engine", "EngineSettings", "SystemClock", "connect"]

"""Process supervision files for one host: supervisor and systemd.

:func:`plan_host` lists the long-running processes a host needs; the
renderers turn that plan into configuration with restart policies, log files
and the environment.
"""

from vwf.deploy._plan import HostPlan, Program, plan_host
from vwf.deploy._supervisor import render_supervisor
from vwf.deploy._systemd import render_systemd

__all__ = ["HostPlan", "Program", "plan_host", "render_supervisor", "render_systemd"]

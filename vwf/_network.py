"""Small network helpers shared by the engine server and the SWF client."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """Return whether ``host`` is ``localhost`` or a loopback IP address.

    NOTE: other host names count as not loopback even when they resolve to a
    loopback address, because resolution can change later.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

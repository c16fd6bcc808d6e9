"""Base exceptions shared by every vwf package.

Tree::

    VwfError                 any error vwf raises on purpose
    +-- ConfigError          invalid or missing configuration

Each package adds its own ``errors`` module whose classes derive from
:class:`VwfError`.
"""


class VwfError(Exception):
    """Base class of every error vwf raises on purpose."""


class ConfigError(VwfError):
    """Configuration is invalid or missing; the message names the key and the fix."""

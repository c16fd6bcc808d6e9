"""Errors of notification delivery.

Tree::

    VwfError
    +-- NotifyError          a notification cannot be built or sent
        +-- DeliveryError    the SMTP server or webhook receiver did not accept it
"""

from vwf.errors import VwfError


class NotifyError(VwfError):
    """A notification cannot be built or sent."""


class DeliveryError(NotifyError):
    """The SMTP server or webhook receiver did not accept the message; retrying
    may succeed."""

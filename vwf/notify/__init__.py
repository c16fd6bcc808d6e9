"""Telling a user that a video finished: email over SMTP and a signed webhook.

:class:`Notifier` sends each message once per media item, outcome and channel,
and records every delivery in the library.
"""

from vwf.notify._email import SmtpSettings, send_email
from vwf.notify._notifier import Notifier, notifier_from_settings
from vwf.notify._report import PersonSummary, VideoReport, build_report
from vwf.notify._webhook import (
    SIGNATURE_HEADER,
    WebhookSettings,
    post_webhook,
    sign_body,
)
from vwf.notify.errors import DeliveryError, NotifyError

__all__ = [
    "SIGNATURE_HEADER",
    "DeliveryError",
    "Notifier",
    "NotifyError",
    "PersonSummary",
    "SmtpSettings",
    "VideoReport",
    "WebhookSettings",
    "build_report",
    "notifier_from_settings",
    "post_webhook",
    "send_email",
    "sign_body",
]

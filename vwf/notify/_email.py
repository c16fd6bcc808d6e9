"""Notification email over SMTP (plain, STARTTLS or implicit TLS)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from vwf.notify.errors import DeliveryError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    """SMTP server settings for notification emails."""

    host: str
    port: int = 25
    security: str = "none"
    """``none``, ``starttls`` or ``ssl`` (implicit TLS)."""
    username: str | None = None
    password: str | None = None
    sender: str = "vwf@localhost"
    timeout: timedelta = timedelta(seconds=30)


def send_email(
    settings: SmtpSettings, recipient: str, subject: str, body: str, message_id: str
) -> None:
    """Send one plain-text email; raise :class:`DeliveryError` when the server
    does not accept it.

    ``message_id`` is fixed per media item and outcome, so a mail client shows
    an accidental second delivery as the same message.
    """
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)

    try:
        with _connect(settings) as smtp:
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"SMTP server {settings.host}:{settings.port} did not accept the email "
            f"to {recipient}: {exc}. Check the smtp_* settings; the stage retries."
        ) from exc


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    timeout = settings.timeout.total_seconds()
    if settings.security == "ssl":
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=timeout, context=context
        )
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    if settings.security == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp

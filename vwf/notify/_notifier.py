"""Deliver each outcome of a media item once per channel, and record it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from vwf.config import Settings
from vwf.library import Library, Media, MediaStatus
from vwf.library._notifications import Notification
from vwf.logcontext import log_context
from vwf.notify._email import SmtpSettings, send_email
from vwf.notify._report import VideoReport, build_report
from vwf.notify._webhook import WebhookSettings, post_webhook

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Channel:
    name: str
    recipient: Callable[[VideoReport], str]
    deliver: Callable[[VideoReport], None]


class Notifier:
    """Send a video's outcome by email and webhook, each once per outcome.

    A delivery is recorded right after the server accepts it, so a retried
    stage skips the channels that already succeeded.

    NOTE: a crash between the server accepting a message and the record being
    committed (a few milliseconds) makes the next attempt send it again. The
    email's Message-ID and the webhook's delivery id stay the same, so
    clients and receivers can drop that repeat.
    """

    def __init__(
        self,
        library: Library,
        *,
        smtp: SmtpSettings | None = None,
        webhook: WebhookSettings | None = None,
        message_domain: str = "vwf.invalid",
    ) -> None:
        self._library = library
        self._smtp = smtp
        self._webhook = webhook
        self._message_domain = message_domain

    @property
    def channels(self) -> tuple[str, ...]:
        """Names of the configured channels."""
        return tuple(channel.name for channel in self._channels())

    def notify(self, report: VideoReport) -> tuple[str, ...]:
        """Deliver ``report`` on every channel that has not had it yet; return
        the channels delivered now. Raises :class:`DeliveryError` on the first
        channel that fails, after recording the ones that succeeded."""
        delivered = []
        with log_context(media_id=report.media_id):
            for channel in self._channels():
                if self._already_sent(report, channel.name):
                    logger.info("%s notification already sent", channel.name)
                    continue
                channel.deliver(report)
                self._record(report, channel.name, channel.recipient(report))
                delivered.append(channel.name)
        return tuple(delivered)

    def notify_media(
        self, owner_id: uuid.UUID | str, media_id: uuid.UUID | str
    ) -> tuple[str, ...]:
        """Build the report of ``media_id`` from the library and deliver it."""
        return self.notify(build_report(self._library, owner_id, media_id))

    def notify_failures(self) -> int:
        """Deliver the outcome of every failed media item that a configured
        channel has not had yet; return how many items were notified."""
        notified = 0
        for owner_id, media_id in self._unnotified_failures():
            try:
                if self.notify_media(owner_id, media_id):
                    notified += 1
            except Exception:
                logger.exception(
                    "failure notification for media %s failed; the next sweep "
                    "retries it",
                    media_id,
                    extra={"media_id": str(media_id), "user_id": str(owner_id)},
                )
        return notified

    def _channels(self) -> list[_Channel]:
        channels = []
        if self._smtp is not None:
            channels.append(
                _Channel("email", lambda report: report.owner_email, self._email)
            )
        if self._webhook is not None:
            webhook = self._webhook
            channels.append(_Channel("webhook", lambda _: webhook.url, self._post))
        return channels

    def _email(self, report: VideoReport) -> None:
        message_id = f"<{report.outcome}.{report.media_id}@{self._message_domain}>"
        send_email(
            self._smtp,
            report.owner_email,
            report.email_subject(),
            report.email_body(),
            message_id,
        )
        logger.info("email sent to %s", report.owner_email)

    def _post(self, report: VideoReport) -> None:
        delivery_id = f"{report.media_id}.{report.outcome}"
        post_webhook(self._webhook, report.to_json(), delivery_id)
        logger.info("webhook delivered to %s", self._webhook.url)

    def _already_sent(self, report: VideoReport, channel: str) -> bool:
        with self._library.session() as session:
            statement = select(Notification.id).where(
                Notification.media_id == uuid.UUID(report.media_id),
                Notification.outcome == report.outcome,
                Notification.channel == channel,
            )
            return session.scalar(statement) is not None

    def _record(self, report: VideoReport, channel: str, recipient: str) -> None:
        try:
            with self._library.session() as session:
                session.add(
                    Notification(
                        media_id=uuid.UUID(report.media_id),
                        outcome=report.outcome,
                        channel=channel,
                        recipient=recipient,
                    )
                )
        except IntegrityError:
            # Another worker recorded the same delivery first.
            logger.warning("%s notification was recorded twice", channel)

    def _unnotified_failures(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        channel_names = self.channels
        if not channel_names:
            return []
        with self._library.session() as session:
            notified_everywhere = (
                select(Notification.media_id)
                .where(
                    Notification.media_id == Media.id,
                    Notification.outcome == "failed",
                )
                .group_by(Notification.media_id)
                .having(
                    func.count(Notification.channel.distinct()) >= len(channel_names)
                )
            )
            statement = select(Media.owner_id, Media.id).where(
                Media.status == MediaStatus.FAILED, ~exists(notified_everywhere)
            )
            return [(row.owner_id, row.id) for row in session.execute(statement)]


def notifier_from_settings(settings: Settings, library: Library) -> Notifier:
    """Build a :class:`Notifier` with the channels ``settings`` configure."""
    smtp = None
    if settings.smtp_host:
        smtp = SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.mail_from,
        )
    webhook = None
    if settings.webhook_url:
        webhook = WebhookSettings(settings.webhook_url, settings.webhook_secret or "")
    return Notifier(library, smtp=smtp, webhook=webhook)

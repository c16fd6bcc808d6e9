import email
import json

import pytest

from vwf.library import MediaStatus
from vwf.notify import (
    SIGNATURE_HEADER,
    DeliveryError,
    Notifier,
    SmtpSettings,
    WebhookSettings,
    sign_body,
)


def _notifier(library, smtp_inbox=None, receiver=None):
    smtp = None
    if smtp_inbox is not None:
        smtp = SmtpSettings(host="127.0.0.1", port=smtp_inbox[1])
    webhook = None
    if receiver is not None:
        webhook = WebhookSettings(receiver.url, "s3cret")
    return Notifier(library, smtp=smtp, webhook=webhook)


def test_email_sent_with_people(notify_library, finished_video, smtp_inbox):
    notifier = _notifier(notify_library, smtp_inbox)

    channels = notifier.notify_media(finished_video.owner_id, finished_video.media_id)

    inbox = smtp_inbox[0]
    assert channels == ("email",)
    assert len(inbox.messages) == 1
    message = email.message_from_bytes(inbox.messages[0])
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Party is ready"
    assert "Grace Hopper: 3 faces" in message.get_payload()
    assert "new person 1: 1 faces" in message.get_payload()


def test_email_sent_once_when_retried(notify_library, finished_video, smtp_inbox):
    notifier = _notifier(notify_library, smtp_inbox)

    notifier.notify_media(finished_video.owner_id, finished_video.media_id)
    again = notifier.notify_media(finished_video.owner_id, finished_video.media_id)

    assert again == ()
    assert len(smtp_inbox[0].messages) == 1


def test_webhook_body_is_signed(notify_library, finished_video, webhook_receiver):
    notifier = _notifier(notify_library, receiver=webhook_receiver)

    notifier.notify_media(finished_video.owner_id, finished_video.media_id)

    assert len(webhook_receiver.requests) == 1
    headers, body = webhook_receiver.requests[0]
    assert headers[SIGNATURE_HEADER] == sign_body("s3cret", body)
    payload = json.loads(body)
    assert payload["media_id"] == str(finished_video.media_id)
    assert [p["label"] for p in payload["people"]] == ["Grace Hopper", "new person 1"]


def test_webhook_failure_raises_and_email_not_repeated(
    notify_library, finished_video, smtp_inbox, webhook_receiver
):
    notifier = _notifier(notify_library, smtp_inbox, webhook_receiver)
    webhook_receiver.status = 500

    with pytest.raises(DeliveryError, match="HTTP 500"):
        notifier.notify_media(finished_video.owner_id, finished_video.media_id)
    webhook_receiver.status = 204
    retried = notifier.notify_media(finished_video.owner_id, finished_video.media_id)

    assert retried == ("webhook",)
    assert len(smtp_inbox[0].messages) == 1
    assert len(webhook_receiver.requests) == 2


def test_smtp_refusal_raises_delivery_error(notify_library, finished_video, smtp_inbox):
    notifier = _notifier(notify_library, smtp_inbox)
    smtp_inbox[0].refuse = True

    with pytest.raises(DeliveryError, match="did not accept"):
        notifier.notify_media(finished_video.owner_id, finished_video.media_id)


def test_unreachable_smtp_raises_delivery_error(notify_library, finished_video):
    notifier = Notifier(notify_library, smtp=SmtpSettings(host="127.0.0.1", port=1))

    with pytest.raises(DeliveryError, match="127.0.0.1:1"):
        notifier.notify_media(finished_video.owner_id, finished_video.media_id)


def test_failed_media_notified_once_with_reason(
    notify_library, finished_video, smtp_inbox
):
    notify_library.media.set_status(
        finished_video.owner_id,
        finished_video.media_id,
        MediaStatus.FAILED,
        "the file has no video stream",
    )
    notifier = _notifier(notify_library, smtp_inbox)

    first = notifier.notify_failures()
    second = notifier.notify_failures()

    assert first == 1
    assert second == 0
    message = email.message_from_bytes(smtp_inbox[0].messages[0])
    assert message["Subject"] == "Party: processing failed"
    assert "the file has no video stream" in message.get_payload()


def test_no_channels_sends_nothing(notify_library, finished_video):
    notifier = Notifier(notify_library)

    assert notifier.notify_media(finished_video.owner_id, finished_video.media_id) == ()
    assert notifier.notify_failures() == 0


def test_resubmitted_media_is_notified_again(
    notify_library, finished_video, smtp_inbox
):
    owner, media = finished_video.owner_id, finished_video.media_id
    notify_library.media.set_status(owner, media, MediaStatus.FAILED, "disk full")
    notifier = _notifier(notify_library, smtp_inbox)
    notifier.notify_failures()

    notify_library.media.reset_for_resubmission(
        owner, media, source="/videos/party.mp4", title=None, skip_faces=False
    )
    notify_library.media.set_status(owner, media, MediaStatus.FAILED, "disk full")
    second = notifier.notify_failures()

    assert second == 1
    assert len(smtp_inbox[0].messages) == 2

import email
import uuid

import pytest

from vwf.config import load_settings
from vwf.pipeline.notify import NotifyCompleteActivity
from vwf.workflow import ActivityContext
from vwf.workflow.errors import NonRetryableError


@pytest.fixture
def settings(vwf_home, sqlite_url, smtp_inbox):
    return load_settings(
        library_url=sqlite_url, smtp_host="127.0.0.1", smtp_port=smtp_inbox[1]
    )


def _input(video):
    return {
        "media_id": str(video.media_id),
        "user_id": str(video.owner_id),
        "FaceRecognize": {"people": []},
    }


def test_notify_stage_emails_owner_once(
    settings, notify_library, finished_video, smtp_inbox
):
    activity = NotifyCompleteActivity(settings, library=notify_library)

    first = activity(_input(finished_video), ActivityContext.detached())
    retry = activity(_input(finished_video), ActivityContext.detached(attempt=2))

    assert first == {"channels": ["email"], "people": 2}
    assert retry == {"channels": [], "people": 2}
    assert len(smtp_inbox[0].messages) == 1
    message = email.message_from_bytes(smtp_inbox[0].messages[0])
    assert message["Subject"] == "Party is ready"


def test_notify_stage_unknown_media_is_not_retried(
    settings, notify_library, finished_video
):
    activity = NotifyCompleteActivity(settings, library=notify_library)
    stage_input = {**_input(finished_video), "media_id": str(uuid.uuid4())}

    with pytest.raises(NonRetryableError, match="not in the library"):
        activity(stage_input, ActivityContext.detached())


def test_notify_stage_missing_ids_is_not_retried(settings, notify_library):
    activity = NotifyCompleteActivity(settings, library=notify_library)

    with pytest.raises(NonRetryableError, match="media_id"):
        activity({}, ActivityContext.detached())

from __future__ import annotations

import pytest

from vwf.library import Library, MediaStatus, NotFoundError, record_workflow_outcome


@pytest.fixture
def media(library: Library):
    user = library.users.get_or_create("alice@example.com")
    return library.media.create(user.id, content_hash=None, source=None)


def test_completed_visible_becomes_complete(library: Library, media) -> None:
    library.media.set_status(media.owner_id, media.id, MediaStatus.VISIBLE)

    record = record_workflow_outcome(library, media.id, "completed", None)

    assert record.status is MediaStatus.COMPLETE


def test_completed_pending_becomes_failed(library: Library, media) -> None:
    record = record_workflow_outcome(library, media.id, "completed", None)

    assert record.failure_reason == "workflow completed while the media was pending"


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        ("failed", "workflow failed: Transcode ran out of attempts"),
        ("canceled", "workflow canceled: Transcode ran out of attempts"),
        ("timed_out", "workflow timed out: Transcode ran out of attempts"),
        ("terminated", "workflow terminated: Transcode ran out of attempts"),
    ],
)
def test_other_outcomes_fail_media(library: Library, media, outcome, reason):
    library.media.set_status(media.owner_id, media.id, MediaStatus.VISIBLE)

    record = record_workflow_outcome(
        library, media.id, outcome, "Transcode ran out of attempts"
    )

    assert record.status is MediaStatus.FAILED
    assert record.failure_reason == reason


def test_failed_keeps_first_reason(library: Library, media) -> None:
    library.media.set_status(
        media.owner_id, media.id, MediaStatus.FAILED, "no video stream"
    )

    record = record_workflow_outcome(library, media.id, "failed", "activity failed")

    assert record.failure_reason == "no video stream"


def test_unknown_media_not_found(library: Library) -> None:
    with pytest.raises(NotFoundError):
        record_workflow_outcome(
            library, "00000000-0000-0000-0000-000000000000", "failed"
        )


def test_invalid_outcome_raises(library: Library, media) -> None:
    with pytest.raises(Exception, match="invalid workflow outcome 'done'"):
        record_workflow_outcome(library, media.id, "done")

from vwf.notify import build_report


def test_report_lists_people_with_labels(notify_library, finished_video):
    report = build_report(
        notify_library, finished_video.owner_id, finished_video.media_id
    )

    labels = [person.label for person in report.people]
    assert labels == ["Grace Hopper", "new person 1"]


def test_report_merges_close_faces_into_ranges(notify_library, finished_video):
    report = build_report(
        notify_library, finished_video.owner_id, finished_video.media_id
    )

    grace = report.people[0]
    assert grace.time_ranges == ((0.5, 1.0), (7.0, 7.0))
    assert grace.face_count == 3
    assert grace.is_new is False


def test_report_marks_new_person(notify_library, finished_video):
    report = build_report(
        notify_library, finished_video.owner_id, finished_video.media_id
    )

    assert report.people[1].is_new is True


def test_report_json_has_outcome_and_people(notify_library, finished_video):
    report = build_report(
        notify_library, finished_video.owner_id, finished_video.media_id
    )

    data = report.to_json()
    assert data["outcome"] == "completed"
    assert data["people"][0]["time_ranges"] == [[0.5, 1.0], [7.0, 7.0]]


def test_report_uses_track_time_ranges_when_given(notify_library, finished_video):
    first = build_report(
        notify_library, finished_video.owner_id, finished_video.media_id
    )
    grace_id = first.people[0].person_id

    report = build_report(
        notify_library,
        finished_video.owner_id,
        finished_video.media_id,
        time_ranges={grace_id: [[0.0, 4.0], [8.0, 12.0]]},
    )

    assert report.people[0].time_ranges == ((0.0, 4.0), (8.0, 12.0))
    assert report.people[1].time_ranges == ((3.0, 3.0),)

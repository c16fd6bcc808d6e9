"""process_videos on the demo video: the whole pipeline in one process."""

import pytest
from PIL import Image

from vwf.service import process_videos


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, demo_inputs):
    from vwf.config import load_settings

    home = tmp_path_factory.mktemp("vwf-home")
    settings = load_settings(environ={"VWF_HOME": str(home)})
    snapshots = []
    results = process_videos(
        settings,
        [demo_inputs.video],
        user_email="ada@example.com",
        people_dir=demo_inputs.people_dir,
        on_progress=snapshots.append,
    )
    return settings, results, snapshots


def test_process_completes_demo_video(first_run):
    _, results, _ = first_run

    assert len(results) == 1
    assert results[0].status == "complete"
    assert results[0].completed


def test_process_recognises_known_person(first_run):
    _, results, _ = first_run

    labels = sorted(person.label for person in results[0].people)
    assert labels == ["Grace Hopper", "new person 1"]


def test_process_marks_unknown_person_new(first_run):
    _, results, _ = first_run

    by_label = {person.label: person for person in results[0].people}
    assert by_label["Grace Hopper"].is_new is False
    assert by_label["new person 1"].is_new is True


def test_process_exports_face_crops_and_sheet(first_run):
    _, results, _ = first_run

    for person in results[0].people:
        with Image.open(person.crop_path) as crop:
            assert crop.width > 20
    with Image.open(results[0].people_sheet) as sheet:
        assert sheet.format == "PNG"


def test_process_reports_every_stage(first_run):
    _, results, _ = first_run

    stages = {stage.stage: stage for stage in results[0].stages}
    assert list(stages) == [
        "Transcode",
        "FaceDetect",
        "FaceRecognize",
        "NotifyComplete",
    ]
    for stage in stages.values():
        assert stage.status == "completed"
        assert stage.attempts == 1
        assert stage.seconds is not None


def test_process_shows_progress_until_closed(first_run):
    _, _, snapshots = first_run

    assert snapshots[-1][0].close_status == "COMPLETED"
    assert snapshots[0][0].close_status is None


def test_process_rejects_same_video_again(first_run, demo_inputs):
    settings, results, _ = first_run

    again = process_videos(settings, [demo_inputs.video], user_email="ada@example.com")

    assert again[0].status == "rejected"
    assert results[0].media_id in again[0].reason
    assert "already" in again[0].reason

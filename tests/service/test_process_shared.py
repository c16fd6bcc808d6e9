"""`vwf process` end to end on the real videos and photos beside the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.shared_data


def _vwf(home, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VWF_")}
    env["VWF_HOME"] = str(home)
    result = subprocess.run(
        [sys.executable, "-m", "vwf", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def processed(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("vwf-home")
    videos = shared_data / "videos"
    result = _vwf(
        home,
        "process",
        str(videos / "white_house_music_10s.mp4"),
        str(videos / "tears_of_steel_10s.mp4"),
        "--people",
        str(shared_data / "photos" / "people"),
        "--json",
    )
    by_name = {r["source"].rsplit("/", 1)[-1]: r for r in json.loads(result.stdout)}
    return home, by_name


def test_process_shared_videos_complete(processed):
    _, results = processed

    for name in ("white_house_music_10s.mp4", "tears_of_steel_10s.mp4"):
        assert results[name]["status"] == "complete"


def test_process_recognises_performer_and_man(processed):
    _, results = processed

    names = {p["name"] for p in results["white_house_music_10s.mp4"]["people"]}
    assert "lin_manuel_miranda" in names
    assert "barack_obama" in names


def test_process_makes_two_women_new_people(processed):
    _, results = processed

    people = results["white_house_music_10s.mp4"]["people"]
    new_people = [p for p in people if p["is_new"]]
    assert len(new_people) >= 2
    # NOTE: a blurred audience member may become a third new person.
    assert len(new_people) <= 3


def test_process_knows_nobody_in_tears_of_steel(processed):
    _, results = processed

    people = results["tears_of_steel_10s.mp4"]["people"]
    assert people
    assert all(p["is_new"] for p in people)
    assert all(p["name"] is None for p in people)


def test_process_same_video_again_is_refused(processed, shared_data):
    home, results = processed
    video = shared_data / "videos" / "white_house_music_10s.mp4"

    again = _vwf(home, "process", str(video), check=False)

    assert again.returncode == 1
    media_id = results["white_house_music_10s.mp4"]["media_id"]
    assert "rejected" in again.stdout
    assert media_id in again.stdout

"""Measure face analysis speed on 720p video.

Reports detection frames per second, embeddings per second, and the
end-to-end analysis time (decode, sample, detect, track, rate, embed) as a
multiple of real time. Other processes on the machine slow every step, so it
also prints the CPU time of the analysis and the load average. The input is a 720p H.264
clip made with ffmpeg from ``white_house_music_10s.mp4`` in the shared media,
looped to ``--seconds``.

    .venv/bin/python bench/face_speed.py [--seconds 30] [--shared-data PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import cv2

from vwf.faces import (
    AdaptiveSchedule,
    FaceModels,
    VideoReader,
    align_face,
    analyze_video,
)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOURCE = Path("videos/white_house_music_10s.mp4")


def make_720p(source: Path, output: Path, seconds: float) -> Path:
    """Upscale ``source`` to 1280x720 H.264, looping it to ``seconds``."""
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-stream_loop", "-1",
        "-i", str(source), "-t", str(seconds), "-vf", "scale=1280:720",
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-an",
        str(output),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=600)
    return output


def sample_all(video: Path) -> list:
    """Return every frame the default schedule samples from ``video``."""
    schedule = AdaptiveSchedule()
    frames = []
    with VideoReader(video) as reader:
        for frame in reader.sample(schedule):
            frames.append(frame)
            schedule.record(frame.time, active=True)
    return frames


def time_decode(video: Path) -> tuple[float, float]:
    """Return (seconds, video duration) to decode and sample without detection."""
    started = time.perf_counter()
    schedule = AdaptiveSchedule()
    last = 0.0
    with VideoReader(video) as reader:
        for frame in reader.sample(schedule):
            schedule.record(frame.time, active=False)
            last = frame.time
    return time.perf_counter() - started, last


def time_detection(models: FaceModels, frames: list) -> tuple[float, int]:
    """Return (frames per second, faces found) for detection on the small copies."""
    started = time.perf_counter()
    found = sum(len(models.detector.detect(frame.small)) for frame in frames)
    return len(frames) / (time.perf_counter() - started), found


def time_embedding(models: FaceModels, frames: list, count: int = 200) -> float:
    """Return embeddings per second over up to ``count`` aligned faces."""
    aligned = []
    for frame in frames:
        for face in models.detector.detect(frame.small):
            full = face.scaled(frame.scale)
            aligned.append(align_face(frame.image, full.landmark_array))
        if len(aligned) >= count:
            break
    started = time.perf_counter()
    for crop in aligned:
        models.embedder.embed_aligned(crop)
    return len(aligned) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="clip length in s")
    parser.add_argument("--shared-data", type=Path, default=SHARED_DATA)
    arguments = parser.parse_args()

    models = FaceModels.default()
    models.load()
    with tempfile.TemporaryDirectory(prefix="vwf-face-speed-") as directory:
        video = make_720p(
            arguments.shared_data / SOURCE,
            Path(directory) / "720p.mp4",
            arguments.seconds,
        )
        decode_seconds, duration = time_decode(video)
        frames = sample_all(video)
        detection_fps, faces = time_detection(models, frames)
        embeddings_per_second = time_embedding(models, frames)

        started = time.perf_counter()
        cpu_started = time.process_time()
        analysis = analyze_video(video, models)
        elapsed = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    )
    print(f"OpenCV {cv2.__version__}, threads {cv2.getNumThreads()}")
    print(f"video: 1280x720, {analysis.duration:.1f} s")
    decode_speed = duration / decode_seconds
    print(
        f"decode + sample only: {decode_seconds:.2f} s ({decode_speed:.1f}x real time)"
    )
    print(f"detection: {detection_fps:.1f} frames/s at 640x360")
    print(f"  ({faces} faces in {len(frames)} frames)")
    print(f"embedding: {embeddings_per_second:.1f} faces/s")
    print(
        f"end to end: {elapsed:.2f} s for {analysis.duration:.1f} s of video = "
        f"{analysis.duration / elapsed:.1f}x real time "
        f"({analysis.frames_sampled} samples, {len(analysis.tracks)} tracks)"
    )
    print(f"  CPU time {cpu_seconds:.2f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

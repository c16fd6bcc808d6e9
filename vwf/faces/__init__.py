"""Face detection, embedding and tracking, fully offline on the CPU.

``FaceModels.default()`` detects faces with YuNet and embeds them with SFace
(both run by OpenCV); :func:`analyze_video` samples a video, tracks the faces
across frames and keeps the best faces of each track.
"""

from vwf.faces._align import ALIGNED_SIZE, ARCFACE_TEMPLATE, align_face
from vwf.faces._detector import DetectedFace
from vwf.faces._embedder import EMBEDDING_SIZE, cosine_similarity
from vwf.faces._frames import AdaptiveSchedule, SampledFrame, VideoInfo, VideoReader
from vwf.faces._images import load_image
from vwf.faces._import import (
    DirectorySource,
    ImportReport,
    ImportSource,
    LabelledPhoto,
    PeopleImporter,
)
from vwf.faces._matching import Thresholds
from vwf.faces._models import DETECTOR_FILE, EMBEDDER_FILE, FaceModels, ModelFile
from vwf.faces._orphans import OrphanFacesSchedule, OrphanReport, run_orphan_faces
from vwf.faces._people import (
    FaceSummary,
    People,
    PersonDetail,
    PersonSummary,
    find_user_id,
)
from vwf.faces._quality import MIN_FACE_SIDE, FaceQuality, assess_face
from vwf.faces._recognize import PersonFound, RecognitionSummary, recognize_media
from vwf.faces._tracking import FaceTracker, TrackSpan, iou
from vwf.faces._turn import RecognitionTurns
from vwf.faces._video import (
    AnalysisOptions,
    FaceTrack,
    TrackFace,
    VideoAnalysis,
    analyze_video,
)
from vwf.faces.errors import (
    AnalysisCancelled,
    FaceError,
    ImageError,
    ImportSourceError,
    ModelFileError,
    PeopleError,
    UserBusyError,
    VideoDecodeError,
)

__all__ = [
    "ALIGNED_SIZE",
    "ARCFACE_TEMPLATE",
    "DETECTOR_FILE",
    "EMBEDDER_FILE",
    "EMBEDDING_SIZE",
    "MIN_FACE_SIDE",
    "AdaptiveSchedule",
    "AnalysisCancelled",
    "AnalysisOptions",
    "DetectedFace",
    "FaceError",
    "FaceModels",
    "FaceQuality",
    "FaceTrack",
    "FaceTracker",
    "ImageError",
    "ModelFile",
    "ModelFileError",
    "SampledFrame",
    "TrackFace",
    "TrackSpan",
    "VideoAnalysis",
    "VideoDecodeError",
    "VideoInfo",
    "VideoReader",
    "align_face",
    "analyze_video",
    "assess_face",
    "cosine_similarity",
    "iou",
    "load_image",
    "DirectorySource",
    "ImportReport",
    "ImportSource",
    "LabelledPhoto",
    "PeopleImporter",
    "Thresholds",
    "OrphanFacesSchedule",
    "OrphanReport",
    "run_orphan_faces",
    "FaceSummary",
    "People",
    "PersonDetail",
    "PersonSummary",
    "find_user_id",
    "PersonFound",
    "RecognitionSummary",
    "recognize_media",
    "RecognitionTurns",
    "UserBusyError",
    "PeopleError",
    "ImportSourceError",
]

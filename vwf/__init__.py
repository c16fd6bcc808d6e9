"""vwf: browse a family's home videos by person.

Packages:

- ``vwf.engine``: the SWF-compatible workflow engine (embedded or over HTTP).
- ``vwf.workflow``: workflow definitions, the generic decider, the activity worker.
- ``vwf.pipeline``: the video workflow and its stages.
- ``vwf.library``: the application database (users, media, faces, people).
- ``vwf.storage``: blob stores for media files (local directory, S3).
- ``vwf.media``: probing and transcoding with ffmpeg.
- ``vwf.faces``: face detection, tracking, embedding and recognition.
- ``vwf.cli``: the ``vwf`` command line.
"""

__version__ = "0.1.0"

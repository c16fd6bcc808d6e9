"""Blob stores for media files: a local directory or an S3 bucket.

::

    store = open_store(settings.storage_url)
    store.put_file(keys.video_key(user_id, media_id), "/tmp/out.mp4")
"""

from vwf.storage import keys
from vwf.storage._base import BlobStore
from vwf.storage._local import LocalBlobStore
from vwf.storage._open import open_store
from vwf.storage._s3 import S3BlobStore
from vwf.storage.errors import (
    BlobNotFoundError,
    InvalidKeyError,
    InvalidStoreURLError,
    StorageError,
)

__all__ = [
    "BlobNotFoundError",
    "BlobStore",
    "InvalidKeyError",
    "InvalidStoreURLError",
    "LocalBlobStore",
    "S3BlobStore",
    "StorageError",
    "keys",
    "open_store",
]

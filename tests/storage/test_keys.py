from __future__ import annotations

import uuid

import pytest

from vwf.storage import InvalidKeyError, keys

USER = uuid.UUID("11111111-1111-1111-1111-111111111111")
MEDIA = uuid.UUID("22222222-2222-2222-2222-222222222222")
PREFIX = f"users/{USER}/media/{MEDIA}/"


def test_media_keys_layout() -> None:
    assert keys.original_key(USER, MEDIA, ".MOV") == PREFIX + "original.mov"
    assert keys.video_key(USER, MEDIA) == PREFIX + "video.mp4"
    assert keys.poster_key(USER, MEDIA) == PREFIX + "poster.jpg"
    assert keys.thumbnail_key(USER, MEDIA, 3) == PREFIX + "thumbs/003.jpg"
    assert keys.animated_poster_key(USER, MEDIA) == PREFIX + "poster.webp"
    assert keys.face_key(USER, MEDIA, USER) == PREFIX + f"faces/{USER}.jpg"


def test_original_key_odd_extension_is_bin() -> None:
    assert keys.original_key(USER, MEDIA, "m/../x") == PREFIX + "original.bin"


def test_key_with_non_uuid_raises() -> None:
    with pytest.raises(InvalidKeyError, match="'../etc'"):
        keys.video_key("../etc", MEDIA)

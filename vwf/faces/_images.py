"""Photo loading with the EXIF orientation applied."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from vwf.faces.errors import ImageError


def load_image(source: str | Path | bytes) -> np.ndarray:
    """Load a photo from a path or from its bytes as upright BGR ``uint8`` pixels.

    The EXIF ``Orientation`` tag is applied, so a portrait a phone stored
    sideways comes back upright. Any format Pillow reads is accepted.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(stream) as image:
            upright = ImageOps.exif_transpose(image)
            rgb = np.asarray(upright.convert("RGB"))
    except FileNotFoundError as exc:
        raise ImageError(f"image file {name} not found; check the path") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(
            f"cannot decode image {name}: not a JPEG, PNG or other format "
            "Pillow reads; re-export the photo as JPEG or PNG"
        ) from exc
    except (OSError, Image.DecompressionBombError) as exc:
        raise ImageError(
            f"cannot read image {name}: {exc}; check that the file is a "
            "complete, reasonably sized image"
        ) from exc
    return np.ascontiguousarray(rgb[:, :, ::-1])

"""The one image-file loader shared by the CLI and the app's upload: file or bytes -> BGR uint8.

Hostile input is the normal case here (anything a user drops in), so every failure becomes one
`ImageLoadError` line that names the file, and the pixel count is checked from the header
BEFORE any pixel is decoded (a 50,000 x 50,000 PNG is a few hundred KB on disk but 7.5 GB
decoded). Nothing is ever written to disk.
"""
from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# 40 megapixels: every phone photo of 2026 in its default mode; decoded as RGB that is 120 MB,
# and the conversions below keep the peak at a few hundred MB.
DEFAULT_MAX_PIXELS = 40_000_000
SUPPORTED_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")
UPLOAD_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "bmp", "tif", "tiff")

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO


class ImageLoadError(ValueError):
    """A file that cannot be read as an image; the message is one line naming the file."""


def load_image(source: Source, max_pixels: int = DEFAULT_MAX_PIXELS,
               name: str | None = None) -> np.ndarray:
    """Decode a path, bytes or binary file object to an H x W x 3 BGR uint8 array.

    The first frame of a multi-frame GIF/TIFF; EXIF orientation applied; 16-bit, CMYK,
    palette and alpha images converted (transparent areas become white paper).
    Raises ImageLoadError (a ValueError) with one line for anything that is not a readable
    image of at most `max_pixels` pixels.
    """
    label = name or _source_label(source)
    stream = _open_binary(source, label)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns/raises at its own limit; ours below is the one that counts
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with stream, Image.open(stream) as im:  # lazy: reads the header only
                check_pixel_count(im.size, max_pixels, label)
                if im.format not in SUPPORTED_FORMATS:
                    raise ImageLoadError(f"{label}: {im.format} images are not supported "
                                         f"(use {', '.join(SUPPORTED_FORMATS)})")
                im.seek(0)  # first frame of an animation / multi-page TIFF
                im.load()
                upright = ImageOps.exif_transpose(im)
                return pil_to_bgr(upright)
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as e:
        # Pillow's own header check fired first (far above our limit); same message as ours
        pixels = re.search(r"\((\d+) pixels\)", str(e))
        size = f"{int(pixels.group(1)) / 1e6:.1f} megapixels" if pixels else "too many pixels"
        raise ImageLoadError(f"{label}: image is {size}, more than the {max_pixels / 1e6:.1f} "
                             f"megapixel limit (possible decompression bomb); not decoded") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{label}: not an image file (or a format that is not supported: "
                             f"use {', '.join(SUPPORTED_FORMATS)})") from None
    except MemoryError:
        raise ImageLoadError(f"{label}: not enough memory to decode this image") from None
    except Exception as e:  # noqa: BLE001 - decoders raise many types for corrupt data
        raise ImageLoadError(f"{label}: corrupt or truncated image ({_one_line(e)})") from None


def check_pixel_count(size: tuple[int, int], max_pixels: int, label: str = "image") -> None:
    """Refuse an image whose header announces more than max_pixels pixels (or no pixels)."""
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageLoadError(f"{label}: the image has no pixels ({width} x {height})")
    if width * height > max_pixels:
        raise ImageLoadError(
            f"{label}: image is {width} x {height} = {width * height / 1e6:.1f} megapixels, "
            f"more than the {max_pixels / 1e6:.1f} megapixel limit; scale it down first")


def pil_to_bgr(im: Image.Image) -> np.ndarray:
    """Any Pillow mode -> H x W x 3 BGR uint8 (alpha composited onto white)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        gray = _scale_wide_to_uint8(np.asarray(im))
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if im.mode == "F":
        gray = _scale_float_to_uint8(np.asarray(im, dtype=np.float32))
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    rgb = np.array(im.convert("RGB"))  # CMYK, YCbCr, P, 1, L ... all become RGB here
    return rgb[:, :, ::-1].copy()  # RGB -> BGR, contiguous


def _scale_wide_to_uint8(values: np.ndarray) -> np.ndarray:
    """16/32-bit integer grey -> 8 bits. 16-bit data uses its full range (>> 8)."""
    values = values.astype(np.int64, copy=False)
    top = int(values.max()) if values.size else 0
    if top <= 255 and int(values.min()) >= 0:
        return values.astype(np.uint8)
    return (np.clip(values, 0, 65535) >> 8).astype(np.uint8)


def _scale_float_to_uint8(values: np.ndarray) -> np.ndarray:
    """Float grey (0..1 or 0..255 by convention) -> uint8; NaN becomes black."""
    values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
    if values.size and float(values.max()) <= 1.0:
        values = values * 255.0
    return np.clip(values, 0, 255).astype(np.uint8)


def _open_binary(source: Source, label: str) -> BinaryIO:
    """A seekable binary stream over the source; an empty source is an error already here."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        stream: BinaryIO = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        stream = _open_path(Path(source), label)
    elif hasattr(source, "read"):
        data = source.read()
        if isinstance(data, str):
            raise ImageLoadError(f"{label}: opened in text mode; give a binary file")
        stream = io.BytesIO(bytes(data))
    else:
        raise TypeError(f"load_image expects a path, bytes or a binary file object, got "
                        f"{type(source).__name__}")
    if stream.seek(0, io.SEEK_END) == 0:
        stream.close()
        raise ImageLoadError(f"{label}: the file is empty")
    stream.seek(0)
    return stream


def _open_path(path: Path, label: str) -> BinaryIO:
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by load_image's `with`
    except FileNotFoundError:
        raise ImageLoadError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise ImageLoadError(f"{label}: is a directory, not an image file") from None
    except OSError as e:
        raise ImageLoadError(f"{label}: cannot read the file ({_one_line(e)})") from None


def _source_label(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", None) or "image")


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]

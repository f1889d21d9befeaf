"""Input stage: any ndarray (gray, BGR, BGRA; uint8, uint16, float, bool) -> gray uint8 at a
bounded working size.

Odd but valid arrays (empty, NaN, 16-bit, bool) never raise; they come out as something the later
stages can read (possibly blank). Only a non-array (TypeError) or a shape that is no image
(ValueError) is refused.
"""
from __future__ import annotations

import ctypes

import cv2
import numpy as np

# Longest side the engine works at. A 1280x720 camera frame is read at full resolution (digits can
# be 15 px tall); bigger photos are shrunk so the cost stays bounded.
DEFAULT_MAX_SIDE = 1600


# glibc malloc: serve every array under this size from the heap, and give freed heap memory back
# to the OS only when more than this much is free at its top.
MALLOC_MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value
MALLOC_TRIM_THRESHOLD = 64 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameter numbers (malloc.h)


def keep_freed_memory() -> bool:
    """Let freed page-size arrays be reused by the next read instead of returning to the OS.

    By default glibc maps each large array afresh (or trims the heap after a read) and the
    kernel then faults the pages in one by one: ~1,800 minor page faults, ~2 ms, per 1280x720
    read, depending on what the process allocated before. Process-wide; returns False (and
    changes nothing) where the C library has no glibc-style mallopt.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD))


keep_freed_memory()  # the engine's per-read arrays are page-size: set it up once, on import


def check_image(image) -> np.ndarray:
    """Raise TypeError / ValueError for what cannot be an image; return it as an ndarray."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"read() expects a numpy ndarray image (H x W gray or H x W x 3/4 colour), "
                        f"got {type(image).__name__}")
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise ValueError(f"expected an image with 1, 3 (BGR) or 4 (BGRA) channels, "
                         f"got shape {image.shape}")
    if image.ndim not in (2, 3):
        raise ValueError(f"expected a 2-D (H x W) or 3-D (H x W x C) image, got {image.ndim}-D "
                         f"array of shape {image.shape}")
    if image.dtype.kind not in "biuf":
        raise ValueError(f"expected a numeric image (uint8, uint16, float, bool), got dtype {image.dtype}")
    return image


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Any numeric dtype -> uint8 0..255 (bool -> 0/255; float 0..1 -> 0..255; 16-bit -> /257)."""
    if values.dtype == np.uint8:
        return values
    if values.dtype == bool:
        return values.astype(np.uint8) * 255
    if values.dtype == np.uint16:
        return (values >> 8).astype(np.uint8)
    if values.dtype.kind == "f":
        v = np.nan_to_num(values.astype(np.float64, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
        v = np.clip(v, -1e300, 1e300) * 1e-8  # no overflow in the stretch below
        finite_max = float(v.max()) if v.size else 0.0
        if finite_max <= 1e-8:  # the usual 0..1 float image (scaled by 1e-8 above)
            v = v * 255e8
        elif finite_max > 255e-8:  # some other range: stretch it
            lo = float(v.min())
            v = (v - lo) * (255.0 / max(finite_max - lo, 1e-300))
        else:
            v = v * 1e8
        return np.clip(v, 0, 255).astype(np.uint8)
    # other integers: keep 0..255 as is, stretch wider ranges (in float64: int64/uint64 ranges
    # overflow integer arithmetic)
    hi, lo = (int(values.max()), int(values.min())) if values.size else (0, 0)
    if lo >= 0 and hi <= 255:
        return values.astype(np.uint8)
    stretched = (values.astype(np.float64) - lo) * (255.0 / max(hi - lo, 1))
    return np.clip(stretched, 0, 255).astype(np.uint8)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Checked image -> 2-D gray uint8 (alpha is composited onto white paper)."""
    image = check_image(image)
    if image.size == 0:
        return np.zeros(image.shape[:2], np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    img = to_uint8(image)
    if img.ndim == 2:
        return np.ascontiguousarray(img)
    if img.shape[2] == 4:
        alpha = img[:, :, 3:4].astype(np.uint16)
        bgr = img[:, :, :3].astype(np.uint16)
        img = ((bgr * alpha + 255 * (255 - alpha)) // 255).astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2GRAY)


def working_scale(shape: tuple[int, int], max_side: int = DEFAULT_MAX_SIDE) -> float:
    """Factor from input pixels to working pixels (<= 1: only shrink)."""
    longest = max(shape[:2]) if len(shape) >= 2 else 0
    return 1.0 if longest <= max_side else max_side / longest


def to_working(gray: np.ndarray, scale: float) -> np.ndarray:
    """Shrink gray to the working size (area interpolation keeps thin strokes as grey)."""
    if scale >= 1.0:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def colour_of(image: np.ndarray) -> np.ndarray | None:
    """Checked image -> its BGR channels as uint8 (a view for uint8 input), or None for a gray
    image. Alpha is ignored: only the colour of marks is asked (components.drop_skin_at_frame)."""
    if image.ndim != 3 or image.shape[2] < 3 or image.size == 0 or image.dtype == bool:
        return None
    return to_uint8(image[:, :, :3])

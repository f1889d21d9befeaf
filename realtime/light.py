"""Light and polarity: estimate the paper (or board) brightness everywhere, divide it out, and
decide whether the ink is darker (paper, whiteboard) or lighter (blackboard) than it.

The background is a large median filter on a shrunken copy: ink covers well under half of any
window, so the median is the paper, and unlike a blur or a closing the median keeps the sharp
edge of a hard shadow.
"""
from __future__ import annotations

import cv2
import numpy as np

# Background window as a fraction of the longer side (and at least this many working pixels);
# bigger than the thickest stroke and most digit holes.
BACKGROUND_WINDOW = 1 / 12
MIN_BACKGROUND_WINDOW = 31


def estimate_background(gray: np.ndarray) -> np.ndarray:
    """Gray uint8 -> smooth paper brightness map, same size."""
    h, w = gray.shape
    window = max(MIN_BACKGROUND_WINDOW, max(h, w) * BACKGROUND_WINDOW)
    # shrink so the median window is ~21 px wide: cheap, and fine enough for shadow edges
    factor = max(1, int(window // 21))
    small = cv2.resize(gray, (max(1, w // factor), max(1, h // factor)),
                       interpolation=cv2.INTER_AREA) if factor > 1 else gray
    k = int(window / factor) | 1
    k = max(3, min(k, 255))
    bg = cv2.medianBlur(small, k)
    bg = cv2.blur(bg, (3, 3))
    if bg.shape != gray.shape:
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    return bg


def ink_is_dark(gray: np.ndarray, background: np.ndarray) -> bool:
    """True for dark ink on light paper; False for light chalk/marker on a dark board.

    Ink is what stands out from the background; whichever sign has more strongly deviating
    pixels is the ink. Counted on every other pixel: plenty, and twice as fast.
    """
    g = gray[::2, ::2]
    b = background[::2, ::2]
    darker = cv2.subtract(b, g)
    lighter = cv2.subtract(g, b)
    t = 24
    n_dark = int(np.count_nonzero(darker > t))
    n_light = int(np.count_nonzero(lighter > t))
    return n_dark >= n_light


def contrast_maps(gray: np.ndarray, background: np.ndarray, dark_ink: bool) -> tuple[np.ndarray, np.ndarray]:
    """(ink, noise): contrast of each pixel against its background, 0 (paper) .. 255, for the
    ink's sign and for the other sign (pure noise and texture, which sets the threshold floor).

    Relative contrast (difference / background) makes a stroke in shadow as strong as the same
    stroke in light: illumination multiplies both. Both maps share the denominator so the noise
    is measured on the ink's scale.
    """
    if dark_ink:
        denom = cv2.max(background, 40)
        ink, other = cv2.subtract(background, gray), cv2.subtract(gray, background)
    else:
        # chalk: contrast relative to the room left above the board, but never more than 2x
        # the board itself (a near-black board would make any speck full contrast)
        denom = cv2.min(cv2.max(cv2.subtract(255, background), 40), cv2.max(background, 40) * 2)
        ink, other = cv2.subtract(gray, background), cv2.subtract(background, gray)
    return cv2.divide(ink, denom, scale=255), cv2.divide(other, denom, scale=255)


def ink_map(gray: np.ndarray, background: np.ndarray, dark_ink: bool) -> np.ndarray:
    """Contrast of the ink's sign, 0 (paper) .. 255 (full-contrast ink)."""
    return contrast_maps(gray, background, dark_ink)[0]


def opposite_map(gray: np.ndarray, background: np.ndarray, dark_ink: bool) -> np.ndarray:
    """Contrast of the other sign on the ink's scale: noise and texture."""
    return contrast_maps(gray, background, dark_ink)[1]

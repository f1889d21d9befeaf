"""Draw a Reading onto a copy of its image: boxes coloured by confidence, labels, line numbers.

Called on every video frame, so it is a handful of OpenCV calls per digit and nothing per pixel
beyond one copy (and a gray->BGR conversion when needed).
"""
from __future__ import annotations

import cv2
import numpy as np

from realtime.image import to_uint8
from realtime.reading import Reading

FONT = cv2.FONT_HERSHEY_SIMPLEX


def confidence_colour(conf: float) -> tuple[int, int, int]:
    """BGR from red (unsure) through yellow to green (sure)."""
    c = float(min(1.0, max(0.0, (conf - 0.5) / 0.5)))
    if c < 0.5:
        return (0, int(255 * c * 2), 255)
    return (0, 255, int(255 * (1 - (c - 0.5) * 2)))


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A BGR uint8 copy of any gray/BGR/BGRA image."""
    img = to_uint8(np.asarray(image))
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img.copy()


def label_spot(box: tuple[int, int, int, int], size: tuple[int, int],
               taken: list[tuple[int, int, int, int]], image_h: int) -> tuple[int, int]:
    """Where a digit's label of `size` (w, h) goes -> its text origin (x, baseline y): above the
    box, else below it, where the image has room and the label covers none of `taken` (x, y,
    w, h: the other digits' boxes and the labels placed so far; a label below line 1 sat on
    line 2's labels), else inside the box's top-left corner."""
    box = tuple(box)
    x, y, w, h = box
    tw, th = size
    for top in (y - 3 - th, y + h + 3):
        if top < 0 or top + th > image_h:
            continue
        bottom, right = top + th, x + tw
        # (a plain loop: a few dozen rectangles, called per digit on every video frame, where
        # numpy's per-call overhead costs more)
        if not any(ox < right and x < ox + ow and oy < bottom and top < oy + oh
                   for ox, oy, ow, oh in taken if (ox, oy, ow, oh) != box):
            return x, bottom
    return x + 2, y + th + 2


def draw(image: np.ndarray, reading: Reading, show_lines: bool = True) -> np.ndarray:
    """Annotated BGR copy of `image` (the input of `reading`)."""
    out = as_bgr(image)
    if not reading.digits:
        return out
    h_img, w_img = out.shape[:2]
    thick = max(1, round(min(h_img, w_img) / 400))
    line_first: dict[int, tuple[int, int, int, int]] = {}
    taken = [tuple(d.box) for d in reading.digits]  # a label covers no other digit or label
    for d in reading.digits:
        x, y, w, h = d.box
        colour = confidence_colour(d.confidence)
        cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), colour, thick)
        scale = max(0.35, min(2.0, h / 40))
        (tw, th), _ = cv2.getTextSize(str(d.label), FONT, scale, thick + 2)
        tx, ty = label_spot(d.box, (tw, th), taken, h_img)
        taken.append((tx, ty - th, tw, th))
        cv2.putText(out, str(d.label), (tx, ty), FONT, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(out, str(d.label), (tx, ty), FONT, scale, colour, thick, cv2.LINE_AA)
        if d.line not in line_first or x < line_first[d.line][0]:
            line_first[d.line] = d.box
    if show_lines:
        for line, (x, y, _w, h) in line_first.items():
            scale = max(0.4, min(1.5, h / 50))
            tag = f"L{line + 1}"
            (tw, _), _ = cv2.getTextSize(tag, FONT, scale, thick)
            px = max(0, x - tw - 6)
            py = y + h // 2 + int(8 * scale)
            cv2.putText(out, tag, (px, py), FONT, scale, (255, 255, 255), thick + 2, cv2.LINE_AA)
            cv2.putText(out, tag, (px, py), FONT, scale, (200, 60, 0), thick, cv2.LINE_AA)
    return out

"""Printed-text detector at run time: is this group of "digits" a printed word?

    det = GroupDetector()                        # models/groups_int8.tflite
    p = det.text_probabilities(strips)           # strips: N x 24 x 96 uint8 from group_strip

A printed word made only of letters that look like digits ("Total", "Vat", "No.": T, o, t, a,
l read as 7, 0, 7, 2, 1) gives the letter detector (realtime/letters.py) little to flag: each
letter alone could be a handwritten digit. Seen together, in one strip, printed letters are
plainly print: even strokes, x-height letters beside capitals on one baseline. The reading
engine asks this small model (training/train_groups.py) about the groups of digits (between
spaces) it read that may be print (reader.worth_asking), and leaves out those it calls printed
text (realtime/reader.py). Printed *numbers* are not text: a meter's figures are read. LiteRT
only; thread-safe (one interpreter behind a lock).
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from realtime.classifier import MODELS_DIR, _Model
from realtime.light import percentiles_from_counts

DEFAULT_GROUP_MODEL = MODELS_DIR / "groups_int8.tflite"
STRIP_SIZE = (24, 96)   # rows, columns of a group's strip
TEXT_CLASS = 1          # the model's outputs: a number (handwritten or printed), printed text
STRIP_MARGIN = 0.15     # the group's box grows by this x its height on every side (+1 px)
STRIP_WHITE = 95        # this percentile of the crop's inked pixels becomes white


def group_strip(ink: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The ONE normalization of a group, shared by training and run time: the ink contrast map
    (uint8, white ink on black) in `box` (x, y, w, h) grown by STRIP_MARGIN, its contrast
    stretched (STRIP_WHITE), scaled to fit STRIP_SIZE keeping its aspect, centred -> uint8."""
    rows, cols = STRIP_SIZE
    x, y, w, h = (int(v) for v in box)
    m = int(STRIP_MARGIN * h) + 1
    height, width = ink.shape[:2]
    crop = ink[max(0, y - m):min(height, y + h + m), max(0, x - m):min(width, x + w + m)]
    out = np.zeros(STRIP_SIZE, np.uint8)
    if crop.size == 0:
        return out
    inked = cv2.calcHist([crop], [0], None, [256], [0, 256]).ravel()[1:]  # values 1..255
    if not inked.any():
        return out
    white = max(1.0, float(percentiles_from_counts(inked, [STRIP_WHITE], offset=1)[0]))
    # each of the 256 levels stretched (float32) and capped, then looked up: one pass over
    # the crop instead of three, the same values (contrast is never negative)
    levels = np.arange(256, dtype=np.float32)
    levels *= 255.0 / white
    np.minimum(levels, 255.0, out=levels)
    crop = cv2.LUT(crop, levels)
    scale = min(rows / crop.shape[0], cols / crop.shape[1])
    nw, nh = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    ox, oy = (cols - nw) // 2, (rows - nh) // 2
    out[oy:oy + nh, ox:ox + nw] = small.astype(np.uint8)
    return out


class GroupDetector:
    """The committed printed-text model (or one at `model_path`)."""

    def __init__(self, model_path: str | Path | None = None, num_threads: int = 1):
        self.model_path = Path(model_path) if model_path is not None else DEFAULT_GROUP_MODEL
        self._model = _Model(self.model_path, num_threads, classes=2, what="group model",
                             input_size=STRIP_SIZE)

    def text_probabilities(self, strips) -> np.ndarray:
        """N x 24 x 96 uint8 strips (group_strip) -> N float32 probabilities of printed text,
        one invoke."""
        arr = np.asarray(strips)
        if arr.ndim != 3 or arr.shape[1:] != STRIP_SIZE:
            raise ValueError(f"strips must be N x {STRIP_SIZE[0]} x {STRIP_SIZE[1]} (uint8), "
                             f"got shape {arr.shape}")
        if len(arr) == 0:
            return np.zeros(0, np.float32)
        if arr.dtype != np.uint8:
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        return self._model.probabilities(arr)[:, TEXT_CLASS].copy()

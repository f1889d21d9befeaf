"""Test pages with known handwritten digits for the app's tests (MNIST test digits, offline)."""
from __future__ import annotations

import cv2
import numpy as np

_PROTOTYPES: dict[int, np.ndarray] | None = None


def prototypes() -> dict[int, np.ndarray]:
    """For each label, the MNIST test digit closest to its class mean: a clear, typical glyph."""
    global _PROTOTYPES
    if _PROTOTYPES is None:
        from training.mnist import load

        images, labels = load("test")
        chosen = {}
        for label in range(10):
            some = images[labels == label][:300].astype(np.float32)
            mean = some.mean(axis=0)
            chosen[label] = some[np.argmin(((some - mean) ** 2).sum(axis=(1, 2)))].astype(np.uint8)
        _PROTOTYPES = chosen
    return _PROTOTYPES


class PrototypeClassifier:
    """Test double for the model: labels a 28 x 28 crop by its nearest normalized prototype.

    The test pages are drawn from the same prototypes, so it reads them reliably; tests of the
    app's flow then do not depend on the trained model's accuracy."""

    def __init__(self):
        from realtime.normalize import normalize_digit

        self.templates = np.stack([normalize_digit(prototypes()[d]).astype(np.float32)
                                   for d in range(10)])

    def probabilities(self, crops):
        crops = np.asarray(crops, np.float32).reshape(-1, 1, 28, 28)
        distance = ((crops - self.templates[None]) ** 2).mean(axis=(2, 3))
        scores = np.exp(-(distance - distance.min(axis=1, keepdims=True)) / 300.0)
        probs = np.zeros((len(crops), 11), np.float32)
        probs[:, :10] = scores / scores.sum(axis=1, keepdims=True)
        return probs


def digit_page(lines: list[str], width: int = 640, height: int = 360,
               cell: int = 90) -> np.ndarray:
    """BGR page: dark MNIST digits on light paper, one text line per entry, centred.

    Digits are spaced like handwriting (ink gaps well under a digit height, so no spaces are
    read inside a number); `cell` is the size an MNIST 28 x 28 field is scaled to."""
    glyphs = prototypes()
    page = np.full((height, width), 235, np.uint8)
    advance, line_pitch = int(cell * 0.62), int(cell * 1.1)
    top = (height - len(lines) * line_pitch) // 2
    for row, text in enumerate(lines):
        y = top + row * line_pitch
        x = (width - len(text) * advance - (cell - advance)) // 2
        for ch in text:
            if ch != " ":
                glyph = cv2.resize(glyphs[int(ch)], (cell, cell), interpolation=cv2.INTER_CUBIC)
                region = page[y:y + cell, x:x + cell]
                np.minimum(region, 255 - glyph, out=region)  # dark ink: darkest wins on overlap
            x += advance
    return cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)


def write_y4m(path, frame_bgr: np.ndarray, frames: int = 10, fps: int = 15) -> None:
    """A Y4M video that shows frame_bgr for `frames` frames (Chromium loops it as a webcam)."""
    h, w = frame_bgr.shape[:2]
    i420 = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2YUV_I420).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + i420)

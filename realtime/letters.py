"""Printed-letter detector at run time: is this unit of the engine a printed letter?

    det = LetterDetector()                       # models/letters_int8.tflite
    p = det.letter_probabilities(crops)          # crops: N x 28 x 28 uint8 from normalize_digit

A printed label beside a handwritten number ("Qty 12", "kWh 4521") is not part of the number,
but the digit classifier reads its letters as digits. The reading engine asks this small model
(training/train_letters.py) about each unit the digit model does not read as a sure digit, and
leaves out the digits read from a printed word: those near a unit that is a sure printed letter
(realtime/reader.py, word_digits). LiteRT only; thread-safe like the digit classifier (one
interpreter behind a lock).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from realtime.classifier import MODELS_DIR, _check_crops, _Model

DEFAULT_LETTER_MODEL = MODELS_DIR / "letters_int8.tflite"
LETTER_CLASS = 1  # the model's outputs: not a letter, printed letter


class LetterDetector:
    """The committed printed-letter model (or one at `model_path`)."""

    def __init__(self, model_path: str | Path | None = None, num_threads: int = 1):
        self.model_path = Path(model_path) if model_path is not None else DEFAULT_LETTER_MODEL
        self._model = _Model(self.model_path, num_threads, classes=2, what="letter model")

    def letter_probabilities(self, crops) -> np.ndarray:
        """N x 28 x 28 uint8 crops -> N float32 probabilities of a printed letter, one invoke."""
        crops = _check_crops(crops)
        if len(crops) == 0:
            return np.zeros(0, np.float32)
        return self._model.probabilities(crops)[:, LETTER_CLASS].copy()

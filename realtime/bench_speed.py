"""One-core page speed: median read time and per-stage breakdown on synthetic 1280x720 pages.

    taskset -c 0 .venv/bin/python -m realtime.bench_speed            # 40 pages of <= 40 digits
    taskset -c 0 .venv/bin/python -m realtime.bench_speed --min-digits 25 --json

The pages are the synthetic camera pages (realtime.synth) from seed 1000 on (outside the seeds
tuning and tests use) that are 1280x720 and hold at most `--max-digits` digits; they are made
once and cached (`--cache`), so runs of different code versions time exactly the same pixels.
Each page is read `--repeats` times after one warm-up read; a page's time is the median of its
reads, and a stage's time the median over pages of the per-page stage medians. The reader runs
its classifier with one thread; pin the process to one core with taskset.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

FIRST_SEED = 1000
PAGE_SIZE = (1280, 720)
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "realtime" / "speed_pages.npz"
STAGES = ("input", "light", "binarize", "lines", "segment", "classify", "assemble", "reread")


def digit_count(lines: list[str]) -> int:
    """Digits in the truth lines (spaces are not digits)."""
    return sum(ch.isdigit() for line in lines for ch in line)


def select_pages(n_pages: int, max_digits: int, first_seed: int = FIRST_SEED,
                 make_page=None) -> list[tuple[int, np.ndarray, int]]:
    """(seed, image, digit count) of the first `n_pages` synthetic 1280x720 pages with at most
    `max_digits` digits, seeds counting up from `first_seed`."""
    if make_page is None:
        from realtime.synth import make_page
    pages = []
    seed = first_seed
    while len(pages) < n_pages and seed < first_seed + 50 * n_pages + 100:
        image, lines = make_page(seed)
        n = digit_count(lines)
        if image.shape[1::-1] == PAGE_SIZE and n <= max_digits:
            pages.append((seed, image, n))
        seed += 1
    return pages


def load_pages(cache: Path, n_pages: int, max_digits: int) -> list[tuple[int, np.ndarray, int]]:
    """select_pages, from the cache file when it was made with the same selection by the same
    version of the page generator."""
    from realtime.synth import GENERATOR_VERSION
    key = f"{FIRST_SEED}:{n_pages}:{max_digits}:v{GENERATOR_VERSION}"
    if cache.exists():
        with np.load(cache) as data:
            if str(data["key"]) == key:
                return [(int(s), data[f"page{i}"], int(n))
                        for i, (s, n) in enumerate(zip(data["seeds"], data["digits"], strict=True))]
    pages = select_pages(n_pages, max_digits)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, key=key, seeds=[p[0] for p in pages], digits=[p[2] for p in pages],
             **{f"page{i}": p[1] for i, p in enumerate(pages)})
    tmp.replace(cache)
    return pages


def time_page(reader, image: np.ndarray, repeats: int) -> tuple[float, float, dict[str, float]]:
    """(median wall ms, median CPU ms, median ms of each stage) over `repeats` reads after one
    warm-up. CPU time (the process's) barely grows when other work competes for the core, so it
    compares versions on a busy machine; wall time is the number to report from a quiet one."""
    reader.read(image)
    walls, cpus, stages = [], [], {k: [] for k in STAGES}
    for _ in range(max(1, repeats)):
        t0, c0 = time.perf_counter(), time.process_time()
        reading = reader.read(image)
        walls.append(1e3 * (time.perf_counter() - t0))
        cpus.append(1e3 * (time.process_time() - c0))
        for k in STAGES:
            stages[k].append(reading.timings_ms.get(k, 0.0))
    return (statistics.median(walls), statistics.median(cpus),
            {k: statistics.median(v) for k, v in stages.items()})


def summarize(times: list[tuple[int, float, float, dict[str, float]]]) -> dict:
    """Per-page (digits, wall ms, CPU ms, stages) -> median totals and stage medians."""
    if not times:
        return {"pages": 0}
    return {"pages": len(times),
            "median_ms": statistics.median(t[1] for t in times),
            "max_ms": max(t[1] for t in times),
            "median_cpu_ms": statistics.median(t[2] for t in times),
            "stages_ms": {k: statistics.median(t[3][k] for t in times) for k in STAGES}}


def minor_faults() -> int:
    """Minor page faults of this process so far (fresh memory touched for the first time: a
    page-size array allocated anew on every read can cost as much as a whole stage)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def crops_per_digit(reader, pages) -> dict[str, float] | None:
    """Crops the reader's classifier reads per digit it reports, by model, over one read of
    each page (None for a classifier that does not count them). The classify stage costs
    about this many times the classifier's time per crop, per digit."""
    classifier = getattr(reader, "classifier", None)
    before = getattr(classifier, "crops_read", None)
    if not isinstance(before, dict):
        return None
    before = dict(before)  # (a copy: a counter that is a plain dict changes in place)
    digits = sum(len(reader.read(image).digits) for _, image, _ in pages)
    after = classifier.crops_read
    return {k: (after[k] - before[k]) / max(1, digits) for k in after}


def run(pages, reader, repeats: int, min_digits: int) -> dict:
    crops = crops_per_digit(reader, pages)
    faults = minor_faults()
    times = [(n, *time_page(reader, image, repeats)) for _, image, n in pages]
    faults = (minor_faults() - faults) / max(1, len(pages) * (repeats + 1))
    return {"faults_per_read": faults, "crops_per_digit": crops,
            "all": summarize(times),
            f"{min_digits}+": summarize([t for t in times if t[0] >= min_digits]),
            "per_page": [{"seed": s, "digits": t[0], "ms": round(t[1], 3), "cpu_ms": round(t[2], 3)}
                         for (s, _, _), t in zip(pages, times, strict=True)]}


# A fixed one-thread job timed before and after the pages: the host under this VM changes
# pace by a third within minutes, more than most code changes move the median, so two runs
# compare only at the same pace. The job is the background estimate's own filter (a 21-px
# median of a 256 x 144 image, of noise: a fixed input).
PACE_SHAPE = (144, 256)
PACE_KERNEL = 21


def host_pace_us(reps: int = 40) -> float:
    """Median time (microseconds) of the pace job on one thread."""
    import cv2
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        image = np.random.default_rng(0).integers(0, 256, PACE_SHAPE, dtype=np.uint8)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            cv2.medianBlur(image, PACE_KERNEL)
            times.append(1e6 * (time.perf_counter() - t0))
        return statistics.median(times)
    finally:
        cv2.setNumThreads(threads)


# The pace job above is OpenCV's; the classify stage is LiteRT's int8 kernels, whose pace moves
# apart from it between hosts: on 2026-12-08 an Intel Xeon host ran the median filter faster than
# the AMD EPYC host of 2026-12-07 (1.0 against 1.3-1.4 ms) and the digit model 1.7 x slower
# (0.093 against 0.055 ms a crop). So the model is timed too: the first model alone, one thread,
# batches of MODEL_PACE_BATCH fixed crops.
MODEL_PACE_BATCH = 40


def model_pace_us(classifier, reps: int = 30) -> float | None:
    """Median microseconds a crop for the classifier's first model (None for a classifier
    without one: a stand-in, or a model of another kind)."""
    model = getattr(classifier, "_model", None)
    if model is None or not hasattr(model, "probabilities"):
        return None
    crops = np.random.default_rng(0).integers(0, 256, (MODEL_PACE_BATCH, 28, 28), dtype=np.uint8)
    model.probabilities(crops)  # (the first invoke at a batch size plans the kernels)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        model.probabilities(crops)
        times.append(1e6 * (time.perf_counter() - t0) / MODEL_PACE_BATCH)
    return statistics.median(times)


def load_avg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def format_result(res: dict) -> str:
    out = []
    for name, r in res.items():
        if not isinstance(r, dict) or "median_ms" not in r:
            continue
        stages = " ".join(f"{k} {v:.2f}" for k, v in r["stages_ms"].items())
        out.append(f"{name:>5} ({r['pages']} pages): median {r['median_ms']:.2f} ms "
                   f"(CPU {r['median_cpu_ms']:.2f}), max {r['max_ms']:.2f} | {stages}")
    if res.get("crops_per_digit"):
        out.append("crops classified per digit read: " + ", ".join(
            f"{k} model {v:.2f}" for k, v in res["crops_per_digit"].items()))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m realtime.bench_speed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40, help="number of 1280x720 pages")
    parser.add_argument("--max-digits", type=int, default=40)
    parser.add_argument("--min-digits", type=int, default=25,
                        help="also report the pages with at least this many digits")
    parser.add_argument("--repeats", type=int, default=7, help="timed reads per page")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from realtime.bench import cpu_flags, cpu_model, int8_dot_product
    from realtime.reader import DigitReader

    pages = load_pages(args.cache, args.pages, args.max_digits)
    reader = DigitReader(args.model, num_threads=1)
    load_before, pace_before = load_avg(), host_pace_us()
    model_before = model_pace_us(reader.classifier)
    res = run(pages, reader, args.repeats, args.min_digits)
    res["load_avg"] = [load_before, load_avg()]
    res["host_pace_us"] = [pace_before, host_pace_us()]
    res["model_pace_us"] = [model_before, model_pace_us(reader.classifier)]
    res["cpus"] = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    res["cpu"] = cpu_model()
    res["int8_dot"] = int8_dot_product(cpu_flags())
    if args.json:
        print(json.dumps(res))
    else:
        print(format_result(res))
        print(f"load average {res['load_avg'][0]:.2f} -> {res['load_avg'][1]:.2f}, cpus {res['cpus']}, "
              f"minor page faults per read {res['faults_per_read']:.1f}, "
              f"int8 dot-product instructions: {res['int8_dot']}")
        print("host pace ({0}-px median of a {2}x{1} image, one thread): {3:.0f} us before, "
              "{4:.0f} us after".format(PACE_KERNEL, *PACE_SHAPE, *res["host_pace_us"]))
        if None not in res["model_pace_us"]:
            before, after = res["model_pace_us"]
            print(f"model pace (first model, one thread, batches of {MODEL_PACE_BATCH}): "
                  f"{before:.1f} us a crop before, {after:.1f} us after; cpu: {res['cpu']}")
        else:
            print(f"cpu: {res['cpu']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One command that measures the reader and writes the report:

    python -m realtime.bench            # full run (<= 15 min on 2 cores) -> docs/benchmarks.md, docs/bench/
    python -m realtime.bench --quick    # small subsets for CI (~1 min) -> a temp dir unless --out

Sections: the classifier (MNIST test, float vs int8, rejects on non-digits, latency vs batch),
the engine on ORAND-CAR-A and on synthetic camera pages beside a naive tutorial pipeline and
Tesseract (same images, same run), error analysis, time per stage and scaling, and the live path.
Every number in the report is measured by this run; the report carries the date and machine.
"""
from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
from tqdm import tqdm

from realtime import bench_data, bench_plots
from realtime.baselines import NaiveReader, TesseractReader, tesseract_path, tesseract_version
from realtime.bench_data import LabelledImage
from realtime.evaluate import Score, edit_distance, evaluate_pages
from realtime.soak import rss_mb

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
REJECT = -1


@dataclass(frozen=True)
class BenchConfig:
    """How much work each section does. FULL fits 15 minutes on 2 cores; QUICK about one."""

    mnist_n: int | None = None  # None: all 10,000 test digits
    nondigit_n: int = 3000
    batch_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)
    latency_min_s: float = 0.4  # keep calling a batch size at least this long
    orand_n: int | None = None  # None: all of the held-out split (the classifier trains on the rest)
    synth_pages: int = 200
    synth_seed: int = 1000  # first page seed: pages 1000.. are outside the 0..199 that
    # `python -m realtime.evaluate` uses by default while the engine is tuned
    word_lines: int = 200  # numbers beside printed words (realtime.synth.labelled_number), seeds 0..
    form_pages: int = 200  # numbers on photographed forms (realtime.synth.form_page), seeds 0..
    sign_numbers: int = 200  # numbers with a hand-drawn sign (realtime.synth.signed_number) ...
    sign_seed: int = 1000  # ... seeds from here: the sign rules were tuned on 0..199
    times_pairs: int = 200  # two numbers with a hand-drawn x between (realtime.synth.times_number) ...
    times_seed: int = 2000  # ... seeds from here: the times rule was tuned on 0..199 and 1000..1199
    fresh_pages: int = 2000  # more synthetic pages, read by our engine alone: sets of 200 differ
    fresh_seed: int = 3000  # by several points, so the number to expect comes from these
    tesseract: bool = True
    scaling_widths: tuple[int, ...] = (320, 640, 960, 1280, 1920, 2560)
    scaling_counts: tuple[int, ...] = (0, 5, 10, 20, 40, 80, 160)
    scaling_repeats: int = 7
    live_frames: int = 5000
    live_sizes: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720))
    live_camera_fps: float = 30.0
    live_camera_s: float = 10.0  # seconds of camera-paced frames per size
    worst_n: int = 16


FULL = BenchConfig()
QUICK = BenchConfig(mnist_n=1000, nondigit_n=300, batch_sizes=(1, 16, 256), latency_min_s=0.05,
                    orand_n=40, synth_pages=3, word_lines=3, form_pages=3, sign_numbers=3,
                    times_pairs=3, fresh_pages=3,
                    scaling_widths=(320, 1280),
                    scaling_counts=(0, 20),
                    scaling_repeats=1, live_frames=200, live_camera_s=1.0, worst_n=8)


@dataclass
class Components:
    """What is benchmarked. `load_components` gives the real ones; tests pass small fakes."""

    classifiers: dict[str, object]  # display name -> DigitClassifier-like; the first is the shipped one
    reader: object  # DigitReader-like: .read(image) -> Reading
    make_page: Callable | None = None  # realtime.synth.make_page
    live: Callable | None = None  # (config, out_dir) -> list of per-resolution dicts
    tesseract: object | None = None  # TesseractReader-like with .read_many
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    make_labelled: Callable | None = None  # realtime.synth.labelled_number
    make_form: Callable | None = None  # realtime.synth.form_page
    make_signed: Callable | None = None  # realtime.synth.signed_number
    make_times: Callable | None = None  # realtime.synth.times_number


# --- machine and set-up -----------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    """The CPU's instruction-set flags as /proc/cpuinfo lists them ("flags" on x86, "Features"
    on Arm; empty where there is no such file)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("flags", "features")):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def int8_dot_product(flags: set[str]) -> str:
    """Which int8 dot-product instructions the CPU has: XNNPACK's int8 convolutions run
    several times faster with them, so the classifier's and the engine's times depend on it
    more than on the clock rate."""
    if "avx512_vnni" in flags:
        return "AVX-512 VNNI"
    if "avx_vnni" in flags:
        return "AVX-VNNI"
    if "asimddp" in flags:
        return "Arm dot product"
    if "avx2" in flags:
        return "none (AVX2 only)"
    return "none" if flags else "unknown"


def opencv_threads() -> int:
    import cv2

    return cv2.getNumThreads()


def machine_info() -> dict:
    versions = {}
    for pkg in ("numpy", "opencv-python-headless", "ai-edge-litert", "matplotlib"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cores": os.cpu_count(), "cpu": cpu_model(), "int8_dot": int8_dot_product(cpu_flags()),
            "os": platform.platform(terse=True),
            "python": platform.python_version(), "packages": versions, "load_avg_start": load_avg(),
            "revision": git_revision()}


def git_revision() -> str:
    """The commit measured, marked when the working tree has uncommitted changes."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + (" + uncommitted changes" if dirty else "")


def load_avg() -> list[float]:
    """1/5/15-minute load averages: other work on the machine skews timings, so we record it."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


SHIPPED_PAIR = "int8 + second opinion + look-again"
SECOND_MODEL = "digits_int8_second.tflite"
LOOK_AGAIN_MODEL = "digits_int8_lookagain.tflite"


def shipped_classifier(models_dir: Path):
    """What DigitReader() and DigitClassifier() read with: digits_int8.tflite, and its second
    opinion and look-again model (`classify` only) when they are beside it (one thread)."""
    from realtime.classifier import DigitClassifier

    second = Path(models_dir) / SECOND_MODEL
    look_again = Path(models_dir) / LOOK_AGAIN_MODEL
    return DigitClassifier(Path(models_dir) / "digits_int8.tflite", num_threads=1,
                           second_model_path=second if second.exists() else None,
                           look_again_model_path=look_again if look_again.exists() else None)


def find_models(models_dir: Path = MODELS) -> dict[str, Path]:
    """The shipped int8 model first, then any float model beside it (second-opinion models,
    `*_second.tflite`, are not compared on their own: load_components pairs the int8 one)."""
    found = {}
    int8 = models_dir / "digits_int8.tflite"
    if int8.exists():
        found["int8"] = int8
    for path in sorted(models_dir.glob("*.tflite")):
        if path != int8 and "int8" not in path.name and "second" not in path.name:
            found["float" if "float" in path.name else path.stem] = path
    return found


def load_components(config: BenchConfig, models_dir: Path = MODELS) -> Components:
    """The real classifier(s), engine, synthetic pages, live processor and Tesseract."""
    from realtime.classifier import DigitClassifier
    from realtime.reader import DigitReader

    notes = []
    models = find_models(models_dir)
    if "int8" not in models:
        raise FileNotFoundError(f"no digits_int8.tflite in {models_dir}: train or pull the model first")
    classifiers = {name: DigitClassifier(str(path), num_threads=1) for name, path in models.items()}
    if len(classifiers) == 1:
        notes.append("No float model in models/: the float-vs-int8 comparison shows int8 only.")
    if (models_dir / SECOND_MODEL).exists():
        classifiers = {SHIPPED_PAIR: shipped_classifier(models_dir), **classifiers}
    else:
        notes.append("No digits_int8_second.tflite in models/: the int8 model reads alone.")
    reader = DigitReader(classifier=next(iter(classifiers.values())))
    try:
        from realtime.synth import (
            form_page,
            labelled_number,
            make_page,
            signed_number,
            times_number,
        )
    except ImportError:
        make_page = labelled_number = form_page = signed_number = times_number = None
        notes.append("realtime.synth is not in this checkout: synthetic pages skipped.")
    live = load_live(notes, models_dir)
    tess, versions = None, {}
    binary = tesseract_path() if config.tesseract else None
    if binary:
        tess = TesseractReader(psm=6, binary=binary)
        versions["tesseract"] = tesseract_version(binary)
    elif config.tesseract:
        notes.append("Tesseract is not installed (Debian: apt-get install tesseract-ocr): its column is skipped.")
    return Components(classifiers, reader, make_page, live, tess, notes, versions, labelled_number,
                      form_page, signed_number, times_number)


def load_live(notes: list[str], models_dir: Path = MODELS) -> Callable | None:
    """The live-path measurement (config -> rows): frames through the app's LiveProcessor
    (realtime/live.py), each resolution in a fresh process so its RSS is the live path's own."""
    try:
        from realtime.live import LiveProcessor  # noqa: F401
    except ImportError as e:
        notes.append(f"realtime.live is not importable ({e}): live section skipped.")
        return None
    return functools.partial(measure_live_isolated, models_dir=models_dir)


def measure_live_isolated(cfg: BenchConfig, models_dir: Path = MODELS) -> list[dict]:
    """measure_live for each size in a fresh (spawned) process with only the live path loaded."""
    rows = []
    for size in cfg.live_sizes:
        rows += in_fresh_process(_live_child, size, cfg.live_frames, str(models_dir),
                                 cfg.live_camera_fps, cfg.live_camera_s)
    callback = measure_callback_isolated(cfg, models_dir)
    if callback is not None and rows:
        rows[0]["callback_path"] = callback  # one extra run, reported under the table
    return rows


def _child_reader(models_dir):
    from realtime.reader import DigitReader

    return DigitReader(classifier=shipped_classifier(models_dir))


def _live_child(size, frames, models_dir, camera_fps, camera_s) -> list[dict]:
    try:
        from realtime.synth import make_page
    except ImportError:
        make_page = None
    return measure_live([tuple(size)], frames, _child_reader(models_dir), make_page,
                        camera_fps, camera_s)


def _callback_child(seconds, fps, models_dir) -> dict | None:
    """The app engineer's callback-path run (realtime.bench_live.run_live), when present."""
    try:
        from realtime.bench_live import run_live
    except ImportError:
        return None
    return run_live(seconds, fps, _child_reader(models_dir))


def measure_callback_isolated(cfg: BenchConfig, models_dir: Path = MODELS) -> dict | None:
    return in_fresh_process(_callback_child, cfg.live_camera_s, cfg.live_camera_fps, str(models_dir))


def in_fresh_process(fn: Callable, *args):
    """fn(*args) in a newly spawned Python process (nothing of this one's memory in it)."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()

def live_frames(size: tuple[int, int], make_page: Callable | None, n: int = 8) -> list[np.ndarray]:
    """A few camera-like frames of the given size (a page shifted a little each frame)."""
    from training import mnist

    width, height = size
    if make_page is not None:
        page, _ = make_page(0)
    else:
        page = bench_data.digits_page(30, mnist.load("test")[0])
    import cv2

    base = cv2.resize(page, (width, height), interpolation=cv2.INTER_AREA)
    return [np.roll(base, (2 * i, 3 * i), axis=(0, 1)) for i in range(n)]


def push_frames(proc, images: list[np.ndarray], frames: int, fps: float | None, desc: str) -> float:
    """Feed `frames` frames to proc.process, as fast as it takes them (fps None) or paced at
    `fps` like a camera; returns the wall seconds."""
    t0 = time.perf_counter()
    for i in tqdm(range(frames), desc=desc, unit="frame", leave=False):
        if fps:
            delay = t0 + i / fps - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        proc.process(images[i % len(images)])
    return time.perf_counter() - t0


def measure_live(sizes, frames: int, reader=None, make_page: Callable | None = None,
                 camera_fps: float = 30.0, camera_s: float = 10.0) -> list[dict]:
    """Per size: (1) `frames` frames through LiveProcessor.process as fast as it takes them
    (its worker thread detects meanwhile): frames/s, and RSS after; (2) `camera_s` seconds at
    `camera_fps`, like a webcam: how often the detection (the boxes drawn) refreshes."""
    from realtime.live import LiveProcessor

    out = []
    for width, height in sizes:
        images = live_frames((width, height), make_page)
        proc = LiveProcessor(reader)
        cap_s = getattr(proc, "_min_detection_interval", 0.0)
        proc.process(images[0])
        rss_before = rss_mb()
        det0 = proc.overlay.detection
        flood_s = push_frames(proc, images, frames, None, f"live {width}x{height} flood")
        flood_det = proc.overlay.detection - det0
        rss_after = rss_mb()
        det1 = proc.overlay.detection
        paced = max(1, int(camera_s * camera_fps))
        paced_s = push_frames(proc, images, paced, camera_fps, f"live {width}x{height} @{camera_fps:g} fps")
        stats = proc.stats()
        proc.stop()
        out.append({"resolution": f"{width}x{height}", "frames": frames, "fps": frames / flood_s,
                    "detections_per_s_flood": flood_det / flood_s,
                    "camera_fps": camera_fps, "camera_frames": paced,
                    "detections_per_s": (proc.overlay.detection - det1) / paced_s,
                    "detection_ms_median": stats.detection_ms, "overlay_ms_median": stats.overlay_ms,
                    "rss_mb_before": rss_before, "rss_mb_after": rss_after,
                    "detection_cap_hz": 1.0 / cap_s if cap_s else None})
    return out


# --- small measuring helpers ------------------------------------------------------------------

def timed_reads(reader, images: list[np.ndarray], desc: str) -> tuple[list, list[float], list[float]]:
    """Read each image once (after one warm-up read): readings, wall ms and CPU ms per image.
    CPU time is the whole process's (OpenCV's pool threads too); on a busy machine it stays
    close to what the read costs while wall time grows with the competition for the cores."""
    if images:
        reader.read(images[0])
    readings, times, cpu = [], [], []
    for image in tqdm(images, desc=desc, unit="img", leave=False):
        t0, c0 = time.perf_counter(), time.process_time()
        readings.append(reader.read(image))
        times.append(1e3 * (time.perf_counter() - t0))
        cpu.append(1e3 * (time.process_time() - c0))
    return readings, times, cpu


def fastest_read(reader, image: np.ndarray, repeats: int) -> tuple[float, dict[str, float]]:
    """(wall ms, ms of each stage the reader reports) of the fastest of `repeats` reads: the one
    least disturbed by other work on the machine, so the curve shows how cost grows."""
    reader.read(image)  # warm-up
    best, best_stages = float("inf"), {}
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        reading = reader.read(image)
        wall = 1e3 * (time.perf_counter() - t0)
        if wall < best:
            best = wall
            best_stages = {k: v for k, v in reading.timings_ms.items() if k != "total"}
    return best, best_stages


def mean(values) -> float:
    values = list(values)
    return float(sum(values) / len(values)) if values else float("nan")


def pct(x: float, decimals: int = 1) -> str:
    return "n/a" if x is None or x != x else f"{100 * x:.{decimals}f} %"


def pct_mnist(x: float) -> str:
    """MNIST rates to 0.01 pt: the target is 99.6 %, and 99.55 % must not print as 99.6 %."""
    return pct(x, decimals=2)


def ms(x: float) -> str:
    if x is None or x != x:
        return "n/a"
    return f"{x:.3f} ms" if x < 1 else f"{x:.1f} ms"


def ratio(x: float) -> str:
    if x is None or x != x:
        return "n/a"
    return f"{x:.2f}×" if x < 1 else f"{x:.1f}×"


# --- scoring (one place, for all three readers) -----------------------------------------------

def iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def match_digits(truth: list[tuple[int, tuple]], read: list[tuple[int, tuple]], min_iou: float = 0.5) -> int:
    """Greedy one-to-one matching (best IoU first) of read to true digits with the same label."""
    pairs = sorted(((iou(tb, rb), i, j) for i, (tl, tb) in enumerate(truth)
                    for j, (rl, rb) in enumerate(read) if tl == rl), reverse=True)
    used_t, used_r, matched = set(), set(), 0
    for score, i, j in pairs:
        if score < min_iou:
            break
        if i not in used_t and j not in used_r:
            used_t.add(i)
            used_r.add(j)
            matched += 1
    return matched


def official_lines(item: LabelledImage, lines: list[str]) -> list[str]:
    """A reading's lines as realtime.evaluate scores them: ORAND amounts and numbers beside words
    are one string (lines joined, spaces dropped, as `evaluate_orand`); synthetic pages compare
    lines as they are."""
    if item.kind in ("orand", "words"):
        joined = "".join(lines).replace(" ", "")
        return [joined] if joined else []
    return list(lines)


def score_item(item: LabelledImage, reading) -> dict:
    """One image's truth vs one reading, scored by realtime.evaluate.Score (exact, edits, line
    count) plus: true lines read verbatim, CER with spaces ignored, digits matched by box."""
    read = official_lines(item, list(reading.lines))
    one = Score()
    exact = one.add(read, list(item.lines))
    nospace = edit_distance("\n".join(item.lines).replace(" ", ""), "\n".join(read).replace(" ", ""))
    common = Counter(item.lines) & Counter(read)
    read_digits = [(int(d.label), tuple(d.box)) for d in getattr(reading, "digits", [])]
    has_boxes = bool(item.digits)
    return {"exact": bool(exact), "errors": one.edits, "chars": one.chars,
            "errors_nospace": nospace,
            "chars_nospace": max(1, len("\n".join(item.lines).replace(" ", ""))),
            "lines_ok": bool(one.line_count_ok), "lines_exact": sum(common.values()),
            "n_lines": len(item.lines), "lines": read,
            "matched": match_digits(item.digits, read_digits) if has_boxes and read_digits else 0,
            "n_true": len(item.digits) if has_boxes else 0,
            "n_read": len(read_digits) if has_boxes else 0}


def summarize_scores(scores: list[dict], times_ms: list[float], with_boxes: bool = True,
                     cpu_ms: list[float] | None = None) -> dict:
    n = len(scores)
    out = {"images": n,
           "exact_match": mean(s["exact"] for s in scores) if n else float("nan"),
           "cer": sum(s["errors"] for s in scores) / max(1, sum(s["chars"] for s in scores)),
           "cer_nospace": (sum(s["errors_nospace"] for s in scores)
                           / max(1, sum(s["chars_nospace"] for s in scores))),
           "line_count_acc": mean(s["lines_ok"] for s in scores) if n else float("nan"),
           "lines_exact": sum(s["lines_exact"] for s in scores) / max(1, sum(s["n_lines"] for s in scores)),
           "ms_per_image": mean(times_ms), "ms_median": statistics.median(times_ms) if times_ms else float("nan"),
           "cpu_ms_per_image": mean(cpu_ms) if cpu_ms else float("nan")}
    if with_boxes:
        matched = sum(s["matched"] for s in scores)
        n_read, n_true = sum(s["n_read"] for s in scores), sum(s["n_true"] for s in scores)
        out["digit_precision"] = matched / n_read if n_read else float("nan")
        out["digit_recall"] = matched / n_true if n_true else float("nan")
    return out


# --- section: classifier ----------------------------------------------------------------------

def classify_all(clf, crops: np.ndarray, batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    labels, confs = [], []
    for start in tqdm(range(0, len(crops), batch), desc="classify", unit="batch", leave=False):
        lab, conf = clf.classify(crops[start:start + batch])
        labels.append(np.asarray(lab))
        confs.append(np.asarray(conf))
    if not labels:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(labels), np.concatenate(confs)


def confusion(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """10 x 11 counts: true digit vs predicted digit, last column = rejected."""
    m = np.zeros((10, 11), np.int64)
    cols = np.where(pred == REJECT, 10, pred)
    np.add.at(m, (truth.astype(np.int64), cols.astype(np.int64)), 1)
    return m


def per_digit_latency(clf, crops: np.ndarray, batch_sizes, min_s: float) -> list[tuple[float, float]]:
    """(wall, CPU) ms per digit for each batch size: the classifier engineer's measurement
    (realtime.bench_classifier.ms_per_digit: median of repeated calls)."""
    from realtime.bench_classifier import ms_per_digit

    return [ms_per_digit(clf, crops, b, min_s)
            for b in tqdm(batch_sizes, desc="latency vs batch", leave=False)]


def bench_classifier(cfg: BenchConfig, comp: Components, out: Path) -> dict:
    from training import mnist

    images, labels = mnist.load("test")
    if cfg.mnist_n is not None:
        images, labels = images[:cfg.mnist_n], labels[:cfg.mnist_n]
    nondigit_sets = bench_data.heldout_nondigits(cfg.nondigit_n, images, labels)
    res = {"mnist_images": int(len(images)), "models": {},
           "nondigit_sets": {k: len(v[0]) for k, v in nondigit_sets.items()}}
    latency = {}
    for name, clf in comp.classifiers.items():
        pred, _ = classify_all(clf, images)
        matrix = confusion(labels, pred)
        read = getattr(clf, "careful_probabilities", clf.probabilities)  # what classify reads
        probs = np.concatenate([np.asarray(read(images[i:i + 256]))
                                for i in range(0, len(images), 256)])
        digit_argmax = probs[:, :10].argmax(axis=1)
        rejects = {}
        for set_name, (crops, kinds) in nondigit_sets.items():
            rejected = classify_all(clf, crops)[0] == REJECT
            kinds = np.asarray(kinds)
            rejects[set_name] = {"all": float(rejected.mean()) if len(rejected) else float("nan"),
                                 **{k: float(rejected[kinds == k].mean()) for k in sorted(set(kinds))}}
        res["models"][name] = {
            "accuracy": float((pred == labels).mean()),
            "reject_rate_on_digits": float((pred == REJECT).mean()),
            "accuracy_digits_only_argmax": float((digit_argmax == labels).mean()),
            "per_class_accuracy": [float(matrix[d, d] / max(1, matrix[d].sum())) for d in range(10)],
            "nondigit_reject": rejects,
            "confusion": matrix.tolist()}
        latency[name] = per_digit_latency(clf, images[:256], cfg.batch_sizes, cfg.latency_min_s)
        res["models"][name]["ms_per_digit_by_batch"] = {
            str(b): wall for b, (wall, _) in zip(cfg.batch_sizes, latency[name], strict=True)}
        res["models"][name]["cpu_ms_per_digit_by_batch"] = {
            str(b): cpu for b, (_, cpu) in zip(cfg.batch_sizes, latency[name], strict=True)}
    shipped = next(iter(comp.classifiers))
    cols = [str(d) for d in range(10)] + ["reject"]
    res["plots"] = {
        "confusion": bench_plots.confusion_plot(
            np.array(res["models"][shipped]["confusion"]), cols,
            f"MNIST test, {shipped} model ({len(images):,} digits)", out / "confusion.png").name,
        "latency": bench_plots.latency_plot(
            list(cfg.batch_sizes), {f"{n} (wall)": [w for w, _ in v] for n, v in latency.items()}
            | {f"{n} (CPU)": [c for _, c in v] for n, v in latency.items()},
            out / "latency_batch.png").name}
    return res


# --- section: engine vs baselines -------------------------------------------------------------

def generated_items(seeds: range, desc: str, item: Callable) -> list[LabelledImage]:
    """`item(seed)` for each of `seeds`, with a progress bar: one generated benchmark set."""
    return [item(seed) for seed in tqdm(seeds, desc=desc, leave=False)]


def synth_items(cfg: BenchConfig, make_page: Callable) -> list[LabelledImage]:
    return generated_items(range(cfg.synth_seed, cfg.synth_seed + cfg.synth_pages), "synth pages",
                           lambda seed: synth_item(seed, *make_page(seed)))


def word_items(cfg: BenchConfig, make_labelled: Callable) -> list[LabelledImage]:
    """Numbers beside printed words: the truth is the number alone, scored as one string."""
    def item(seed: int) -> LabelledImage:
        image, number, word = make_labelled(seed)
        return LabelledImage(f"words_{seed} ({word})", image, [number], kind="words")
    return generated_items(range(cfg.word_lines), "words", item)


def sign_items(cfg: BenchConfig, make_signed: Callable) -> list[LabelledImage]:
    """Numbers with a hand-drawn sign (%, #, °, €): the truth is the number alone, one string."""
    def item(seed: int) -> LabelledImage:
        image, number, sign = make_signed(seed)
        return LabelledImage(f"signs_{seed} ({sign})", image, [number], kind="words")
    return generated_items(range(cfg.sign_seed, cfg.sign_seed + cfg.sign_numbers), "signs", item)


def times_items(cfg: BenchConfig, make_times: Callable) -> list[LabelledImage]:
    """Two numbers with a hand-drawn x between: the truth is one line, the numbers apart."""
    def item(seed: int) -> LabelledImage:
        image, truth = make_times(seed)
        return LabelledImage(f"times_{seed}", image, [truth])
    return generated_items(range(cfg.times_seed, cfg.times_seed + cfg.times_pairs), "times", item)


def form_items(cfg: BenchConfig, make_form: Callable) -> list[LabelledImage]:
    """Photographed forms: the truth is the handwritten numbers, line by line (no printed text)."""
    def item(seed: int) -> LabelledImage:
        image, lines = make_form(seed)
        return LabelledImage(f"forms_{seed}", image, list(lines), kind="forms")
    return generated_items(range(cfg.form_pages), "forms", item)


def synth_item(seed: int, image: np.ndarray, lines) -> LabelledImage:
    """make_page's truth (strings, or objects with .text/.digits) -> LabelledImage."""
    texts, digits = [], []
    for line in lines:
        if isinstance(line, str):
            texts.append(line)
            continue
        text = line.get("text") if isinstance(line, dict) else getattr(line, "text", None)
        texts.append(str(text))
        boxes = line.get("digits", []) if isinstance(line, dict) else getattr(line, "digits", [])
        for d in boxes:
            if isinstance(d, dict):
                digits.append((int(d.get("digit", d.get("label"))), tuple(int(v) for v in d["box"])))
            else:
                digits.append((int(getattr(d, "label", getattr(d, "digit", -1))), tuple(int(v) for v in d.box)))
    return LabelledImage(f"synth_{seed}", image, texts, digits)


def compare_readers(name: str, items: list[LabelledImage], comp: Components, psm: int) -> dict:
    """Ours, naive and Tesseract on the same images: scores, times, the per-image details."""
    images = [it.image for it in items]
    readers = {"ours": comp.reader, "naive": NaiveReader(next(iter(comp.classifiers.values())))}
    res = {"readers": {}, "per_image": {}}
    for rname, reader in readers.items():
        readings, times, cpu = timed_reads(reader, images, f"{name}: {rname}")
        scores = [score_item(it, r) for it, r in zip(items, readings, strict=True)]
        res["readers"][rname] = summarize_scores(scores, times, with_boxes=any(it.digits for it in items),
                                                 cpu_ms=cpu)
        res["per_image"][rname] = [{**s, "ms": t}
                                   for r, s, t in zip(readings, scores, times, strict=True)]
        if rname == "ours":
            stages = {}
            for r in readings:
                for k, v in r.timings_ms.items():
                    stages.setdefault(k, []).append(v)
            res["stage_ms"] = {k: mean(v) for k, v in stages.items()}
    if comp.tesseract is not None and items:
        tess = replace_psm(comp.tesseract, psm)
        tess.read_many(images[:1])  # warm the page cache and the binary
        readings, elapsed = tess.read_many(images)
        per = 1e3 * elapsed / len(images)
        scores = [score_item(it, r) for it, r in zip(items, readings, strict=True)]
        cpu_per = 1e3 * getattr(tess, "last_cpu_s", float("nan")) / len(images)
        res["readers"]["tesseract"] = summarize_scores(scores, [per] * len(images), with_boxes=False,
                                                       cpu_ms=[cpu_per] * len(images))
        res["readers"]["tesseract"]["psm"] = psm
        res["per_image"]["tesseract"] = [{**s, "ms": per}
                                         for r, s in zip(readings, scores, strict=True)]
    ours_ms = res["readers"]["ours"]["ms_per_image"]
    ours_cpu = res["readers"]["ours"]["cpu_ms_per_image"]
    for r in res["readers"].values():
        r["time_vs_ours"] = r["ms_per_image"] / ours_ms if ours_ms > 0 else float("nan")
        r["cpu_vs_ours"] = r["cpu_ms_per_image"] / ours_cpu if ours_cpu > 0 else float("nan")
    return res


def replace_psm(tess, psm: int):
    if hasattr(tess, "psm"):
        try:
            clone = replace(tess, psm=psm)  # dataclass fakes
        except TypeError:
            import copy

            clone = copy.copy(tess)
            clone.psm = psm
        return clone
    return tess


def worst_misreads(items: list[LabelledImage], res: dict, n: int, out: Path, fname: str,
                   title: str, cols: int = 4) -> tuple[str, list[dict]]:
    """Contact sheet of our n worst misreads (most edit errors per truth character)."""
    ours = res["per_image"]["ours"]
    wrong = [i for i, s in enumerate(ours) if not s["exact"]]
    wrong.sort(key=lambda i: (-ours[i]["errors"] / ours[i]["chars"], items[i].name))
    picked = wrong[:n]
    tiles, rows = [], []
    for i in picked:
        caption = f"{items[i].name}\ntrue : {' / '.join(items[i].lines)}\nours : {' / '.join(ours[i]['lines']) or '-'}"
        for other in ("naive", "tesseract"):
            if other in res["per_image"]:
                caption += f"\n{other[:5]:5}: {' / '.join(res['per_image'][other][i]['lines']) or '-'}"
        tiles.append((items[i].image, caption))
        rows.append({"name": items[i].name, "truth": items[i].text, "ours": "\n".join(ours[i]["lines"])})
    path = bench_plots.contact_sheet(tiles, out / fname, cols=cols, title=title)
    return path.name, rows


def bench_engine(cfg: BenchConfig, comp: Components, out: Path) -> dict:
    res = {"datasets": {}, "plots": {}}
    datasets: list[tuple[str, str, list[LabelledImage], int]] = []  # (key, name, items, psm)
    if bench_data.ORAND_DIR.joinpath("labels.jsonl").exists():
        datasets.append(("orand", "ORAND-CAR-A held-out", bench_data.load_orand(limit=cfg.orand_n), 7))
    else:
        comp.notes.append(f"ORAND-CAR-A not found at {bench_data.ORAND_DIR}: real-data rows skipped.")
    if comp.make_page is not None and cfg.synth_pages:
        datasets.append(("synth", "synthetic pages", synth_items(cfg, comp.make_page), 6))
    if comp.make_labelled is not None and cfg.word_lines:
        datasets.append(("words", "numbers beside printed words",
                         word_items(cfg, comp.make_labelled), 7))
    if comp.make_form is not None and cfg.form_pages:
        datasets.append(("forms", "numbers on printed forms", form_items(cfg, comp.make_form), 6))
    if comp.make_signed is not None and cfg.sign_numbers:
        datasets.append(("signs", "numbers with a sign", sign_items(cfg, comp.make_signed), 7))
    if comp.make_times is not None and cfg.times_pairs:
        datasets.append(("times", "two numbers with an x between", times_items(cfg, comp.make_times), 7))
    for key, name, items, psm in tqdm(datasets, desc="engine datasets"):
        r = compare_readers(name, items, comp, psm)
        n_worst = min(cfg.worst_n, 9) if key in ("synth", "forms") else cfg.worst_n  # big pages
        sheet, worst = worst_misreads(items, r, n_worst, out, f"worst_{key}.png",
                                      f"{name}: our worst misreads",
                                      cols={"orand": 4, "words": 2, "signs": 2, "times": 2}.get(key, 3))
        r["plots"] = {"worst": sheet}
        r["worst"] = worst
        r["name"] = name
        pixels = [it.image.shape[0] * it.image.shape[1] for it in items]
        r["size_range"] = [items[int(np.argmin(pixels))].image.shape[1::-1],
                           items[int(np.argmax(pixels))].image.shape[1::-1]]
        res["datasets"][key] = r
    if res["datasets"]:
        res["plots"]["stages"] = bench_plots.stage_bar_plot(
            {r["name"]: r.get("stage_ms", {}) for r in res["datasets"].values()
             if r.get("stage_ms")}, out / "stages.png").name
        table = {r["name"]: {k: 100 * v["exact_match"] for k, v in r["readers"].items()}
                 for r in res["datasets"].values()}
        res["plots"]["exact"] = bench_plots.accuracy_bars(
            table, "exact match (%)", out / "exact_match.png", "Strings read exactly, same images").name
    fresh = bench_fresh_synth(cfg, comp)
    if fresh is not None:
        res["fresh_synth"] = fresh
    return res


def bench_fresh_synth(cfg: BenchConfig, comp: Components) -> dict | None:
    """Our engine alone on `cfg.fresh_pages` synthetic pages from `cfg.fresh_seed` on (seeds no
    rule was tuned on): exact pages with their 95 % interval, CER and line count, scored as
    `python -m realtime.evaluate --synth` scores them. A set of 200 pages moves by several
    points from seed to seed; this is the number to expect."""
    if comp.make_page is None or cfg.fresh_pages <= 0:
        return None
    score = evaluate_pages(comp.reader, comp.make_page, "synthetic pages", "fresh synthetic pages",
                           cfg.fresh_pages, cfg.fresh_seed, progress=True).score
    exact = score.exact_rate
    return {"pages": score.n, "first_seed": cfg.fresh_seed, "exact_match": exact,
            "exact_ci95": 1.96 * (exact * (1 - exact) / score.n) ** 0.5, "cer": score.cer,
            "line_count": score.line_count_rate}


def fresh_synth_line(fresh: dict) -> str:
    """The headline's line for bench_fresh_synth's result."""
    last = fresh["first_seed"] + fresh["pages"] - 1
    return (f"synthetic pages, {fresh['pages']:,} more (seeds {fresh['first_seed']}–{last}), ours "
            f"alone: {pct(fresh['exact_match'])} ± {100 * fresh['exact_ci95']:.1f} read exactly "
            f"(95 % interval), character error rate {pct(fresh['cer'], 2)}, line count right "
            f"{pct(fresh['line_count'])}")


def bench_scaling(cfg: BenchConfig, comp: Components, out: Path) -> dict:
    """Time vs image size (one page resized) and vs number of digits (fixed-size pages)."""
    from training import mnist

    mnist_images, _ = mnist.load("test")
    readers = {"ours": comp.reader, "naive": NaiveReader(next(iter(comp.classifiers.values())))}
    if comp.make_page is not None:
        base, _ = comp.make_page(cfg.synth_seed)
        base_note = f"synthetic page seed {cfg.synth_seed}"
    else:
        base = bench_data.digits_page(40, mnist_images)
        base_note = "a 1280x720 page of 40 MNIST digits"
    res = {"repeats": cfg.scaling_repeats,
           "size": {"widths": list(cfg.scaling_widths), "base": base_note, "ms": {}, "stages": {}},
           "count": {"counts": list(cfg.scaling_counts), "ms": {}, "stages": {}}}
    size_images = [bench_data.resize_to_width(base, w) for w in cfg.scaling_widths]
    res["size"]["pixels"] = [int(im.shape[0] * im.shape[1]) for im in size_images]
    count_images = [bench_data.digits_page(n, mnist_images) for n in cfg.scaling_counts]
    for axis, images in (("size", size_images), ("count", count_images)):
        for rname, reader in readers.items():
            reads = [fastest_read(reader, im, cfg.scaling_repeats)
                     for im in tqdm(images, desc=f"scaling {axis}: {rname}", leave=False)]
            res[axis]["ms"][rname] = [total for total, _ in reads]
            if rname == "ours":
                names = list(dict.fromkeys(k for _, st in reads for k in st))
                res[axis]["stages"] = {k: [st.get(k, 0.0) for _, st in reads] for k in names}
    res["plots"] = {
        "size": bench_plots.scaling_plot(
            [p / 1e6 for p in res["size"]["pixels"]], res["size"]["ms"], "megapixels",
            "Time vs image size", out / "scaling_size.png", res["size"]["stages"]).name,
        "count": bench_plots.scaling_plot(
            list(cfg.scaling_counts), res["count"]["ms"], "digits on a 1280x720 page",
            "Time vs number of digits", out / "scaling_digits.png", res["count"]["stages"]).name}
    return res


def bench_live(cfg: BenchConfig, comp: Components, out: Path) -> dict:
    if comp.live is None:
        return {"skipped": True}
    results = comp.live(cfg)
    return {"skipped": False, "results": results,
            "plots": {"live": bench_plots.live_plot(results, out / "live.png").name}}


# --- report -----------------------------------------------------------------------------------

READER_NAMES = {"ours": "ours (DigitReader)", "naive": "naive pipeline + our classifier",
                "tesseract": "Tesseract 5"}


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(machine: dict) -> str:
    return (f"{machine['date']} on {machine['cores']} cores ({machine['cpu']}; int8 dot-product "
            f"instructions: {machine.get('int8_dot', 'unknown')}), {machine['os']}, "
            f"Python {machine['python']}")


def classifier_md(res: dict) -> str:
    out = ["## Classifier", "",
           f"MNIST test set: {res['mnist_images']:,} digits (never trained on). A digit counts as "
           "right only when the label is right; a reject is an error here. *Digits-only argmax* "
           "ignores the reject class. Non-digit crops are held out: "
           + "; ".join(f"{k}: {v:,}" for k, v in res["nondigit_sets"].items()) + ".", ""]
    set_names = list(res["nondigit_sets"])
    rows = []
    for name, m in res["models"].items():
        rows.append([name, pct_mnist(m["accuracy"]), pct_mnist(m["reject_rate_on_digits"]),
                     pct_mnist(m["accuracy_digits_only_argmax"])]
                    + [pct(m["nondigit_reject"][s]["all"]) for s in set_names])
    out += [md_table(["model", "MNIST accuracy", "MNIST digits rejected", "digits-only argmax"]
                     + [f"non-digits rejected: {s}" for s in set_names], rows), ""]
    out += ["Per-class accuracy on MNIST test:", "",
            md_table(["model"] + [str(d) for d in range(10)],
                     [[n] + [pct(a) for a in m["per_class_accuracy"]] for n, m in res["models"].items()]),
            ""]
    shipped = next(iter(res["models"]))
    for s in set_names:
        by_kind = {k: v for k, v in res["models"][shipped]["nondigit_reject"][s].items() if k != "all"}
        out += [f"Reject rate by kind ({shipped}), {s}:", "",
                md_table(list(by_kind), [[pct(v) for v in by_kind.values()]]), ""]
    out += [f"![confusion matrix](bench/{res['plots']['confusion']})", "",
            "Latency per digit vs batch size (one thread; `realtime.bench_classifier.ms_per_digit`: "
            "median of repeated `classify` calls on N MNIST crops, divided by N; wall time and the "
            "calling thread's CPU time, which a busy machine disturbs less):", ""]
    batches = list(next(iter(res["models"].values()))["ms_per_digit_by_batch"])
    out += [md_table(["batch"] + [f"{n} wall / CPU" for n in res["models"]],
                     [[b] + [f"{ms(m['ms_per_digit_by_batch'][b])} / "
                             f"{ms(m.get('cpu_ms_per_digit_by_batch', {}).get(b, float('nan')))}"
                             for m in res["models"].values()]
                      for b in batches]), "",
            f"![latency vs batch](bench/{res['plots']['latency']})", ""]
    return "\n".join(out)


def engine_rows(r: dict) -> list[list[str]]:
    rows = []
    for rname, s in r["readers"].items():
        rows.append([READER_NAMES.get(rname, rname), pct(s["exact_match"]), pct(s["lines_exact"]),
                     pct(s["cer"]), pct(s["cer_nospace"]),
                     pct(s["line_count_acc"]), pct(s.get("digit_precision", float("nan"))),
                     pct(s.get("digit_recall", float("nan"))), ms(s["ms_per_image"]),
                     ms(s["ms_median"]), ms(s.get("cpu_ms_per_image", float("nan"))),
                     ratio(s["time_vs_ours"]), ratio(s.get("cpu_vs_ours", float("nan")))])
    return rows


def engine_md(res: dict, notes: list[str]) -> str:
    out = ["## Engine beside the alternatives", "",
           "Same images, same run. *naive*: Gaussian blur, global Otsu, external contours, each box "
           "squashed to 28×28 without keeping its aspect, rows by `y // 50`, then OUR classifier "
           "(rejects dropped), so the gap to *ours* is what the engine adds. *Tesseract 5*: one "
           "`tesseract` process per dataset on a list of the images (model loaded once), "
           "`-c tessedit_char_whitelist=0123456789`, `OMP_THREAD_LIMIT=1`; its time per image is "
           "that run's wall time (PNG writing included) over the image count. Scoring is "
           "`realtime.evaluate`'s: an ORAND amount is one string (lines joined, spaces dropped); a "
           "synthetic page's lines are compared as they are, spaces between digit groups included "
           "(the naive pipeline never writes spaces, so see also *CER, spaces ignored*). Digit "
           "precision/recall count a read "
           "digit as right when its box overlaps a labelled box of the same digit with IoU ≥ 0.5 "
           "(Tesseract gives no per-digit boxes here, and synthetic pages carry line strings, not "
           "boxes, so those cells are n/a). *images read exactly*: every line of the image "
           "right and no extra line; *lines read exactly*: true lines found verbatim among the lines "
           "read. *time vs ours*: that reader's mean time per "
           "image over ours (above 1 means ours is faster); *CPU time* is the CPU the reads "
           "used (all threads; for Tesseract its process plus writing the PNGs), which a busy "
           "machine inflates far less than wall time. Threads: our classifier runs LiteRT on "
           f"one thread; OpenCV (ours and naive) uses its default pool ({opencv_threads()} threads "
           "here), as the app does.", ""]
    header = ["reader", "images read exactly", "lines read exactly", "CER", "CER, spaces ignored",
              "line count right", "digit precision",
              "digit recall", "mean time / image", "median", "CPU time / image", "time vs ours",
              "CPU time vs ours"]
    about = {"orand": "The 20 % of ORAND-CAR-A images held out from the classifier's training "
                      "(split by image with a fixed seed, `training/orand.py`; the same list as "
                      "`python -m realtime.evaluate --orand`).",
             "synth": "Synthetic camera pages from `realtime.synth.make_page` (MNIST test digits; "
                      "seeds from 1000, outside the 0-199 used while tuning).",
             "words": "A printed word (kWh, Total, No., ...) before or after a handwritten number "
                      "of 2-5 MNIST test digits (`realtime.synth.labelled_number`, seeds from 0; "
                      "`python -m realtime.evaluate --words N`). Right only when the reading is the "
                      "number alone. Neither these words nor these fonts (OpenCV's Hershey faces) "
                      "are in the printed-letter detector's training (README).",
             "forms": "A photographed form (`realtime.synth.form_page`, seeds from 0; `python -m "
                      "realtime.evaluate --forms N`): 1-4 printed sentences (\"Total amount due this "
                      "month\", ...) in OpenCV's Hershey faces, 12-36 px tall, each with a "
                      "handwritten number of 2-7 MNIST test digits below it or after it on its "
                      "line, through the synthetic pages' camera. Right only when the reading is "
                      "the numbers alone, line by line.",
             "signs": "A handwritten number of 1-5 MNIST test digits with a hand-drawn sign: a "
                      "percent sign after it, a number or euro sign before it, or a degree sign at "
                      "its top right (`realtime.synth.signed_number`, seeds from 1000: the engine's "
                      "sign rules were tuned on seeds 0-199; `python -m realtime.evaluate --signs "
                      "N`). Right only when the reading is the number alone.",
             "times": "Two handwritten numbers of 1-4 MNIST test digits with a hand-drawn x between "
                      "them, a small x on the line or a capital X, written on or a space away "
                      "(`realtime.synth.times_number`, seeds from 2000: the engine's times rule was "
                      "tuned on seeds 0-199 and 1000-1199; `python -m realtime.evaluate --times N`). "
                      "Right only when the reading is one line, the two numbers with a space "
                      "between."}
    for key, r in res["datasets"].items():
        (w0, h0), (w1, h1) = r["size_range"]
        psm = r["readers"].get("tesseract", {}).get("psm")
        out += [f"### {r['name']} ({r['readers']['ours']['images']:,} images, "
                f"{w0}×{h0} to {w1}×{h1} px)" + (f", Tesseract `--psm {psm}`" if psm else ""), "",
                about.get(key, ""), "", md_table(header, engine_rows(r)), ""]
        out += ["Our worst misreads (most edit errors per character; captions give truth and "
                "each reader's output):", "", f"![worst misreads](bench/{r['plots']['worst']})", ""]
    stages = {r["name"]: r.get("stage_ms", {}) for r in res["datasets"].values()}
    if any(stages.values()):
        names = list(dict.fromkeys(k for v in stages.values() for k in v))  # pipeline order
        out += ["### Time per stage (ours, mean ms per image)", "",
                md_table(["dataset"] + names, [[d] + [ms(v.get(k, float("nan"))) for k in names]
                                               for d, v in stages.items()]), "",
                f"![time per stage](bench/{res['plots']['stages']})", ""]
    if "exact" in res.get("plots", {}):
        out += [f"![exact match](bench/{res['plots']['exact']})", ""]
    return "\n".join(out)


def scaling_md(res: dict) -> str:
    size, count = res["size"], res["count"]
    out = ["## How cost grows with work", "",
           f"Time vs image size: {size['base']} resized to each width; each time is the fastest of "
           f"{res.get('repeats', '')} reads (the least disturbed by other work on the machine).", "",
           md_table(["width", "megapixels"] + [READER_NAMES[r] for r in size["ms"]],
                    [[w, f"{p / 1e6:.2f}"] + [ms(v[i]) for v in size["ms"].values()]
                     for i, (w, p) in enumerate(zip(size["widths"], size["pixels"], strict=True))]), "",
           f"![time vs size](bench/{res['plots']['size']})", "",
           "Time vs number of digits: 1280×720 white pages with N MNIST test digits (40 px) in rows.", "",
           md_table(["digits"] + [READER_NAMES[r] for r in count["ms"]],
                    [[n] + [ms(v[i]) for v in count["ms"].values()]
                     for i, n in enumerate(count["counts"])]), "",
           f"![time vs digits](bench/{res['plots']['count']})", ""]
    return "\n".join(out)


def live_md(res: dict) -> str:
    if res.get("skipped"):
        return "## Live path\n\nSkipped: the live video processor is not in this checkout.\n"
    rows = [[r["resolution"], f"{r['frames']:,}", f"{r['fps']:.0f}",
             f"{r.get('detections_per_s_flood', float('nan')):.1f}",
             f"{r.get('detections_per_s', float('nan')):.1f}",
             ms(r.get("detection_ms_median", float("nan"))), ms(r.get("overlay_ms_median", float("nan"))),
             f"{r.get('rss_mb_before', float('nan')):.0f} → {r.get('rss_mb_after', float('nan')):.0f} MB"]
            for r in res["results"]]
    cam = res["results"][0] if res["results"] else {}
    cb = cam.get("callback_path")
    callback_md = []
    if cb:
        callback_md = [
            "Through the real video callback (`LiveProcessor.recv`, `av.VideoFrame` in and out, as "
            "streamlit-webrtc calls it), measured by `realtime.bench_live.run_live`: a 1280×720 page "
            f"of {len(''.join(cb.get('truth', [])))} MNIST digits at {cb.get('input_fps_target', 0):g} fps "
            f"for {cb.get('seconds', 0):g} s.", "",
            md_table(["output fps", "detection refreshes / s", "detection (median)",
                      "callback incl. av conversion (median / p99)", "overlay age (median frames)",
                      "first reading", "stable text right"],
                     [[f"{cb['output_fps']:.1f}", f"{cb['detection_hz']:.1f}",
                       ms(cb["detection_ms_median"]),
                       f"{ms(cb['callback_ms_median_incl_av_conversion'])} / "
                       f"{ms(cb['callback_ms_p99_incl_av_conversion'])}",
                       f"{cb['overlay_age_frames_median']:g}",
                       f"{cb['first_reading_s']:.2f} s" if cb.get("first_reading_s") else "none",
                       "yes" if cb.get("text_matches") else "no"]]), ""]
    return "\n".join([
        "## Live path", "",
        "`realtime.live.LiveProcessor` (what the app's video callback calls) on frames of a "
        "synthetic page. *frames / s*: frames pushed through `process` (copy the frame, draw the "
        "newest boxes) as fast as it returns, while its worker thread reads the newest frame with "
        "our engine; the worker's refresh rate during that flood is beside it. *refreshes / s at "
        f"camera rate*: {cam.get('camera_frames', 0):,} frames paced at "
        f"{cam.get('camera_fps', 0):g} fps like a webcam — how often the boxes on screen update. "
        "Each resolution runs in a fresh process holding only the engine, the processor and one "
        "page; RSS is that process's, before the flood and after it."
        + (f" The processor caps detection at {cam['detection_cap_hz']:g} per second by default "
           "(CPU left for the video)." if cam.get("detection_cap_hz") else ""), "",
        md_table(["resolution", "frames", "frames / s", "refreshes / s (flood)",
                  "refreshes / s at camera rate", "detection (median)", "per-frame draw (median)",
                  "RSS"], rows), "",
        f"![live](bench/{res['plots']['live']})", "", *callback_md])


def headline_rows(results: dict) -> tuple[list[str], list[list[str]]]:
    engine = results.get("engine", {}).get("datasets", {})
    readers = ["ours", "naive", "tesseract"]
    present = [r for r in readers if any(r in d["readers"] for d in engine.values())]
    header = ["", *[READER_NAMES[r] for r in present]]
    rows = []
    for d in engine.values():
        n = d["readers"]["ours"]["images"]
        rows.append([f"{d['name']}: images read exactly ({n:,})"]
                    + [pct(d["readers"].get(r, {}).get("exact_match", float("nan"))) for r in present])
        rows.append([f"{d['name']}: character error rate"]
                    + [pct(d["readers"].get(r, {}).get("cer", float("nan"))) for r in present])
        if "digit_recall" in d["readers"]["ours"] and d["readers"]["ours"]["digit_recall"] == d["readers"]["ours"]["digit_recall"]:
            rows.append([f"{d['name']}: digit precision / recall (box IoU ≥ 0.5, right label)"]
                        + [f"{pct(d['readers'][r].get('digit_precision', float('nan')))} / "
                           f"{pct(d['readers'][r].get('digit_recall', float('nan')))}"
                           if r in d["readers"] and "digit_recall" in d["readers"][r] else "n/a"
                           for r in present])
        nan = float("nan")
        rows.append([f"{d['name']}: time per image, wall / CPU"]
                    + [f"{ms(d['readers'].get(r, {}).get('ms_per_image', nan))} / "
                       f"{ms(d['readers'].get(r, {}).get('cpu_ms_per_image', nan))}" for r in present])
        rows.append([f"{d['name']}: that time relative to ours, wall / CPU (above 1×: ours is faster)"]
                    + [f"{ratio(d['readers'].get(r, {}).get('time_vs_ours', nan))} / "
                       f"{ratio(d['readers'].get(r, {}).get('cpu_vs_ours', nan))}" for r in present])
    return header, rows


def headline_md(results: dict, for_readme: bool = True) -> str:
    machine = results["machine"]
    out = []
    if for_readme:
        out += [f"Measured {machine_line(machine)} by `python -m realtime.bench"
                f"{' --quick' if results['mode'] == 'quick' else ''}`; full report: "
                "[docs/benchmarks.md](docs/benchmarks.md).", ""]
    header, rows = headline_rows(results)
    if rows:
        out += [md_table(header, rows), ""]
    facts = []
    fresh = results.get("engine", {}).get("fresh_synth")
    if fresh:
        facts.append(fresh_synth_line(fresh))
    clf = results.get("classifier")
    if clf:
        shipped, m = next(iter(clf["models"].items()))
        facts.append(f"MNIST test accuracy ({shipped} model): {pct_mnist(m['accuracy'])}")
        for s, v in m["nondigit_reject"].items():
            facts.append(f"non-digits rejected, {s}: {pct(v['all'])}")
        b, c = m["ms_per_digit_by_batch"], m.get("cpu_ms_per_digit_by_batch", {})
        first, last = next(iter(b)), list(b)[-1]
        facts.append(f"classifier, 1 thread, wall / CPU per digit: {ms(b[first])} / "
                     f"{ms(c.get(first, float('nan')))} alone, {ms(b[last])} / "
                     f"{ms(c.get(last, float('nan')))} in batches of {last}")
    live = results.get("live")
    if live and not live.get("skipped"):
        for r in live["results"]:
            facts.append(f"live {r['resolution']}: {r['fps']:.0f} frames/s through the video processor, "
                         f"boxes refresh {r.get('detections_per_s', float('nan')):.1f}×/s at "
                         f"{r.get('camera_fps', float('nan')):g} fps camera input, "
                         f"RSS {r.get('rss_mb_after', float('nan')):.0f} MB after {r['frames']:,} frames")
    out += [f"- {f}" for f in facts]
    return "\n".join(out) + "\n"


def report_md(results: dict) -> str:
    machine = results["machine"]
    pk = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    tess = results.get("versions", {}).get("tesseract")
    out = ["# Benchmarks", "",
           f"Measured {machine_line(machine)}; {pk}" + (f"; {tess}" if tess else "") + ".",
           f"Written by `python -m realtime.bench{' --quick' if results['mode'] == 'quick' else ''}` "
           f"in {results['wall_s'] / 60:.1f} min at commit {machine.get('revision', 'unknown')}. Every number below comes from that run; "
           "rerun the command to measure your machine. Load average (1/5/15 min) at the start: "
           f"{machine.get('load_avg_start')}, at the end: {machine.get('load_avg_end')} "
           "(other work on the machine slows the timings).", ""]
    if results["notes"]:
        out += ["Notes:", ""] + [f"- {n}" for n in results["notes"]] + [""]
    out += ["## Headline", "", headline_md(results, for_readme=False)]
    if "classifier" in results:
        out.append(classifier_md(results["classifier"]))
    if "engine" in results:
        out.append(engine_md(results["engine"], results["notes"]))
    if "scaling" in results:
        out.append(scaling_md(results["scaling"]))
    if "live" in results:
        out.append(live_md(results["live"]))
    return "\n".join(out)


def strip_details(results: dict) -> dict:
    """Results for results.json: everything but the per-image lists."""
    slim = json.loads(json.dumps(results, default=str))
    for d in slim.get("engine", {}).get("datasets", {}).values():
        d.pop("per_image", None)
    return slim


# --- the command ------------------------------------------------------------------------------

SECTIONS = ("classifier", "engine", "scaling", "live")


def run(config: BenchConfig, out_dir: Path, comp: Components | None = None,
        sections: tuple[str, ...] = SECTIONS, mode: str = "full", models_dir: Path = MODELS) -> dict:
    """Measure, then write out_dir/benchmarks.md, out_dir/bench/*.png, headline.md, results.json."""
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    plots = out_dir / "bench"
    plots.mkdir(parents=True, exist_ok=True)
    comp = comp or load_components(config, models_dir)
    results: dict = {"mode": mode, "machine": machine_info(), "config": asdict(config),
                     "versions": comp.versions}
    steps = {"classifier": bench_classifier, "engine": bench_engine, "scaling": bench_scaling,
             "live": bench_live}
    for name in tqdm([s for s in SECTIONS if s in sections], desc="benchmark sections"):
        results[name] = steps[name](config, comp, plots)
    results["notes"] = list(comp.notes)
    results["wall_s"] = time.perf_counter() - t0
    results["machine"]["load_avg_end"] = load_avg()
    (out_dir / "benchmarks.md").write_text(report_md(results))
    (plots / "headline.md").write_text(headline_md(results))
    (plots / "results.json").write_text(json.dumps(strip_details(results), indent=1))
    return results


def summary_text(results: dict) -> str:
    header, rows = headline_rows(results)
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))] if rows else []
    lines = [f"measured {machine_line(results['machine'])}"]
    for row in ([header] + rows) if rows else []:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)))
    lines += ["- " + line[2:] for line in headline_md(results).splitlines() if line.startswith("- ")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m realtime.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small subsets (CI, ~1 min)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for benchmarks.md and bench/ (default: docs, or a temp dir with --quick)")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default: all of {','.join(SECTIONS)})")
    parser.add_argument("--models", type=Path, default=MODELS,
                        help="folder with digits_int8.tflite (and a float model) (default: models/)")
    args = parser.parse_args(argv)
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    out = args.out or (Path(tempfile.mkdtemp(prefix="bench-")) if args.quick else ROOT / "docs")
    config = QUICK if args.quick else FULL
    try:
        results = run(config, out, sections=sections, mode="quick" if args.quick else "full",
                      models_dir=args.models)
    except FileNotFoundError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2
    print(summary_text(results))
    print(f"\nreport: {out / 'benchmarks.md'}   plots: {out / 'bench'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

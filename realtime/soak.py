"""Soak test of one live session: `python -m realtime.soak` (a benchmark, not a unit test).

    python -m realtime.soak                      # 20,000 frames at 100 fps + 50 start/stop cycles
    python -m realtime.soak --frames 2000 --cycles 10 --fps 0 --json soak.json

Frames go through one `LiveProcessor` (realtime/live.py, what the app's video callback calls) with
the real DigitReader and model, exactly as in a browser session: `process()` per frame on this
thread, detection in the processor's own worker. The frames are synthetic camera pages
(realtime/synth.py) that change every 50 frames and shift a little each frame, so tracks are
created, followed and dropped all the time. Measured:

- RSS (resident memory) after warm-up vs at the end, sampled every 1,000 frames;
- per-frame time of `process()` and per-detection time of `read()`: p50/p99 of the first vs the
  last thousand;
- start/stop cycles (half stopped with stop(), half left to stop by themselves when frames end):
  threads alive before vs after, and any detector thread left behind.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

DETECTOR_THREAD = "digits-live-detector"  # LiveProcessor's worker thread name
PAGE_SEEDS = range(8)
SHIFTS_PER_PAGE = 6
FRAMES_PER_PAGE = 50
SAMPLE_EVERY = 1000


def rss_mb() -> float:
    """This process's resident memory now, MB (Linux /proc; NaN elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@functools.lru_cache(maxsize=2)
def camera_frames(size: tuple[int, int]) -> list[list[np.ndarray]]:
    """Per synthetic page, a few copies shifted by a few pixels (a hand-held camera). Cached:
    rendering the pages takes seconds; the processor only ever reads these arrays."""
    import cv2

    from realtime.synth import make_page

    width, height = size
    pages = []
    for seed in PAGE_SEEDS:
        page = cv2.resize(make_page(seed)[0], (width, height), interpolation=cv2.INTER_AREA)
        pages.append([np.ascontiguousarray(np.roll(page, (2 * k, 3 * k), axis=(0, 1)))
                      for k in range(SHIFTS_PER_PAGE)])
    return pages


def frame_at(pages: list[list[np.ndarray]], i: int) -> np.ndarray:
    shifted = pages[(i // FRAMES_PER_PAGE) % len(pages)]
    return shifted[i % len(shifted)]


class TimedReader:
    """Wraps a reader and records how long each detection's read() took (ms)."""

    def __init__(self, reader):
        self.reader = reader
        self.ms: list[float] = []

    def read(self, image):
        start = time.perf_counter()
        try:
            return self.reader.read(image)
        finally:
            self.ms.append((time.perf_counter() - start) * 1000)


def percentiles(values, first_last: int = 1000) -> dict:
    """p50/p99 of the first and the last `first_last` values (fewer: the first and last tenth)."""
    values = np.asarray(values, np.float64)
    if len(values) == 0:
        return {}
    n = first_last if len(values) >= 2 * first_last else max(1, len(values) // 10)
    first, last = values[:n], values[-n:]
    return {"n": int(len(values)), "window": int(n),
            "first_p50": float(np.percentile(first, 50)), "first_p99": float(np.percentile(first, 99)),
            "last_p50": float(np.percentile(last, 50)), "last_p99": float(np.percentile(last, 99)),
            "max": float(values.max())}


def rss_slope_mb_per_1000(samples: list[tuple[int, float]]) -> float:
    """Least-squares slope of RSS over frames, MB per 1,000 frames (a leak shows as a slope)."""
    if len(samples) < 3:
        return float("nan")
    frames, mb = np.array(samples, np.float64).T
    return float(np.polyfit(frames / 1000.0, mb, 1)[0])


@dataclass
class SoakResult:
    frames: int
    size: str
    fps_target: float
    wall_s: float
    detections: int
    rss_start_mb: float
    rss_end_mb: float
    rss_growth_mb: float
    rss_slope_mb_per_1000_frames: float
    rss_samples: list
    frame_ms: dict
    detection_ms: dict
    errors: str | None


def soak_frames(reader, frames: int = 20_000, size: tuple[int, int] = (640, 480),
                fps: float = 100.0, warmup: int = 300, progress: bool = True) -> SoakResult:
    """`frames` frames through one LiveProcessor at `fps` (0: as fast as process() takes them)."""
    from realtime.live import LiveProcessor

    pages = camera_frames(size)
    timed = TimedReader(reader)
    proc = LiveProcessor(timed)
    for i in range(warmup):  # model arenas, tracker, drawing: allocated before the baseline
        proc.process(frame_at(pages, i))
        time.sleep(0.005)
    wait_for(lambda: proc.overlay.detection > 0, 30)
    timed.ms.clear()
    detections0 = proc.overlay.detection
    rss_start = rss_mb()
    samples = [(0, rss_start)]
    frame_ms = np.zeros(frames, np.float64)
    t0 = time.perf_counter()
    for i in tqdm(range(frames), desc="soak", unit="frame", disable=not progress):
        if fps:
            delay = t0 + i / fps - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        start = time.perf_counter()
        proc.process(frame_at(pages, warmup + i))
        frame_ms[i] = (time.perf_counter() - start) * 1000
        if (i + 1) % SAMPLE_EVERY == 0:
            samples.append((i + 1, rss_mb()))
    wall = time.perf_counter() - t0
    detections = proc.overlay.detection - detections0
    error = proc.stats().error
    proc.stop()
    rss_end = rss_mb()
    return SoakResult(
        frames=frames, size=f"{size[0]}x{size[1]}", fps_target=fps, wall_s=wall,
        detections=detections, rss_start_mb=rss_start, rss_end_mb=rss_end,
        rss_growth_mb=rss_end - rss_start, rss_slope_mb_per_1000_frames=rss_slope_mb_per_1000(samples),
        rss_samples=samples, frame_ms=percentiles(frame_ms),
        detection_ms=percentiles(timed.ms), errors=error)


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def detector_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(DETECTOR_THREAD)]


def session_threads() -> int:
    """Python threads alive, not counting tqdm's progress-bar monitor (started on first use)."""
    return sum(1 for t in threading.enumerate() if t.name != "tqdm_monitor")


def start_stop_cycles(reader, cycles: int = 50, size: tuple[int, int] = (320, 240),
                      idle_stop_s: float = 0.3, progress: bool = True) -> dict:
    """Open and close `cycles` live sessions (each reads at least once). Even cycles end with
    stop(); odd ones just stop sending frames and let the worker end itself."""
    from realtime.live import LiveProcessor

    pages = camera_frames(size)
    threads_before = session_threads()
    rss_before = rss_mb()
    detected = 0
    for c in tqdm(range(cycles), desc="start/stop", unit="cycle", disable=not progress):
        proc = LiveProcessor(reader, idle_stop_s=idle_stop_s)
        for i in range(5):
            proc.process(frame_at(pages, c * FRAMES_PER_PAGE + i))
        detected += wait_for(lambda p=proc: p.overlay.detection > 0, 30)
        if c % 2 == 0:
            proc.stop()
        else:
            wait_for(lambda p=proc: not p.running, idle_stop_s + 5)
    settled = wait_for(lambda: session_threads() <= threads_before and not detector_threads(), 10)
    return {"cycles": cycles, "cycles_that_read": int(detected), "threads_before": threads_before,
            "threads_after": session_threads(), "settled": bool(settled),
            "detector_threads_left": detector_threads(),
            "rss_before_mb": rss_before, "rss_after_mb": rss_mb()}


def report(soak: SoakResult | None, cycles: dict | None) -> str:
    out = []
    if soak is not None:
        f, d = soak.frame_ms, soak.detection_ms
        out += [
            f"soak: {soak.frames} frames {soak.size} at "
            f"{'max rate' if not soak.fps_target else f'{soak.fps_target:g} fps'} "
            f"in {soak.wall_s:.0f} s, {soak.detections} detections"
            + (f" (last error: {soak.errors})" if soak.errors else ""),
            f"  RSS {soak.rss_start_mb:.1f} -> {soak.rss_end_mb:.1f} MB: growth "
            f"{soak.rss_growth_mb:+.1f} MB (goal <= 20), slope "
            f"{soak.rss_slope_mb_per_1000_frames:+.3f} MB per 1,000 frames",
            f"  frame time (process): first {f['window']} p50 {f['first_p50']:.2f} ms p99 "
            f"{f['first_p99']:.2f} ms | last {f['window']} p50 {f['last_p50']:.2f} ms p99 "
            f"{f['last_p99']:.2f} ms | max {f['max']:.1f} ms",
        ]
        if d:
            out.append(
                f"  detection time (read): first {d['window']} p50 {d['first_p50']:.1f} ms p99 "
                f"{d['first_p99']:.1f} ms | last {d['window']} p50 {d['last_p50']:.1f} ms p99 "
                f"{d['last_p99']:.1f} ms")
    if cycles is not None:
        out.append(
            f"start/stop: {cycles['cycles']} cycles ({cycles['cycles_that_read']} read), threads "
            f"{cycles['threads_before']} before -> {cycles['threads_after']} after, detector "
            f"threads left: {len(cycles['detector_threads_left'])}, RSS "
            f"{cycles['rss_before_mb']:.1f} -> {cycles['rss_after_mb']:.1f} MB")
    return "\n".join(out)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size wants WIDTHxHEIGHT, got {text!r}") from None
    return w, h


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m realtime.soak", description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=20_000)
    ap.add_argument("--fps", type=float, default=100.0, help="frame rate to feed (0: max rate)")
    ap.add_argument("--size", type=parse_size, default=(640, 480), metavar="WxH")
    ap.add_argument("--cycles", type=int, default=50, help="start/stop cycles (0: skip)")
    ap.add_argument("--json", metavar="PATH", help="also write the numbers here")
    args = ap.parse_args(argv)

    from realtime.reader import DigitReader

    reader = DigitReader()
    soak = soak_frames(reader, args.frames, args.size, args.fps) if args.frames else None
    cycles = start_stop_cycles(reader, args.cycles) if args.cycles else None
    print(report(soak, cycles))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"soak": asdict(soak) if soak else None, "start_stop": cycles}, indent=2))
    leaked = cycles is not None and (cycles["detector_threads_left"] or not cycles["settled"])
    return 1 if leaked or (soak is not None and soak.errors) else 0


if __name__ == "__main__":
    sys.exit(main())

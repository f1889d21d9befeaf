"""Live-path benchmark: `python -m realtime.bench_live [--seconds 10] [--cold-start]`.

Feeds synthetic 1280x720 frames with ~30 handwritten digits through one session's LiveProcessor
at 30 fps, exactly as streamlit-webrtc calls it (av.VideoFrame in, av.VideoFrame out), with the
real DigitReader and model. Reports: output fps, detection refresh rate, overlay cost per frame,
how old the drawn overlay is, and whether the stable text matches the page.
`--cold-start` also measures the app from `streamlit run` to the first reading shown in a real
browser (Chromium with a fake camera playing the same page).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1280, 720
PAGE_LINES = ["3141592653", "5897932384", "6264338327"]  # 30 digits


def page_with_digits(lines=PAGE_LINES, width=WIDTH, height=HEIGHT, digit_px=64) -> np.ndarray:
    """Light paper with MNIST test digits written as `lines` (BGR)."""
    from training.mnist import load

    images, labels = load("test")
    rng = np.random.default_rng(7)
    cell = int(digit_px * 28 / 20)                 # MNIST ink is 20 of 28 px
    advance, pitch = int(cell * 0.7), int(cell * 1.5)
    paper = np.full((height, width), 228, np.float32) + rng.normal(0, 3, (height, width))
    top = (height - len(lines) * pitch) // 2
    for row, text in enumerate(lines):
        x = (width - len(text) * advance) // 2
        y = top + row * pitch
        for ch in text:
            pool = np.flatnonzero(labels == int(ch))[:50]
            glyph = cv2.resize(images[rng.choice(pool)], (cell, cell), interpolation=cv2.INTER_CUBIC)
            region = paper[y:y + cell, x:x + cell]
            np.minimum(region, 228 - glyph.astype(np.float32) * 0.8, out=region)
            x += advance
    return cv2.cvtColor(np.clip(paper, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def camera_frames(page: np.ndarray, n_variants: int = 6) -> list[np.ndarray]:
    """A few slightly shifted, re-noised copies: a hand-held camera, precomputed so the feeder
    costs nothing while measuring."""
    rng = np.random.default_rng(1)
    frames = []
    for _ in range(n_variants):
        dx, dy = (int(v) for v in rng.integers(-3, 4, 2))
        shifted = np.roll(page, (dy, dx), axis=(0, 1)).astype(np.int16)
        noisy = shifted + rng.integers(-4, 5, shifted.shape[:2], dtype=np.int16)[:, :, None]
        frames.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return frames


def percentile(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def run_live(seconds: float, fps: float, reader) -> dict:
    import av

    from realtime.live import LiveProcessor

    page = page_with_digits()
    frames = camera_frames(page)
    proc = LiveProcessor(reader)
    recv_ms, overlay_age, first_reading_s = [], [], None
    period = 1.0 / fps
    start = time.perf_counter()
    next_due = start
    sent = 0
    try:
        while time.perf_counter() - start < seconds:
            frame = av.VideoFrame.from_ndarray(frames[sent % len(frames)], format="bgr24")
            frame.pts = sent
            t0 = time.perf_counter()
            out = proc.recv(frame)
            recv_ms.append((time.perf_counter() - t0) * 1000)
            sent += 1
            assert out.width == WIDTH
            overlay = proc.overlay
            if overlay.detection:
                overlay_age.append(sent - overlay.source_frame)
                if first_reading_s is None and overlay.lines:
                    first_reading_s = time.perf_counter() - start
            next_due += period
            time.sleep(max(0.0, next_due - time.perf_counter()))  # the camera's clock
        wall = time.perf_counter() - start
        stats = proc.stats()
    finally:
        proc.stop()
    process_ms = list(proc._overlay_ms)  # copy + draw inside process(), last 120 frames
    return {
        "frames": sent, "seconds": round(wall, 2), "input_fps_target": fps,
        "output_fps": round(sent / wall, 2),
        "detections": stats.detections,
        "detection_hz": round(stats.detections / wall, 2),
        "detection_ms_median": round(stats.detection_ms, 1),
        "overlay_ms_median": round(percentile(process_ms, 50), 3),
        "overlay_ms_p99": round(percentile(process_ms, 99), 3),
        "callback_ms_median_incl_av_conversion": round(percentile(recv_ms, 50), 3),
        "callback_ms_p99_incl_av_conversion": round(percentile(recv_ms, 99), 3),
        "overlay_age_frames_median": percentile(overlay_age, 50),
        "overlay_age_frames_max": int(max(overlay_age)) if overlay_age else None,
        "first_reading_s": round(first_reading_s, 3) if first_reading_s else None,
        "stable_text": list(stats.lines),
        "truth": PAGE_LINES,
        "text_matches": list(stats.lines) == PAGE_LINES,
        "digits_found": len(stats.digits),
    }


# --------------------------------------------------------------------------- cold start

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_y4m(path: Path, frame: np.ndarray, frames: int = 10, fps: int = 30) -> None:
    i420 = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{frame.shape[1]} H{frame.shape[0]} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + i420)


# Frames the browser actually presented from the app's (annotated) video track, per second.
RECEIVED_FPS_JS = """(v, ms) => new Promise(resolve => {
  let n = 0; const t0 = performance.now();
  const tick = () => { n++; if (performance.now() - t0 < ms) v.requestVideoFrameCallback(tick);
                       else resolve(n / ((performance.now() - t0) / 1000)); };
  v.requestVideoFrameCallback(tick);
})"""


def run_cold_start(chromium: str = "/usr/bin/chromium", timeout_s: float = 120) -> dict:
    """`streamlit run` -> health -> page loaded -> START -> first reading text in the page."""
    from playwright.sync_api import sync_playwright

    page_img = page_with_digits()
    with tempfile.TemporaryDirectory() as tmp:
        y4m = Path(tmp) / "cam.y4m"
        write_y4m(y4m, page_img)
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "stream_app.py"),
             "--server.port", str(port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--browser.serverAddress", "localhost"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        marks = {}
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                        break
                except OSError:
                    if time.perf_counter() - t0 > timeout_s or proc.poll() is not None:
                        raise RuntimeError("streamlit did not start") from None
                    time.sleep(0.1)
            marks["server_healthy_s"] = time.perf_counter() - t0
            args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, headless=True, args=args)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"http://localhost:{port}")
                page.frame_locator("iframe").first.get_by_role("button", name="START").wait_for(
                    timeout=timeout_s * 1000)
                marks["app_ready_s"] = time.perf_counter() - t0
                t_start = time.perf_counter()
                page.frame_locator("iframe").first.get_by_role("button", name="START").click()
                page.locator("[data-testid='stCode']").filter(
                    has_text=PAGE_LINES[0][:4]).first.wait_for(timeout=timeout_s * 1000)
                marks["start_to_first_reading_s"] = time.perf_counter() - t_start
                marks["launch_to_first_reading_s"] = time.perf_counter() - t0
                marks["shown_text"] = page.locator("[data-testid='stCode']").first.inner_text()
                video = page.frame_locator("iframe").first.locator("video")
                marks["browser_video_size"] = video.evaluate(
                    "v => `${v.videoWidth}x${v.videoHeight}`")
                marks["browser_received_fps"] = video.evaluate(RECEIVED_FPS_JS, 5000)
                page.get_by_text("Show live stats").click()  # the app's own server-side stats
                page.wait_for_timeout(4000)
                marks["app_stats_caption"] = page.locator(
                    "[data-testid='stCaptionContainer']").filter(has_text="fps").first.inner_text()
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in marks.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--cold-start", action="store_true",
                        help="also time streamlit run -> first reading in Chromium")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)

    from realtime.classifier import ModelLoadError
    from realtime.reader import DigitReader

    try:
        reader = DigitReader()
    except ModelLoadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    results = {"machine": {"cpus": os.cpu_count()},
               "live": run_live(args.seconds, args.fps, reader)}
    if args.cold_start:
        results["cold_start"] = run_cold_start()
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Many live sessions at once: `python -m realtime.bench_sessions` (a benchmark, not a unit test).

    python -m realtime.bench_sessions                 # 4 sessions, 20 s measured
    python -m realtime.bench_sessions --sessions 2 --seconds 10 --json out.json

One Streamlit server (the real stream_app.py, loopback only) and, per session, one headless
Chromium with a fake camera (a Y4M file of a synthetic handwritten page; several pages of ONE
Chromium cannot all use its fake camera at once). Each session has its own Streamlit session and
LiveProcessor, and presses START. Then, per session:

- **server-side rates** (the figure the goal is judged on): the app's own "Show live stats"
  caption, i.e. that session's LiveProcessor counters: frames per second through its video
  callback (each one is sent back annotated) and detection refreshes per second;
- **video fps seen by the browser**: `getVideoPlaybackQuality().totalVideoFrames` of the
  component's output <video>, counted over windows of `--window` seconds (the slowest window is
  reported too). It over-counts when other sessions stall (seen: 42 fps from a 15 fps camera),
  so it serves to see that video arrives, not as the rate;
- **camera fps sent**: the browser's own WebRTC statistics for the camera stream it sends
  (`outbound-rtp` framesPerSecond, and `qualityLimitationReason`: "cpu" means Chromium itself
  lowered the camera's rate or size because its encoder was short of CPU);
- **dropped**: a session whose video stops advancing in any window, whose page loses its
  video or shows START again, or whose peer connection left "connected" (the component goes
  back to START on "disconnected", "failed" or "closed") counts as dropped.

The helpers here (serve the app, launch Chromium with a fake camera) are also used by
tests/test_hardening_sessions.py.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "stream_app.py"
CAMERA_SIZE = (640, 480)
CAMERA_FPS = 15
CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream",
                  # headless tabs are all "visible", but keep Chromium from throttling any of them
                  "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                  "--disable-backgrounding-occluded-windows")
STATS_RE = re.compile(r"(\d+) fps · detection ([\d.]+)/s, (\d+) ms")


# --------------------------------------------------------------------------- serving the app

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy (exit code {proc.poll()})")


@contextlib.contextmanager
def serve_app(script: Path = APP, env: dict | None = None, log=subprocess.DEVNULL) -> Iterator[str]:
    """Run `streamlit run script` on a free loopback port; yield its URL; stop it after."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--browser.serverAddress", "localhost",
         # no file watcher: it watches the whole checkout (the venv too) and costs CPU that the
         # sessions need; a served app does not reload on edits anyway
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        wait_healthy(port, proc)
        yield f"http://localhost:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# --------------------------------------------------------------------------- the fake camera

def find_chromium() -> str | None:
    env = os.environ.get("CHROMIUM_PATH")
    if env:
        return env
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = CAMERA_FPS) -> Path:
    """Y4M (I420) video of BGR frames, all the same size; Chromium loops it as a webcam."""
    import cv2

    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def synthetic_camera(path: Path, seed: int = 3, frames: int = 15) -> Path:
    """A hand-held look at one synthetic page (realtime.synth): shifts by a pixel or two."""
    import cv2

    from realtime.synth import make_page

    page = cv2.resize(make_page(seed)[0], CAMERA_SIZE, interpolation=cv2.INTER_AREA)
    shots = [np.ascontiguousarray(np.roll(page, (i % 3, (i * 2) % 5), axis=(0, 1)))
             for i in range(frames)]
    return write_y4m(path, shots)


def launch_chromium(playwright, y4m: Path, chromium: str | None = None):
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError("no Chromium: install Debian's chromium or set CHROMIUM_PATH")
    return playwright.chromium.launch(
        executable_path=chromium, headless=True,
        args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={y4m}"])


# --------------------------------------------------------------------------- one session's page

# Keeps every RTCPeerConnection a frame creates (the component's is inside its iframe), so the
# benchmark can read the browser's own WebRTC statistics.
RECORD_PEER_CONNECTIONS_JS = """
(() => {
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  window.__peerConnections = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args);
    window.__peerConnections.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
})();
"""
VIDEO_RTC_STATS_JS = """async () => {
  const out = {};
  for (const pc of (window.__peerConnections || [])) {
    if (pc.connectionState === 'closed') continue;
    out.state = pc.connectionState;
    (await pc.getStats()).forEach(s => {
      if (s.kind !== 'video') return;
      if (s.type === 'outbound-rtp') {
        out.sent_fps = s.framesPerSecond ?? 0; out.sent_width = s.frameWidth ?? 0;
        out.limited_by = s.qualityLimitationReason;
      }
      if (s.type === 'inbound-rtp') out.received_fps = s.framesPerSecond ?? 0;
    });
  }
  return out;
}"""
CONNECTION_STATE_RE = re.compile(r"^connectionstatechange (\w+)")


def open_session(browser, url: str, viewport=(1200, 900)):
    """A fresh browser context (its own Streamlit session) with the app loaded."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.add_init_script(RECORD_PEER_CONNECTIONS_JS)
    page = context.new_page()
    page.goto(url, timeout=90_000)
    page.get_by_text("Handwritten digit reader").wait_for(timeout=90_000)
    return context, page


def start_camera(page, show_stats: bool = True) -> None:
    if show_stats:
        page.get_by_text("Show live stats").click()
    page.frame_locator("iframe").first.get_by_role("button", name="START").click()


def output_video(page):
    return page.frame_locator("iframe").first.locator("video").first


def video_counters(page) -> dict | None:
    """Frames the browser has shown of the session's output video, and its playback clock."""
    try:
        return output_video(page).evaluate(
            """v => ({frames: v.getVideoPlaybackQuality().totalVideoFrames,
                      dropped: v.getVideoPlaybackQuality().droppedVideoFrames,
                      time: v.currentTime, width: v.videoWidth, now: performance.now()})""",
            timeout=5_000)
    except Exception:  # noqa: BLE001 - page or video gone: the session is dropped
        return None


def rtc_video_stats(page) -> dict:
    """The browser's WebRTC statistics of the session's live peer connection ({} when none)."""
    for frame in page.frames:
        if frame is page.main_frame:
            continue
        try:
            stats = frame.evaluate(VIDEO_RTC_STATS_JS)
        except Exception:  # noqa: BLE001 - frame gone or not the component's
            continue
        if stats:
            return stats
    return {}


def record_connection_states(page) -> list[tuple[float, str]]:
    """(time, state) of every connection-state change the component logs to the console."""
    states: list[tuple[float, str]] = []

    def on_console(message):
        m = CONNECTION_STATE_RE.match(message.text)
        if m:
            states.append((time.time(), m.group(1)))
    page.on("console", on_console)
    return states


def left_connected(states: list[tuple[float, str]]) -> bool:
    """Did the connection leave "connected" after reaching it (the component then stops)?"""
    connected = False
    for _, state in states:
        if state == "connected":
            connected = True
        elif connected and state in ("disconnected", "failed", "closed"):
            return True
    return False


def server_stats(page) -> dict | None:
    """The app's own per-session counters (the 'Show live stats' caption)."""
    try:
        text = page.get_by_text(STATS_RE).first.inner_text(timeout=2_000)
    except Exception:  # noqa: BLE001 - caption not there (not playing)
        return None
    m = STATS_RE.search(text)
    return {"input_fps": float(m.group(1)), "detection_hz": float(m.group(2)),
            "detection_ms": float(m.group(3))} if m else None


def start_button_showing(page) -> bool:
    try:
        return page.frame_locator("iframe").first.get_by_role("button", name="START").is_visible()
    except Exception:  # noqa: BLE001
        return False


def wait_playing(page, timeout_s: float = 60, press_again_s: float = 20) -> tuple[bool, int]:
    """Wait for the session's video; press START again (like a user would) when the button is
    still showing after press_again_s. Returns (playing, how many extra presses it took)."""
    deadline = time.time() + timeout_s
    next_press, presses = time.time() + press_again_s, 0
    while time.time() < deadline:
        c = video_counters(page)
        if c and c["width"] > 0 and c["frames"] > 5:
            return True, presses
        if time.time() > next_press and start_button_showing(page):
            page.frame_locator("iframe").first.get_by_role("button", name="START").click()
            presses += 1
            next_press = time.time() + press_again_s
        time.sleep(0.5)
    return False, presses


# --------------------------------------------------------------------------- the benchmark

def window_rates(samples: list[dict | None]) -> list[float]:
    """Frames per second between consecutive samples (0 where the video was gone)."""
    rates = []
    for a, b in zip(samples, samples[1:], strict=False):
        if a is None or b is None or b["now"] <= a["now"]:
            rates.append(0.0)
        else:
            rates.append((b["frames"] - a["frames"]) / ((b["now"] - a["now"]) / 1000))
    return rates


def median_of(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if isinstance(r.get(key), int | float)]
    return float(np.median(values)) if values else None


def most_common(rows: list[dict], key: str) -> str | None:
    values = [r[key] for r in rows if r.get(key)]
    return max(set(values), key=values.count) if values else None


def summarize_session(index: int, samples: list[dict | None], stats: list[dict],
                      rtc: list[dict] | None = None, states: list | None = None,
                      start_seen: bool = False) -> dict:
    rtc, states = rtc or [], states or []
    rates = window_rates(samples)
    first, last = samples[0], samples[-1]
    ok = first is not None and last is not None
    total_fps = ((last["frames"] - first["frames"]) / ((last["now"] - first["now"]) / 1000)
                 if ok and last["now"] > first["now"] else 0.0)
    return {
        "session": index + 1,
        "video_fps": total_fps,
        "slowest_window_fps": min(rates) if rates else 0.0,
        "windows": rates,
        "browser_dropped_frames": (last["dropped"] - first["dropped"]) if ok else None,
        "server_input_fps": float(np.median([s["input_fps"] for s in stats])) if stats else None,
        "detection_hz": float(np.median([s["detection_hz"] for s in stats])) if stats else None,
        "detection_ms": float(np.median([s["detection_ms"] for s in stats])) if stats else None,
        "camera_sent_fps": median_of(rtc, "sent_fps"),
        "camera_sent_width": median_of(rtc, "sent_width"),
        "camera_limited_by": most_common(rtc, "limited_by"),
        "connection_states": [state for _, state in states],
        "dropped": ((not ok) or (min(rates) if rates else 0.0) <= 0.0 or start_seen
                    or left_connected(states)),
    }


def measure_sessions(url: str, browsers: list, warmup_s: float = 8, seconds: float = 20,
                     window_s: float = 4, progress=print, camera: Path | None = None) -> list[dict]:
    """One session per browser in `browsers` (the same browser may be listed several times: one
    context each). Chromium's fake camera does not reliably serve several pages of one browser
    at once (the earlier ones stop), so the benchmark gives each session its own browser."""
    pages, started, states = [], [], []
    for i, browser in enumerate(browsers):
        context, page = open_session(browser, url)
        states.append(record_connection_states(page))
        start_camera(page)
        pages.append((context, page))
        started.append(time.time())
        progress(f"session {i + 1}: START pressed")
    first_frame_s, extra_presses = [], []
    for i, (_, page) in enumerate(pages):
        playing, presses = wait_playing(page, timeout_s=max(10.0, started[i] + 120 - time.time()))
        first_frame_s.append(time.time() - started[i] if playing else None)
        extra_presses.append(presses)
        progress(f"session {i + 1}: " + (f"video back after {first_frame_s[-1]:.1f} s" if playing
                                         else "video never started")
                 + (f" (START pressed {presses} more times)" if presses else ""))
    time.sleep(warmup_s)
    samples: list[list] = [[video_counters(p)] for _, p in pages]
    stats: list[list] = [[] for _ in pages]
    rtc: list[list] = [[] for _ in pages]
    start_seen = [False] * len(pages)
    measured_from = time.time()
    windows = max(1, round(seconds / window_s))
    port = int(url.rsplit(":", 1)[1])
    cpu_before, t_cpu = cpu_seconds(port, camera), time.time()
    for w in range(windows):
        time.sleep(window_s)
        for i, (_, page) in enumerate(pages):
            samples[i].append(video_counters(page))
            s = server_stats(page)
            if s:
                stats[i].append(s)
            rtc[i].append(rtc_video_stats(page))
            start_seen[i] = start_seen[i] or start_button_showing(page)
        progress(f"window {w + 1}/{windows}: " + ", ".join(
            f"{r[-1]:.1f}" for r in (window_rates(s) for s in samples)) + " fps")
    cores = cpu_share(cpu_before, cpu_seconds(port, camera), time.time() - t_cpu)
    results = [{**summarize_session(i, samples[i], stats[i], rtc[i],
                                    [st for st in states[i] if st[0] >= measured_from],
                                    start_seen[i]),
                "first_frame_s": first_frame_s[i],
                "extra_start_presses": extra_presses[i], "cores_used": cores}
               for i in range(len(pages))]
    for context, _ in pages:
        context.close()
    return results


def process_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command line, CPU seconds so far) for every process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(proc.name)] = (int(fields[1]), cmd, (int(fields[11]) + int(fields[12])) / tick)
    return table


def tree_cpu(table: dict, roots: set[int]) -> float:
    """CPU seconds of the roots and all their descendants."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in table:
            continue
        seen.add(pid)
        total += table[pid][2]
        todo.extend(children.get(pid, []))
    return total


def cpu_seconds(port: int, camera: Path) -> dict[str, float]:
    """CPU seconds used so far by this app server, by this benchmark's Chromiums (with all their
    child processes), and by the whole machine: where the 2 cores went, other users included."""
    table = process_table()
    server = {pid for pid, (_, cmd, _) in table.items()
              if "streamlit" in cmd and f"--server.port {port}" in cmd}
    browsers = {pid for pid, (_, cmd, _) in table.items()
                if f"--use-file-for-fake-video-capture={camera}" in cmd and "--type=" not in cmd}
    used = {"app server": tree_cpu(table, server), "browsers": tree_cpu(table, browsers)}
    try:
        total = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        tick = os.sysconf("SC_CLK_TCK")
        used["machine busy"] = (sum(map(int, total)) - int(total[3]) - int(total[4])) / tick
    except (OSError, IndexError, ValueError):
        pass
    return used


def cpu_share(before: dict[str, float], after: dict[str, float], wall_s: float) -> dict[str, float]:
    """Cores used per group over wall_s seconds (2.0 = both cores of a 2-core machine)."""
    return {k: (after[k] - before.get(k, 0.0)) / wall_s for k in after if wall_s > 0}


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def report(results: list[dict], meta: dict) -> str:
    lines = [f"{meta['sessions']} live sessions, one server, loopback; camera "
             f"{CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} @ {CAMERA_FPS} fps; {meta['seconds']:g} s measured "
             f"on {meta['cpus']} CPUs (load average before {meta['load_before']}, after "
             f"{meta['load_after']})",
             "| session | video back after | camera fps sent (limited by) | server input fps | "
             "video fps (browser) | slowest window | detections/s | detection ms | dropped |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def num(v, fmt):
        return "n/a" if v is None else format(v, fmt)

    for r in results:
        again = f" ({r['extra_start_presses']} re-press)" if r.get("extra_start_presses") else ""
        limited = f" ({r['camera_limited_by']})" if r.get("camera_limited_by") else ""
        lines.append(f"| {r['session']} | {num(r['first_frame_s'], '.1f')} s{again} | "
                     f"{num(r.get('camera_sent_fps'), '.0f')}{limited} | "
                     f"{num(r['server_input_fps'], '.0f')} | "
                     f"{r['video_fps']:.1f} | {r['slowest_window_fps']:.1f} | "
                     f"{num(r['detection_hz'], '.1f')} | "
                     f"{num(r['detection_ms'], '.0f')} | {'YES' if r['dropped'] else 'no'} |")
    for r in results:
        if r["dropped"] and r.get("connection_states"):
            lines.append(f"session {r['session']} connection while measured: "
                         + " -> ".join(r["connection_states"]))
    if results:
        cores = results[0]["cores_used"]
        lines.append("CPU cores used while measuring: " + ", ".join(
            f"{k} {v:.2f}" for k, v in cores.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m realtime.bench_sessions",
                                 description="fps per session with N live sessions at once")
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0, help="measured time")
    ap.add_argument("--warmup", type=float, default=8.0)
    ap.add_argument("--window", type=float, default=4.0, help="fps window (s)")
    ap.add_argument("--goal-fps", type=float, default=10.0)
    ap.add_argument("--one-browser", action="store_true",
                    help="all sessions as contexts of one Chromium (its fake camera may stop "
                         "earlier sessions; default: one Chromium per session)")
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--server-log", metavar="PATH", help="keep the app server's output here")
    ap.add_argument("--app", metavar="SCRIPT", type=Path, default=APP,
                    help="the Streamlit script to serve (default: this checkout's stream_app.py;"
                         " e.g. a copy of another commit, to compare)")
    args = ap.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("error: playwright is not installed (pip install -r requirements-dev.txt)",
              file=sys.stderr)
        return 2
    if find_chromium() is None:
        print("error: no Chromium: install Debian's chromium or set CHROMIUM_PATH", file=sys.stderr)
        return 2
    load_before = load_average()
    log = open(args.server_log, "wb") if args.server_log else subprocess.DEVNULL  # noqa: SIM115
    with tempfile.TemporaryDirectory() as tmp, serve_app(args.app, log=log) as url, sync_playwright() as p:
        y4m = synthetic_camera(Path(tmp) / "camera.y4m")
        launched = [launch_chromium(p, y4m) for _ in range(1 if args.one_browser else args.sessions)]
        browsers = launched * args.sessions if args.one_browser else launched
        try:
            results = measure_sessions(url, browsers, args.warmup, args.seconds, args.window,
                                       progress=lambda m: print(m, file=sys.stderr), camera=y4m)
        finally:
            for browser in launched:
                browser.close()
    meta = {"app": str(args.app), "sessions": args.sessions, "seconds": args.seconds,
            "cpus": os.cpu_count(),
            "browsers": 1 if args.one_browser else args.sessions,
            "load_before": load_before, "load_after": load_average()}
    print(report(results, meta))
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "sessions": results}, indent=2))
    # the goal is judged on the server's own per-session frame counter: the browser's
    # totalVideoFrames over-counts (42 fps from a 15 fps camera) when other sessions stall
    below = [r["session"] for r in results
             if (r["server_input_fps"] if r["server_input_fps"] is not None else 0.0) < args.goal_fps]
    dropped = [r["session"] for r in results if r["dropped"]]
    print(f"goal >= {args.goal_fps:g} fps per session: "
          f"{'met' if not below else f'NOT met for sessions {below}'}; dropped sessions: "
          f"{dropped or 'none'}")
    return 1 if dropped else 0


if __name__ == "__main__":
    sys.exit(main())

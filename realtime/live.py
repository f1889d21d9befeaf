"""The live path without Streamlit: a per-session video processor and a digit tracker.

Why it is built this way: WebRTC processing apps lag when every frame waits for the detector,
because frames queue up behind it. Here the frame callback only (1) keeps the newest raw frame
and (2) draws the most recent overlay on the outgoing frame; detection runs in its own worker
thread on whatever frame is newest when it is free. The video therefore runs at the camera's
rate, the overlay is at most one detection old, and no queue of stale frames can build up.

Flicker is handled by tracking: each detection's digits are matched to existing tracks by box
overlap (IoU) and their labels are voted over time, so one bad detection does not change the
text. One LiveProcessor belongs to one browser session; nothing here is module-global.
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from realtime.overlay import draw_words
from realtime.reading import Digit, Reading


class Reader(Protocol):
    def read(self, image: np.ndarray) -> Reading: ...


# --------------------------------------------------------------------------- drawing

def confidence_colour(confidence: float) -> tuple[int, int, int]:
    """BGR from red (unsure, <= 0.5) through yellow (0.75) to green (sure): the engine's scale,
    so the live overlay, stills and the CLI's annotated images agree."""
    from realtime.overlay import confidence_colour as engine_colour

    return engine_colour(confidence)


def _label_style(shape) -> tuple[int, float]:
    """(stroke thickness, largest label scale) for an image of `shape`: strokes and text grow
    with the image so a 4000 px photo, shown shrunk, stays legible; a 1280x720 frame gets 2 px
    lines and labels up to 1.2."""
    height, width = shape[:2]
    return max(1, round(max(height, width) / 640)), 1.2 * max(1.0, max(height, width) / 1280)


def _label_scale(box_h: int, max_scale: float) -> float:
    return max(0.4, min(max_scale, box_h / 40))


def label_layout(shape, digits) -> list[tuple[int, int]]:
    """Where draw_digits puts each digit's label on an image of `shape`: text origins, above
    the line's boxes, else below, else inside, never over another digit or label (see
    overlay.label_spots). The live view computes it once per detection, not per frame."""
    from realtime.overlay import label_spots

    thickness, max_scale = _label_style(shape)
    sizes = [cv2.getTextSize(str(d.label), cv2.FONT_HERSHEY_SIMPLEX,
                             _label_scale(int(d.box[3]), max_scale), thickness + 2)[0]
             for d in digits]
    return label_spots([d.box for d in digits], sizes, [d.line for d in digits], shape[0])


def draw_digits(image: np.ndarray, digits, show_boxes: bool = True,
                show_labels: bool = True, spots: list[tuple[int, int]] | None = None
                ) -> np.ndarray:
    """Draw boxes and labels IN PLACE on a BGR uint8 image (fast: under 1 ms for 30 digits on
    1280x720, label placement included). `spots`: label_layout(image.shape, digits), when the
    caller already has it."""
    if not digits or not (show_boxes or show_labels):
        return image
    thickness, max_scale = _label_style(image.shape)
    if show_labels and spots is None:
        spots = label_layout(image.shape, digits)
    for k, d in enumerate(digits):
        x, y, w, h = (int(v) for v in d.box)
        colour = confidence_colour(d.confidence)
        if show_boxes:
            cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), colour, thickness)
        if show_labels:
            for ink, stroke in (((0, 0, 0), thickness + 2), (colour, thickness)):  # outlined
                cv2.putText(image, str(d.label), spots[k], cv2.FONT_HERSHEY_SIMPLEX,
                            _label_scale(h, max_scale), ink, stroke, cv2.LINE_AA)
    return image


# --------------------------------------------------------------------------- lines

def group_lines(digits, space_factor: float | None = None) -> tuple[list[str], list[Digit]]:
    """Digits anywhere -> (text lines top to bottom, digits re-numbered by line, left to right).

    A digit joins a line when its vertical centre falls inside the line's band; spaces follow
    the engine's rule (realtime.lines.space_after), so live text and still readings agree.
    """
    from realtime.lines import space_after

    if space_factor is None:  # the engine's own default, so both read the same spaces
        from realtime.reader import Settings
        space_factor = Settings.space_factor
    bands: list[list] = []  # each: [top, bottom, members]
    for d in sorted(digits, key=lambda d: d.box[1] + d.box[3] / 2):
        cy = d.box[1] + d.box[3] / 2
        for band in bands:
            if band[0] <= cy <= band[1]:
                band[2].append(d)
                band[0] = min(band[0], d.box[1])
                band[1] = max(band[1], d.box[1] + d.box[3])
                break
        else:
            bands.append([d.box[1], d.box[1] + d.box[3], [d]])
    bands.sort(key=lambda b: (b[0] + b[1]) / 2)
    lines, ordered = [], []
    for index, (_, _, members) in enumerate(bands):
        members.sort(key=lambda d: d.box[0])
        lefts = np.array([d.box[0] for d in members], np.float64)
        rights = np.maximum.accumulate(lefts + [d.box[2] for d in members])
        line_height = float(np.median([d.box[3] for d in members]))
        spaces = space_after(lefts, rights, line_height, space_factor)
        text = ""
        for j, d in enumerate(members):
            if j and spaces[j - 1]:
                text += " "
            text += str(d.label)
            ordered.append(Digit(d.label, d.confidence, d.box, index))
        lines.append(text)
    return lines, ordered


# --------------------------------------------------------------------------- tracking

def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every (x, y, w, h) box in a (N x 4) with every box in b (M x 4) -> N x M."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ax0, ay0 = a[:, 0:1], a[:, 1:2]
    ax1, ay1 = ax0 + a[:, 2:3], ay0 + a[:, 3:4]
    bx0, by0 = b[:, 0], b[:, 1]
    bx1, by1 = bx0 + b[:, 2], by0 + b[:, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = iw * ih
    union = a[:, 2:3] * a[:, 3:4] + b[:, 2] * b[:, 3] - inter
    return inter / np.maximum(union, 1e-9)


def greedy_match(iou: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Pairs (row, col) taken best IoU first, each row and column at most once, IoU >= threshold."""
    pairs = []
    if iou.size == 0:
        return pairs
    rows, cols = np.nonzero(iou >= threshold)
    order = np.argsort(-iou[rows, cols], kind="stable")
    used_rows, used_cols = set(), set()
    for k in order:
        r, c = int(rows[k]), int(cols[k])
        if r not in used_rows and c not in used_cols:
            pairs.append((r, c))
            used_rows.add(r)
            used_cols.add(c)
    return pairs


@dataclass
class Track:
    """One digit followed across detections: a smoothed box and decaying label votes."""

    box: np.ndarray                      # float (x, y, w, h)
    votes: dict[int, float] = field(default_factory=dict)
    weight: float = 0.0                  # decayed number of observations
    hits: int = 0
    misses: int = 0

    def observe(self, digit: Digit, decay: float, smoothing: float) -> None:
        new_box = np.asarray(digit.box, dtype=float)
        self.box = new_box if self.hits == 0 else smoothing * new_box + (1 - smoothing) * self.box
        self.votes = {k: v * decay for k, v in self.votes.items()}
        self.votes[digit.label] = self.votes.get(digit.label, 0.0) + float(digit.confidence)
        self.weight = self.weight * decay + 1.0
        self.hits += 1
        self.misses = 0

    @property
    def label(self) -> int:
        return max(self.votes.items(), key=lambda kv: kv[1])[0]

    @property
    def confidence(self) -> float:
        """Share of the (decayed) observations that voted for the label, weighted by confidence."""
        return float(min(1.0, self.votes[self.label] / max(self.weight, 1e-9)))

    def as_digit(self) -> Digit:
        x, y, w, h = (int(round(v)) for v in self.box)
        return Digit(self.label, self.confidence, (x, y, max(1, w), max(1, h)), 0)


class DigitTracker:
    """Turns a stream of flickery detections into a stable set of digits.

    A track is shown once seen `min_hits` times and kept through `max_misses` detections that
    miss it; labels are confidence-weighted votes that decay by `decay` per observation.
    """

    def __init__(self, iou_threshold: float = 0.3, min_hits: int = 2, max_misses: int = 2,
                 decay: float = 0.8, smoothing: float = 0.7):
        self.iou_threshold = iou_threshold
        self.min_hits = min_hits
        self.max_misses = max_misses
        self.decay = decay
        self.smoothing = smoothing
        self.tracks: list[Track] = []

    def update(self, digits) -> list[Digit]:
        """Feed one detection's digits; return the stable digits (line-grouped, left to right)."""
        boxes = np.array([d.box for d in digits], dtype=float).reshape(-1, 4)
        track_boxes = np.array([t.box for t in self.tracks], dtype=float).reshape(-1, 4)
        pairs = greedy_match(iou_matrix(track_boxes, boxes), self.iou_threshold)
        matched_tracks = {r for r, _ in pairs}
        matched_digits = {c for _, c in pairs}
        for r, c in pairs:
            self.tracks[r].observe(digits[c], self.decay, self.smoothing)
        for r, track in enumerate(self.tracks):
            if r not in matched_tracks:
                track.misses += 1
        self.tracks = [t for t in self.tracks if t.misses <= self.max_misses]
        for c, digit in enumerate(digits):
            if c not in matched_digits:
                track = Track(box=np.asarray(digit.box, dtype=float))
                track.observe(digit, self.decay, self.smoothing)
                self.tracks.append(track)
        return self.stable_digits()

    def stable_digits(self) -> list[Digit]:
        return [t.as_digit() for t in self.tracks if t.hits >= self.min_hits]

    def reset(self) -> None:
        self.tracks = []


# --------------------------------------------------------------------------- processor

@dataclass(frozen=True)
class Overlay:
    """What the frame callback draws: immutable, swapped whole so no lock is needed to draw it."""

    digits: tuple[Digit, ...] = ()
    lines: tuple[str, ...] = ()
    detection: int = 0          # which detection produced it (0 = none yet)
    source_frame: int = 0       # sequence number of the frame that detection read
    words: tuple = ()           # boxes of the printed words that detection left out


@dataclass(frozen=True)
class LiveStats:
    lines: tuple[str, ...]
    digits: tuple[Digit, ...]
    detections: int
    input_fps: float
    detection_hz: float
    detection_ms: float
    overlay_ms: float
    playing: bool
    error: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def lower_thread_priority(thread_id: int, increment: int) -> None:
    """Raise one thread's nice value (Linux: nice is per thread). Best effort elsewhere."""
    if increment <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread_id)
        os.setpriority(os.PRIO_PROCESS, thread_id, min(19, current + increment))
    except OSError:
        pass


def rate_per_second(stamps: deque) -> float:
    """Events per second over the timestamps kept (0 with fewer than two)."""
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return 0.0
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def rest_after(busy_s: float, duty: float) -> float:
    """How long a detection slot rests after `busy_s` of detection so that it is busy at most
    `duty` of the time (duty 0.5: rest as long as it worked; duty 1: no rest)."""
    return max(0.0, busy_s) * (1.0 / duty - 1.0)


class DetectionTurns:
    """Server-wide turns at detection, shared by every session's LiveProcessor.

    At most `slots` detections run at once, granted in the order they were asked for (no
    session waits behind another twice), and each slot rests after a detection so that it is
    busy at most `duty` of the time: detection as a whole takes at most `slots * duty` cores,
    whatever the number of sessions. Callers report the CPU time a detection used (not its
    wall time: under contention a low-priority detection takes longer on the clock without
    using more CPU, and resting that long too would starve the readings twice). With one
    session this caps little (the per-session rate limit comes first); with four on 2 cores
    each reading refreshes less often and the video threads (decode, callback, encode) keep
    their CPU.
    """

    def __init__(self, slots: int = 1, duty: float = 0.5, clock=time.monotonic):
        if slots < 1 or not 0.0 < duty <= 1.0:
            raise ValueError(f"DetectionTurns needs slots >= 1 and 0 < duty <= 1, got {slots}, {duty}")
        self.slots = slots
        self.duty = duty
        self._clock = clock
        self._cond = threading.Condition()
        self._queue: deque = deque()
        self._busy = [False] * slots
        self._free_at = [0.0] * slots

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)

    def _free_slot(self) -> tuple[int | None, float]:
        """(a slot free now, or None; seconds until the first resting slot is free)."""
        now = self._clock()
        resting = [self._free_at[i] - now for i in range(self.slots) if not self._busy[i]]
        for i in range(self.slots):
            if not self._busy[i] and self._free_at[i] <= now:
                return i, 0.0
        return None, min(resting) if resting else float("inf")

    def acquire(self, give_up=lambda: False, poll_s: float = 0.1) -> int | None:
        """Wait for this caller's turn; the slot number, or None when `give_up()` said so."""
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                while not give_up():
                    if self._queue[0] is ticket:
                        slot, wait_s = self._free_slot()
                        if slot is not None:
                            self._queue.popleft()
                            self._busy[slot] = True
                            return slot
                    else:
                        wait_s = poll_s
                    self._cond.wait(min(poll_s, max(wait_s, 0.001)))
                return None
            finally:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                self._cond.notify_all()

    def release(self, slot: int, busy_s: float) -> None:
        """Give the slot back after `busy_s` seconds of detection CPU time."""
        with self._cond:
            self._busy[slot] = False
            self._free_at[slot] = self._clock() + rest_after(busy_s, self.duty)
            self._cond.notify_all()


class LiveProcessor:
    """One browser session's live video: latest-frame-only detection in a worker, stable overlay.

    `process(bgr)` is the fast per-frame call (store the newest frame, draw the newest overlay);
    `recv(av.VideoFrame)` wraps it for streamlit-webrtc. The worker thread starts with the first
    frame and ends by itself `idle_stop_s` after the last one (or on `stop()`). Detection runs
    at most `max_detection_hz` times a second (None: as fast as it can), and, when `turns` is
    given (one DetectionTurns for the whole server), only in its turn.
    """

    def __init__(self, reader: Reader, tracker: DigitTracker | None = None,
                 idle_stop_s: float = 2.0, max_detection_hz: float | None = 15.0,
                 detector_nice: int = 5, clock=time.monotonic,
                 turns: DetectionTurns | None = None):
        self._reader = reader
        self._turns = turns
        # Detections beyond ~15/s add nothing visible but take CPU from video encoding/decoding
        self._min_detection_interval = 1.0 / max_detection_hz if max_detection_hz else 0.0
        # Under CPU contention the video threads (decode, callback, encode) go first
        self._detector_nice = detector_nice
        self.worker_thread_id: int | None = None
        self._tracker = tracker or DigitTracker()
        self._idle_stop_s = idle_stop_s
        self._clock = clock
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._frame_seq = 0
        self._frame_time = 0.0
        self._overlay = Overlay()
        # (the frame callback's own: label places, and the overlay and frame shape they are for)
        self._labels: tuple = (None, None, [])
        self._worker: threading.Thread | None = None
        self._stopping = False
        self._paused = False
        self._reset_tracks = False
        self.show_boxes = True
        self.show_labels = True
        self._error: str | None = None
        self._frame_stamps: deque = deque(maxlen=60)
        self._detect_stamps: deque = deque(maxlen=20)
        self._detect_ms: deque = deque(maxlen=20)
        self._overlay_ms: deque = deque(maxlen=120)

    # ---- the per-frame path (called from streamlit-webrtc's thread)

    def recv(self, frame):
        """streamlit-webrtc video_frame_callback: av.VideoFrame in, annotated av.VideoFrame out."""
        import av  # only the WebRTC path needs PyAV

        bgr = frame.to_ndarray(format="bgr24")
        out = av.VideoFrame.from_ndarray(self.process(bgr), format="bgr24")
        out.pts = frame.pts
        if frame.time_base is not None:
            out.time_base = frame.time_base
        return out

    def process(self, bgr: np.ndarray) -> np.ndarray:
        """Keep `bgr` as the newest raw frame; return a copy with the newest overlay drawn."""
        start = time.perf_counter()
        with self._cond:
            self._frame = bgr
            self._frame_seq += 1
            self._frame_time = self._clock()
            self._frame_stamps.append(self._frame_time)
            self._cond.notify()
            if self._worker is None or not self._worker.is_alive():
                self._start_worker()
        out = bgr.copy()  # the worker reads the raw frame; never draw boxes into what it reads
        overlay = self._overlay
        spots = None
        if self.show_labels and overlay.digits:
            # label places change with each detection, not with each frame
            cached_overlay, cached_shape, spots = self._labels
            if cached_overlay is not overlay or cached_shape != bgr.shape:
                spots = label_layout(bgr.shape, overlay.digits)
                self._labels = (overlay, bgr.shape, spots)
        if self.show_boxes and overlay.words:
            draw_words(out, overlay.words, _label_style(out.shape)[0])
        draw_digits(out, overlay.digits, self.show_boxes, self.show_labels, spots)
        self._overlay_ms.append((time.perf_counter() - start) * 1000)
        return out

    # ---- detection worker

    def _start_worker(self) -> None:
        self._stopping = False
        self._worker = threading.Thread(target=self._detect_loop, name="digits-live-detector",
                                        daemon=True)
        self._worker.start()

    def _detect_loop(self) -> None:
        self.worker_thread_id = threading.get_native_id()
        lower_thread_priority(self.worker_thread_id, self._detector_nice)
        done_seq = 0
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda seen=done_seq: self._stopping or (
                        self._frame_seq != seen and not self._paused),
                    timeout=0.25)
                if self._stopping:
                    return
                idle = self._clock() - self._frame_time > self._idle_stop_s
                if self._frame_seq == done_seq or self._paused:
                    if idle:  # the camera stopped: forget its last frame, end the thread
                        self._worker = None
                        self._frame = None
                        return
                    continue
            got_turn, slot = self._wait_for_turn()
            if not got_turn:
                continue  # stopping or paused while waiting: the loop's checks decide
            with self._cond:  # the newest frame once it is our turn, not the one that woke us
                frame, seq, reader = self._frame, self._frame_seq, self._reader
            done_seq = seq
            started, cpu_started = time.perf_counter(), time.thread_time()
            try:
                self._detect_once(frame, seq, reader)
            finally:
                if slot is not None:
                    self._turns.release(slot, time.thread_time() - cpu_started)
            rest = self._min_detection_interval - (time.perf_counter() - started)
            if rest > 0:
                with self._cond:  # woken early by stop()
                    self._cond.wait_for(lambda: self._stopping, timeout=rest)

    def _wait_for_turn(self) -> tuple[bool, int | None]:
        """(go ahead?, the server-wide slot taken or None): no turns to take means go ahead;
        stopping or pausing while waiting means don't."""
        if self._turns is None:
            return True, None
        slot = self._turns.acquire(give_up=lambda: self._stopping or self._paused)
        return slot is not None, slot

    def _detect_once(self, frame: np.ndarray, seq: int, reader: Reader) -> None:
        start = time.perf_counter()
        try:
            reading = reader.read(frame)
        except Exception as e:  # noqa: BLE001 - keep the video alive; show the error instead
            self._error = f"{type(e).__name__}: {e}"
            return
        self._error = None
        if self._reset_tracks:  # settings changed: old votes were cast under other settings
            self._reset_tracks = False
            self._tracker.reset()
        space_factor = getattr(getattr(reader, "settings", None), "space_factor", None)
        lines, digits = group_lines(self._tracker.update(list(reading.digits)), space_factor)
        now = time.perf_counter()
        self._detect_ms.append((now - start) * 1000)
        self._detect_stamps.append(self._clock())
        self._overlay = Overlay(tuple(digits), tuple(lines), self._overlay.detection + 1, seq,
                                tuple(reading.words))

    # ---- control and state (called from the Streamlit script thread)

    def set_reader(self, reader: Reader) -> None:
        """New settings (threshold, polarity) come as a new reader; tracks restart with them."""
        with self._cond:
            self._reader = reader
            self._reset_tracks = True  # the tracker belongs to the worker thread

    def set_paused(self, paused: bool) -> None:
        with self._cond:
            self._paused = paused
            self._cond.notify()

    def latest_frame(self) -> np.ndarray | None:
        """A copy of this session's newest raw (un-annotated) frame, or None before any."""
        with self._cond:
            return None if self._frame is None else self._frame.copy()

    def frame_age_s(self) -> float | None:
        """Seconds since this session's newest frame (None before any)."""
        with self._cond:
            return None if not self._frame_seq else self._clock() - self._frame_time

    @property
    def overlay(self) -> Overlay:
        return self._overlay

    @property
    def running(self) -> bool:
        worker = self._worker
        return worker is not None and worker.is_alive()

    def stats(self) -> LiveStats:
        overlay = self._overlay
        ms = list(self._detect_ms)
        draw = list(self._overlay_ms)
        playing = bool(self._frame_stamps) and self._clock() - self._frame_stamps[-1] < 1.0
        return LiveStats(
            lines=overlay.lines, digits=overlay.digits, detections=overlay.detection,
            input_fps=rate_per_second(self._frame_stamps) if playing else 0.0,
            detection_hz=rate_per_second(self._detect_stamps) if playing else 0.0,
            detection_ms=float(np.median(ms)) if ms else 0.0,
            overlay_ms=float(np.median(draw)) if draw else 0.0,
            playing=playing, error=self._error)

    def stop(self, timeout: float = 5.0) -> None:
        """End the worker (it also ends by itself when frames stop coming)."""
        with self._cond:
            self._stopping = True
            worker = self._worker
            self._cond.notify_all()
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)
        with self._cond:
            if self._worker is worker:
                self._worker = None

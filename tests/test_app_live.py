"""The live path: tracking/voting, line grouping, and the processor's never-lag contract.

The processor is driven with synthetic frames and fake readers whose speed the test controls
(gates, not clocks), so "frames never wait for detection" is checked without timing assertions.
"""
import os
import sys
import threading
import time

import av
import numpy as np
import pytest

from realtime.live import (
    DigitTracker,
    LiveProcessor,
    confidence_colour,
    draw_digits,
    greedy_match,
    group_lines,
    iou_matrix,
)
from realtime.overlay import label_spots
from realtime.reading import Digit, Reading


def digit(label, box, confidence=0.95, line=0):
    return Digit(label, confidence, box, line)


def frame_with_id(frame_id: int, width=320, height=240) -> np.ndarray:
    """A grey BGR frame whose top-left pixel carries its id (the fake readers read it back)."""
    frame = np.full((height, width, 3), 200, np.uint8)
    frame[0, 0] = (frame_id % 256, frame_id // 256, 0)
    return frame


def id_of(frame: np.ndarray) -> int:
    return int(frame[0, 0, 0]) + 256 * int(frame[0, 0, 1])


class GatedReader:
    """Reads frames only when the test opens the gate; records which frame ids it read."""

    def __init__(self, box=(40, 40, 30, 50)):
        self.box = box
        self.seen: list[int] = []
        self.gate = threading.Semaphore(0)
        self.started = threading.Event()

    def open_for_good(self):
        self.gate.release(100)

    def read(self, image):
        self.started.set()
        self.seen.append(id_of(image))
        assert self.gate.acquire(timeout=10), "test never released the reader"
        frame_id = id_of(image)
        return Reading(lines=[str(frame_id % 10)],
                       digits=[digit(frame_id % 10, self.box)], image_size=image.shape[1::-1])


class SlowReader:
    """Takes `delay` seconds per read, like a detector slower than the camera."""

    def __init__(self, delay=0.1, box=(40, 40, 30, 50)):
        self.delay = delay
        self.box = box
        self.seen: list[int] = []

    def read(self, image):
        self.seen.append(id_of(image))
        time.sleep(self.delay)
        return Reading(lines=["7"], digits=[digit(7, self.box)], image_size=image.shape[1::-1])


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


@pytest.fixture
def processors():
    made = []
    yield made
    for p in made:
        p.stop()


# ---------------------------------------------------------------- geometry and tracking

def test_iou_matrix_values():
    a = np.array([[0, 0, 10, 10], [100, 100, 10, 10]], float)
    b = np.array([[0, 0, 10, 10], [5, 0, 10, 10]], float)
    iou = iou_matrix(a, b)
    assert iou.shape == (2, 2)
    assert iou[0, 0] == pytest.approx(1.0)
    assert iou[0, 1] == pytest.approx(50 / 150)
    assert iou[1].max() == 0
    assert iou_matrix(np.zeros((0, 4)), b).shape == (0, 2)


def test_greedy_match_takes_best_pairs_once():
    iou = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert greedy_match(iou, 0.3) == [(0, 0)]  # 0.9 first; row 1's best (col 0) is then taken
    assert greedy_match(np.array([[0.2]]), 0.3) == []


def test_tracker_votes_out_a_single_misread():
    tracker = DigitTracker(min_hits=1)
    for label in (3, 3, 8, 3, 3):  # one detection misreads 3 as 8
        stable = tracker.update([digit(label, (10, 10, 20, 30))])
        assert len(stable) == 1
    assert stable[0].label == 3
    assert tracker.update([digit(8, (11, 10, 20, 30))])[0].label == 3  # one 8 cannot outvote


def test_tracker_follows_a_persistent_change():
    tracker = DigitTracker(min_hits=1, decay=0.5)
    for _ in range(3):
        tracker.update([digit(1, (10, 10, 20, 30))])
    labels = [tracker.update([digit(7, (10, 10, 20, 30))])[0].label for _ in range(4)]
    assert labels[-1] == 7  # a real change wins within a few detections


def test_tracker_needs_min_hits_and_survives_short_misses():
    tracker = DigitTracker(min_hits=2, max_misses=2)
    box = (50, 50, 20, 30)
    assert tracker.update([digit(4, box)]) == []          # a one-off is not shown yet
    assert len(tracker.update([digit(4, box)])) == 1      # confirmed
    assert len(tracker.update([])) == 1                   # one missed detection: still there
    assert len(tracker.update([])) == 1
    assert tracker.update([]) == []                       # gone after max_misses


def test_tracker_confidence_drops_when_labels_disagree():
    steady, flaky = DigitTracker(min_hits=1), DigitTracker(min_hits=1)
    for i in range(6):
        steady.update([digit(5, (0, 0, 20, 30), 0.9)])
        flaky.update([digit(5 if i % 2 else 6, (0, 0, 20, 30), 0.9)])
    assert steady.stable_digits()[0].confidence == pytest.approx(0.9, abs=0.02)
    assert flaky.stable_digits()[0].confidence < 0.6


def test_tracker_keeps_separate_digits_apart():
    tracker = DigitTracker(min_hits=1)
    row = [digit(i, (10 + 30 * i, 10, 20, 30)) for i in range(5)]
    for _ in range(3):
        stable = tracker.update(row)
    assert sorted(d.label for d in stable) == [0, 1, 2, 3, 4]


def test_group_lines_orders_lines_and_spaces():
    digits = [
        digit(2, (40, 100, 20, 30)), digit(1, (10, 100, 20, 30)),     # line 2: "12 3"
        digit(3, (120, 102, 20, 30)),
        digit(9, (10, 10, 20, 30)), digit(8, (35, 12, 20, 30)),       # line 1: "98"
    ]
    lines, ordered = group_lines(digits)
    assert lines == ["98", "12 3"]
    assert [d.label for d in ordered] == [9, 8, 1, 2, 3]
    assert [d.line for d in ordered] == [0, 0, 1, 1, 1]
    assert group_lines([]) == ([], [])


def test_live_spaces_follow_the_engine_setting():
    # a gap of 0.8 digit heights after gaps of 0.27: a space only where space_factor is
    # below 0.8 (the gap is under 4x the usual one, so lines.CLOSE_RATIO does not apply)
    digits = [digit(d, (10 + 28 * i, 10, 20, 30)) for i, d in enumerate([1, 2, 3])]
    digits.append(digit(4, (66 + 20 + 24, 10, 20, 30)))
    from realtime.reader import Settings
    expected = "123 4" if Settings.space_factor < 0.8 else "1234"
    assert group_lines(digits)[0] == [expected]
    assert group_lines(digits, space_factor=0.75)[0] == ["123 4"]
    assert group_lines(digits, space_factor=0.9)[0] == ["1234"]
    # the same gap after digits that nearly touch stands out: a space, as in a still reading
    digits = [digit(d, (10 + 22 * i, 10, 20, 30)) for i, d in enumerate([1, 2, 3])]
    digits.append(digit(4, (54 + 20 + 24, 10, 20, 30)))
    assert group_lines(digits, space_factor=0.9)[0] == ["123 4"]


def test_confidence_colours_go_from_red_to_green():
    sure, unsure = confidence_colour(0.99), confidence_colour(0.3)
    assert sure[1] > sure[2] and unsure[2] > unsure[1]  # BGR: green high vs red high


def test_draw_digits_draws_in_place_only_when_asked():
    image = np.full((100, 100, 3), 255, np.uint8)
    d = [digit(1, (20, 20, 30, 40))]
    assert draw_digits(image.copy(), d, show_boxes=False, show_labels=False).min() == 255
    boxed = draw_digits(image.copy(), d, show_boxes=True, show_labels=False)
    assert (boxed[20, 20:50] != 255).any() and (boxed[40, 35] == 255).all()  # outline, not fill



def _ink_rows(image: np.ndarray, x0: int, x1: int) -> np.ndarray:
    """Rows where anything is drawn in columns x0..x1 of a white image."""
    return np.nonzero((image[:, x0:x1] != 255).any(axis=(1, 2)))[0]


def test_a_label_never_covers_another_lines_digits():
    # line 1 touches the image top, so its labels cannot go above; below them they sat on
    # line 2's labels (an uploaded crop read "3 6 8 2 5" in labels): now they go inside
    top, second = (20, 0, 30, 40), (20, 52, 30, 40)
    image = draw_digits(np.full((120, 100, 3), 255, np.uint8),
                        [digit(3, top), digit(6, second)], show_boxes=False)
    rows = _ink_rows(image, 0, 100)
    assert rows.min() >= 0 and rows.max() < 52 + 40
    between = (rows > 40) & (rows < 52)
    assert not between.any()  # nothing drawn in the gap where both labels used to meet
    # with room, a line's labels are above its boxes
    assert label_spots([(20, 50, 30, 40), (60, 50, 30, 40)], [(12, 15)] * 2, [0, 0], 200) == [
        (20, 50 - 3), (60, 50 - 3)]
    # no room above and the spot below taken by another line: inside the box's top corner
    (x, y), _ = label_spots([(20, 0, 30, 40), (20, 45, 30, 40)], [(12, 15)] * 2, [0, 1], 200)
    assert 20 <= x and 0 < y <= 40
    # no room above, free below: below
    [(x, y)] = label_spots([(20, 0, 30, 40)], [(12, 15)], [0], 200)
    assert y - 15 >= 40


def test_a_lines_labels_stay_in_a_row():
    # line 2's first box sits right under line 1's: its label cannot go above, so the whole
    # line's labels go below rather than some above and some below
    boxes = [(20, 0, 30, 40), (100, 0, 30, 40), (20, 60, 30, 40), (200, 60, 30, 40)]
    spots = label_spots(boxes, [(12, 15)] * 4, [0, 0, 1, 1], 300)
    assert spots[2][1] > 100 and spots[3][1] > 100  # both under line 2's boxes
    assert spots[0][1] == spots[1][1]

# ---------------------------------------------------------------- processor contract

def test_frames_never_wait_for_detection(processors):
    """With the reader blocked, every pushed frame still comes straight back out."""
    reader = GatedReader()
    proc = LiveProcessor(reader, DigitTracker(min_hits=1))
    processors.append(proc)
    outs = [proc.process(frame_with_id(i)) for i in range(1, 31)]
    assert len(outs) == 30 and all(o.shape == (240, 320, 3) for o in outs)
    assert reader.started.wait(5)
    assert len(reader.seen) == 1  # one detection in flight, nothing queued behind it
    reader.gate.release()
    proc.stop()


def test_detection_reads_latest_frame_only_and_overlay_is_newest(processors):
    reader = GatedReader()
    proc = LiveProcessor(reader, DigitTracker(min_hits=1))
    processors.append(proc)
    proc.process(frame_with_id(1))
    assert reader.started.wait(5) and reader.seen == [1]
    for i in range(2, 21):              # 19 frames arrive while detection 1 runs
        proc.process(frame_with_id(i))
    reader.gate.release()               # detection 1 finishes ...
    assert wait_until(lambda: proc.overlay.detection == 1)
    assert proc.overlay.source_frame == 1
    assert wait_until(lambda: len(reader.seen) == 2)
    assert reader.seen[1] == 20         # ... and the next one reads the NEWEST frame, not frame 2
    out = proc.process(frame_with_id(21))
    assert proc.overlay.detection == 1  # frame 21 is drawn with detection 1, the newest finished
    x, y, w, h = reader.box
    assert (out[y, x:x + w] != 200).any(), "overlay box missing from the outgoing frame"
    reader.gate.release()
    assert wait_until(lambda: proc.overlay.detection == 2)
    assert proc.overlay.source_frame == 20
    # frame 20 reads as 0; its vote (0.95) beats frame 1's decayed vote for 1 (0.95 * 0.8)
    assert [d.label for d in proc.overlay.digits] == [0]
    reader.open_for_good()


def test_raw_frame_stays_unannotated(processors):
    reader = SlowReader(delay=0.01)
    proc = LiveProcessor(reader, DigitTracker(min_hits=1))
    processors.append(proc)
    proc.process(frame_with_id(1))
    assert wait_until(lambda: proc.overlay.detection >= 1)
    out = proc.process(frame_with_id(2))
    raw = proc.latest_frame()
    assert (out != 200).sum() > 10            # boxes drawn on the output ...
    assert (raw[1:] == 200).all()             # ... never into the frame the detector reads



def test_label_places_are_worked_out_once_per_detection(processors, monkeypatch):
    import realtime.live as live

    calls = []
    real_layout = live.label_layout
    monkeypatch.setattr(live, "label_layout",
                        lambda shape, digits: calls.append(len(digits)) or real_layout(shape, digits))
    gate = GatedReader()
    proc = LiveProcessor(gate, DigitTracker(min_hits=1))
    processors.append(proc)
    proc.process(frame_with_id(1))
    gate.gate.release()
    assert wait_until(lambda: proc.overlay.detection >= 1)
    drawn = [proc.process(frame_with_id(i)) for i in range(2, 7)]  # one overlay, five frames
    assert len(calls) == 1 and calls[0] >= 1
    assert all((frame != 200).sum() > 10 for frame in drawn)      # each still gets its labels
    gate.open_for_good()

def test_av_frames_flow_at_input_rate_with_a_slow_detector(processors):
    """30 fps in for 2 s with a detector at ~7 Hz: every frame comes out, each gets the newest
    overlay, and detection only ever reads recent frames."""
    reader = SlowReader(delay=0.15)
    proc = LiveProcessor(reader, DigitTracker(min_hits=1))
    processors.append(proc)
    drawn_detection = []
    n_frames = 60
    for i in range(1, n_frames + 1):
        frame = av.VideoFrame.from_ndarray(frame_with_id(i), format="bgr24")
        frame.pts = i
        out = proc.recv(frame)
        assert isinstance(out, av.VideoFrame) and out.pts == i
        assert (out.width, out.height) == (320, 240)
        drawn_detection.append(proc.overlay.detection)
        time.sleep(1 / 30)
    assert len(drawn_detection) == n_frames
    assert drawn_detection == sorted(drawn_detection)       # the overlay only moves forward
    assert len(reader.seen) < n_frames / 2                  # frames were skipped, not queued
    gaps = np.diff(reader.seen)
    assert (gaps >= 1).all()                                # always a newer frame than last time


def test_worker_ends_after_frames_stop_and_restarts(processors):
    reader = SlowReader(delay=0.0)
    proc = LiveProcessor(reader, idle_stop_s=0.2)
    processors.append(proc)
    proc.process(frame_with_id(1))
    assert proc.running
    assert wait_until(lambda: not proc.running, timeout=5)   # no thread left behind
    assert proc.latest_frame() is None                       # nor the camera's last frame
    proc.process(frame_with_id(2))
    assert proc.running
    proc.stop()
    assert not proc.running


def test_start_stop_cycles_leave_no_threads(processors):
    before = threading.active_count()
    for i in range(20):
        proc = LiveProcessor(SlowReader(delay=0.0))
        proc.process(frame_with_id(i))
        proc.stop()
    assert wait_until(lambda: threading.active_count() <= before, timeout=5)


def test_sessions_are_isolated(processors):
    """Two processors (two browser sessions) never share frames, overlays or settings."""
    a = LiveProcessor(SlowReader(delay=0.0, box=(10, 10, 20, 30)), DigitTracker(min_hits=1))
    b = LiveProcessor(SlowReader(delay=0.0, box=(200, 100, 40, 60)), DigitTracker(min_hits=1))
    processors.extend([a, b])
    a.show_labels = False
    a.process(frame_with_id(5))
    b.process(frame_with_id(9))
    assert wait_until(lambda: a.overlay.detection >= 1 and b.overlay.detection >= 1)
    assert id_of(a.latest_frame()) == 5 and id_of(b.latest_frame()) == 9
    assert a.overlay.digits[0].box == (10, 10, 20, 30)
    assert b.overlay.digits[0].box == (200, 100, 40, 60)
    assert b.show_labels is True


def test_reader_errors_keep_video_flowing(processors):
    class Broken:
        def read(self, image):
            raise RuntimeError("model exploded")

    proc = LiveProcessor(Broken())
    processors.append(proc)
    out = proc.process(frame_with_id(1))
    assert out.shape == (240, 320, 3)
    assert wait_until(lambda: proc.stats().error is not None)
    assert "model exploded" in proc.stats().error
    assert proc.process(frame_with_id(2)).shape == (240, 320, 3)


def test_pause_stops_detection_but_not_video(processors):
    reader = SlowReader(delay=0.0)
    proc = LiveProcessor(reader)
    processors.append(proc)
    proc.set_paused(True)
    for i in range(10):
        assert proc.process(frame_with_id(i)).shape == (240, 320, 3)
    time.sleep(0.2)
    assert reader.seen == []
    proc.set_paused(False)
    assert wait_until(lambda: len(reader.seen) >= 1)
    assert reader.seen[0] == 9


def test_stats_report_rates(processors):
    proc = LiveProcessor(SlowReader(delay=0.0), DigitTracker(min_hits=1))
    processors.append(proc)
    for i in range(20):
        proc.process(frame_with_id(i))
        time.sleep(0.01)
    assert wait_until(lambda: proc.overlay.detection >= 1)
    stats = proc.stats()
    assert stats.playing and stats.input_fps > 0 and stats.detections >= 1
    assert stats.text == "7"


def test_bench_live_runs_and_reports(monkeypatch):
    """The live benchmark's loop, briefly, with a stand-in reader (the numbers are not checked)."""
    from realtime import bench_live

    monkeypatch.setattr(bench_live, "page_with_digits", lambda: frame_with_id(1, 1280, 720))
    result = bench_live.run_live(seconds=0.5, fps=30, reader=SlowReader(delay=0.05))
    assert result["frames"] >= 5 and result["detections"] >= 1
    assert result["stable_text"] == ["7"] and result["text_matches"] is False
    for key in ("output_fps", "detection_hz", "overlay_ms_median", "overlay_age_frames_max"):
        assert key in result


def test_detection_rate_is_capped(processors):
    """An instant detector still runs at most max_detection_hz times a second (CPU for video)."""
    reader = SlowReader(delay=0.0)
    proc = LiveProcessor(reader, max_detection_hz=5)
    processors.append(proc)
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < 0.6:
        i += 1
        proc.process(frame_with_id(i))
        time.sleep(0.01)
    assert 1 <= len(reader.seen) <= 5  # 0.6 s at 5 Hz: detections at ~0, 0.2, 0.4, (0.6)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux")
def test_detector_thread_runs_at_lower_priority(processors):
    reader = GatedReader()
    proc = LiveProcessor(reader, detector_nice=4)
    processors.append(proc)
    proc.process(frame_with_id(1))
    assert reader.started.wait(5)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert os.getpriority(os.PRIO_PROCESS, proc.worker_thread_id) == min(19, own + 4)
    reader.open_for_good()


def test_live_text_agrees_with_the_still_reading(processors):
    """Through the tracker, the live text of a steady camera equals the engine's own reading."""
    from app_pages import PrototypeClassifier, digit_page

    from realtime.reader import DigitReader

    reader = DigitReader(classifier=PrototypeClassifier())
    frame = digit_page(["40 96", "1357"])
    still = reader.read(frame)
    assert still.lines == ["40 96", "1357"]
    proc = LiveProcessor(reader)
    processors.append(proc)
    for _ in range(200):
        proc.process(frame.copy())
        if proc.overlay.detection >= 3:
            break
        time.sleep(0.02)
    assert list(proc.stats().lines) == still.lines
    assert len(proc.overlay.digits) == len(still.digits)


# ---------------------------------------------------------------- the stream across reruns

class FakeWorker:
    backend = "aiortc"

    def __init__(self):
        self.stopped = False

    def stop(self):
        self.stopped = True


@pytest.fixture
def webrtc_session(monkeypatch):
    """streamlit-webrtc's context bookkeeping with a fake Streamlit session whose run counter
    the test sets (Streamlit advances it when a run's 'finished' message has been sent)."""
    from types import SimpleNamespace

    import streamlit_webrtc.component as component

    session = SimpleNamespace(session_state={}, info=SimpleNamespace(script_run_count=0))
    monkeypatch.setattr(component, "st", SimpleNamespace(session_state=session.session_state))
    monkeypatch.setattr(component, "get_this_session_info", lambda: session.info)

    def render(run_count: int, shown_last_run: bool | None = None):
        """One script run reaching webrtc_streamer(); `shown_last_run` applies the app's guard."""
        from realtime.ui import keep_playing_stream

        session.info.script_run_count = run_count
        if shown_last_run is not None:
            keep_playing_stream(session.session_state, shown_last_run, key="live")
        return component._get_or_create_context("live")

    session.render = render
    return session


def playing_context(session, run_count: int):
    context = session.render(run_count)
    worker = FakeWorker()
    context._set_worker(worker)
    return context, worker


def test_a_stale_run_count_stops_a_playing_stream_without_the_guard(webrtc_session):
    """The session drop: the counter read stale once (3, 3), then jumps by 2 (3 -> 5) while the
    stream was on the page in every run; streamlit-webrtc takes it for re-mounted and stops it."""
    context, worker = playing_context(webrtc_session, 3)
    webrtc_session.render(3)   # started before run 3's 'finished' message was sent
    webrtc_session.render(5)
    assert worker.stopped and context._get_worker() is None


def test_the_guard_keeps_a_stream_that_stayed_on_the_page(webrtc_session):
    context, worker = playing_context(webrtc_session, 3)
    webrtc_session.render(3, shown_last_run=True)
    webrtc_session.render(5, shown_last_run=True)
    webrtc_session.render(6, shown_last_run=True)
    assert not worker.stopped and context._get_worker() is worker


def test_the_guard_still_resets_a_stream_after_the_upload_view(webrtc_session):
    """Back from Upload, the browser's component is new: the old stream must be reset."""
    context, worker = playing_context(webrtc_session, 3)
    webrtc_session.render(6, shown_last_run=False)  # runs 4 and 5 showed the Upload view
    assert worker.stopped and context._get_worker() is None


# ---------------------------------------------------------------- server-wide detection turns

def test_rest_after_keeps_a_slot_busy_at_most_duty_of_the_time():
    from realtime.live import rest_after

    assert rest_after(0.04, 0.5) == pytest.approx(0.04)
    assert rest_after(0.04, 0.25) == pytest.approx(0.12)
    assert rest_after(0.04, 1.0) == 0.0
    assert rest_after(-1.0, 0.5) == 0.0


@pytest.mark.parametrize("slots, duty", [(0, 0.5), (1, 0.0), (1, 1.5)])
def test_detection_turns_refuse_impossible_settings(slots, duty):
    from realtime.live import DetectionTurns

    with pytest.raises(ValueError, match="slots >= 1"):
        DetectionTurns(slots, duty)


def gives_up_after(polls: int):
    calls = []

    def give_up():
        calls.append(1)
        return len(calls) > polls
    return give_up


def test_a_slot_rests_after_a_detection():
    from realtime.live import DetectionTurns

    now = [10.0]
    turns = DetectionTurns(slots=1, duty=0.5, clock=lambda: now[0])
    slot = turns.acquire()
    turns.release(slot, busy_s=1.0)          # busy 1 s at duty 0.5: free again at 11.0
    now[0] = 10.5
    assert turns.acquire(gives_up_after(3), poll_s=0.001) is None
    now[0] = 11.0
    assert turns.acquire() == slot


def test_slots_limit_concurrent_detections():
    from realtime.live import DetectionTurns

    turns = DetectionTurns(slots=2, duty=1.0)
    first, second = turns.acquire(), turns.acquire()
    assert {first, second} == {0, 1}
    assert turns.acquire(gives_up_after(3), poll_s=0.001) is None
    turns.release(second, 0.0)
    assert turns.acquire() == second


def test_turns_are_granted_in_the_order_asked():
    from realtime.live import DetectionTurns

    turns = DetectionTurns(slots=1, duty=1.0)
    holder = turns.acquire()
    order, threads = [], []
    for name in ("B", "C"):
        def take(name=name):
            slot = turns.acquire()
            order.append(name)
            turns.release(slot, 0.0)
        threads.append(threading.Thread(target=take))
        threads[-1].start()
        queued = len(threads)
        assert wait_until(lambda n=queued: turns.waiting == n)
    turns.release(holder, 0.0)
    for t in threads:
        t.join(5)
    assert order == ["B", "C"]


def test_sessions_take_turns_and_video_never_waits_for_one(processors):
    """Session B's detection waits while A detects (one slot); B's frames still flow, and B
    stops promptly while waiting."""
    from realtime.live import DetectionTurns

    turns = DetectionTurns(slots=1, duty=1.0)
    reader_a, reader_b = GatedReader(), GatedReader()
    proc_a = LiveProcessor(reader_a, DigitTracker(min_hits=1), turns=turns)
    proc_b = LiveProcessor(reader_b, DigitTracker(min_hits=1), turns=turns)
    processors.extend([proc_a, proc_b])
    proc_a.process(frame_with_id(1))
    assert reader_a.started.wait(5)                     # A holds the only slot
    for i in range(2, 50):
        out = proc_b.process(frame_with_id(i))          # returns without a detection turn
        assert id_of(out) == i
    assert wait_until(lambda: turns.waiting == 1)
    assert not reader_b.started.is_set()
    reader_a.open_for_good()
    assert reader_b.started.wait(5)                     # B's turn, on its newest frame
    assert reader_b.seen[0] == 49
    reader_b.open_for_good()


def test_a_session_waiting_for_its_turn_stops_promptly(processors):
    from realtime.live import DetectionTurns

    turns = DetectionTurns(slots=1, duty=1.0)
    held = turns.acquire()
    reader = GatedReader()
    proc = LiveProcessor(reader, turns=turns)
    processors.append(proc)
    proc.process(frame_with_id(1))
    assert wait_until(lambda: turns.waiting == 1)
    proc.stop(timeout=5)
    assert not proc.running and turns.waiting == 0 and not reader.started.is_set()
    turns.release(held, 0.0)


@pytest.mark.parametrize("cpus, slots", [(1, 1), (2, 1), (3, 1), (8, 4)])
def test_detection_slots_are_half_the_cores(cpus, slots):
    from realtime.ui import detection_slots

    assert detection_slots(cpus) == slots


# ---------------------------------------------------------------- live text refresh, shared server

@pytest.mark.parametrize("sessions, period", [(0, 0.5), (1, 0.5), (2, 1.0), (4, 2.0), (8, 4.0)])
def test_text_refresh_slows_down_as_sessions_share_the_server(sessions, period):
    from realtime.ui import READING_REFRESHES_PER_S, reading_refresh_s

    assert reading_refresh_s(sessions) == period
    assert sessions / reading_refresh_s(sessions) <= READING_REFRESHES_PER_S


def test_frame_age_follows_the_newest_frame():
    now = [100.0]
    proc = LiveProcessor(SlowReader(delay=0.0), clock=lambda: now[0])
    try:
        assert proc.frame_age_s() is None
        proc.process(frame_with_id(1))
        now[0] = 103.5
        assert proc.frame_age_s() == pytest.approx(3.5)
    finally:
        proc.stop()


def test_live_sessions_are_those_with_a_recent_frame():
    from realtime import ui

    ui.live_processors.clear()
    now = [50.0]
    streaming, stalled, idle = (LiveProcessor(SlowReader(delay=0.0), clock=lambda: now[0])
                                for _ in range(3))
    try:
        for proc in (streaming, stalled, idle):
            ui.live_processors().add(proc)
        stalled.process(frame_with_id(1))
        now[0] = 58.0
        streaming.process(frame_with_id(2))
        assert ui.live_session_count(window_s=10.0) == 2   # stalled 8 s ago still counts
        now[0] = 61.0
        assert ui.live_session_count(window_s=10.0) == 1
    finally:
        for proc in (streaming, stalled, idle):
            proc.stop()
        ui.live_processors.clear()


def test_a_session_reports_detection_cpu_time_not_wall_time(processors):
    """A detection that waits (here: sleeps) uses no CPU, so its slot need not rest for it."""
    from realtime.live import DetectionTurns

    class RecordingTurns(DetectionTurns):
        def __init__(self):
            super().__init__(slots=1, duty=0.5)
            self.reported = []

        def release(self, slot, busy_s):
            self.reported.append(busy_s)
            super().release(slot, busy_s)

    turns = RecordingTurns()
    proc = LiveProcessor(SlowReader(delay=0.3), turns=turns)
    processors.append(proc)
    proc.process(frame_with_id(1))
    assert wait_until(lambda: turns.reported)
    assert turns.reported[0] < 0.15   # 0.3 s on the clock, next to no CPU


def test_consent_checks_wait_longer_for_a_busy_browser(monkeypatch):
    """aioice's STUN transactions (consent checks included) take their first timeout from
    aioice.stun.RETRY_RTO when created; the app raises it and never lowers it."""
    import asyncio

    import aioice.stun

    from realtime.ui import STUN_RTO_S, allow_slow_stun_answers

    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 0.5)
    allow_slow_stun_answers()
    assert aioice.stun.RETRY_RTO == STUN_RTO_S > 0.5

    async def first_timeout() -> float:
        request = aioice.stun.Message(aioice.stun.Method.BINDING, aioice.stun.Class.REQUEST)
        transaction = aioice.stun.Transaction(request, ("127.0.0.1", 9), protocol=None,
                                              retransmissions=0)
        return transaction._Transaction__timeout_delay
    assert asyncio.run(first_timeout()) == STUN_RTO_S
    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 3.0)
    allow_slow_stun_answers()
    assert aioice.stun.RETRY_RTO == 3.0


def test_live_view_boxes_the_printed_words_a_detection_left_out(processors):
    """The frame callback draws the latest detection's left-out words in grey (with boxes on)."""
    from realtime.overlay import WORD_COLOUR

    class WordReader:
        def read(self, image):
            return Reading(lines=["7"], digits=[digit(7, (10, 10, 20, 30))],
                           image_size=image.shape[1::-1], words=[(60, 10, 40, 30)])

    proc = LiveProcessor(WordReader(), DigitTracker(min_hits=1))
    processors.append(proc)
    frame = np.full((120, 160, 3), 255, np.uint8)
    proc.process(frame)
    assert wait_until(lambda: proc.overlay.detection >= 1)
    assert proc.overlay.words == ((60, 10, 40, 30),)
    out = proc.process(frame)
    assert (out[10, 60:100] == WORD_COLOUR).all(axis=1).mean() > 0.9
    proc.show_boxes = False
    assert not (proc.process(frame)[10, 60:100] == WORD_COLOUR).all(axis=1).any()
    proc.stop()

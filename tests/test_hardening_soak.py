"""Long sessions, small: start/stop cycles with the real reader leave no thread behind, and the
soak benchmark's own arithmetic (percentile windows, RSS slope) is right. The 20,000-frame soak
itself is `python -m realtime.soak` (numbers in README.md, "Privacy, safety and limits"), not a unit test."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from realtime import soak


@pytest.fixture(scope="module")
def reader():
    from realtime.reader import DigitReader

    return DigitReader()


def test_start_stop_cycles_with_the_real_reader_leave_no_threads(reader):
    soak.camera_frames((320, 240))  # build the frames (and their helpers' threads) first
    before = soak.session_threads()
    result = soak.start_stop_cycles(reader, cycles=6, idle_stop_s=0.2, progress=False)
    assert result["cycles_that_read"] == 6            # every session really detected
    assert result["settled"] and result["detector_threads_left"] == []
    assert soak.session_threads() <= before
    assert not any(t.name.startswith(soak.DETECTOR_THREAD) for t in threading.enumerate())


def test_short_soak_runs_and_reports(reader):
    result = soak.soak_frames(reader, frames=150, size=(320, 240), fps=0, warmup=20,
                              progress=False)
    assert result.errors is None
    assert result.frame_ms["n"] == 150 and result.frame_ms["first_p99"] >= result.frame_ms["first_p50"]
    assert not soak.detector_threads()                # stop() ended the worker
    text = soak.report(result, None)
    assert "RSS" in text and "p99" in text


def test_percentiles_use_first_and_last_windows():
    values = np.r_[np.ones(1000), np.full(1000, 5.0), np.full(1000, 9.0)]
    p = soak.percentiles(values)
    assert p["window"] == 1000 and p["n"] == 3000
    assert p["first_p99"] == 1.0 and p["last_p50"] == 9.0 and p["max"] == 9.0
    short = soak.percentiles(np.arange(100.0))
    assert short["window"] == 10 and short["first_p50"] == pytest.approx(4.5)


def test_rss_slope_shows_a_leak_and_not_a_flat_line():
    flat = [(i * 1000, 200.0) for i in range(10)]
    leaking = [(i * 1000, 200.0 + 0.5 * i) for i in range(10)]
    assert soak.rss_slope_mb_per_1000(flat) == pytest.approx(0.0, abs=1e-9)
    assert soak.rss_slope_mb_per_1000(leaking) == pytest.approx(0.5)


def test_frames_change_page_and_shift():
    pages = [[np.full((4, 4, 3), p * 10 + k, np.uint8) for k in range(soak.SHIFTS_PER_PAGE)]
             for p in range(3)]
    assert soak.frame_at(pages, 0)[0, 0, 0] == 0
    assert soak.frame_at(pages, 1)[0, 0, 0] == 1                       # shifted copy
    assert soak.frame_at(pages, soak.FRAMES_PER_PAGE)[0, 0, 0] // 10 == 1  # next page

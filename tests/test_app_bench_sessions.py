"""The session benchmark's bookkeeping (realtime.bench_sessions), without a browser."""
from realtime import bench_sessions as bs


def counters(frames: int, now_ms: float) -> dict:
    return {"frames": frames, "dropped": 0, "time": now_ms / 1000, "width": 640, "now": now_ms}


def test_a_connection_that_left_connected_is_a_drop():
    assert not bs.left_connected([(0, "connecting"), (1, "connected")])
    assert not bs.left_connected([(0, "failed")])                  # never connected
    assert bs.left_connected([(0, "connected"), (5, "disconnected"), (6, "connected")])
    assert bs.left_connected([(0, "connected"), (9, "closed")])


def test_console_lines_give_connection_states():
    assert bs.CONNECTION_STATE_RE.match("connectionstatechange connected").group(1) == "connected"
    assert bs.CONNECTION_STATE_RE.match("icecandidate {...}") is None


def test_summary_counts_a_session_back_at_start_as_dropped():
    samples = [counters(0, 0), counters(40, 4000), counters(80, 8000)]
    steady = bs.summarize_session(0, samples, [], [{"sent_fps": 15, "limited_by": "none"}],
                                  [(0, "connected")])
    assert not steady["dropped"] and steady["video_fps"] == 10.0
    assert steady["camera_sent_fps"] == 15.0 and steady["camera_limited_by"] == "none"
    assert bs.summarize_session(0, samples, [], start_seen=True)["dropped"]
    assert bs.summarize_session(0, samples, [], states=[(0, "connected"), (3, "failed")])["dropped"]
    stalled = [counters(0, 0), counters(40, 4000), counters(40, 8000)]
    assert bs.summarize_session(0, stalled, [])["dropped"]


def test_most_common_and_median_skip_missing_values():
    rows = [{"limited_by": "cpu", "sent_fps": 10}, {"limited_by": "cpu"}, {"limited_by": "none",
            "sent_fps": 14}, {}]
    assert bs.most_common(rows, "limited_by") == "cpu"
    assert bs.median_of(rows, "sent_fps") == 12.0
    assert bs.median_of([{}], "sent_fps") is None

"""Privacy and safety defaults: no usage stats, XSRF on, an upload limit, no ICE servers (no
outbound STUN/TURN), and no frame or upload ever written to disk.

"Nothing written" is checked two ways while the read paths run: a Python audit hook records every
file opened for writing anywhere (and temp-file/rename events), and the working and temp
directories (fresh, empty ones) are compared before and after.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import pytest
from app_pages import digit_page
from conftest import ROOT

from realtime import app_logic

CONFIG = ROOT / ".streamlit" / "config.toml"
STREAMLIT_DEFAULT_UPLOAD_MB = 200
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
WRITE_EVENTS = {"tempfile.mkstemp", "tempfile.mkdtemp", "os.rename", "os.mkdir", "shutil.copyfile",
                "shutil.move", "os.link", "os.symlink"}


@pytest.fixture(scope="module")
def config() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: Streamlit brings the `toml` package
        import toml

        return toml.load(CONFIG)
    with open(CONFIG, "rb") as f:
        return tomllib.load(f)


def test_usage_stats_are_off(config):
    assert config["browser"]["gatherUsageStats"] is False


def test_xsrf_protection_stays_on(config):
    assert config.get("server", {}).get("enableXsrfProtection", True) is True
    assert config.get("server", {}).get("enableCORS", True) is True  # XSRF needs CORS on


def test_upload_size_limit_is_set_and_matches_the_app(config):
    from realtime import ui

    limit = config["server"]["maxUploadSize"]
    assert 0 < limit < STREAMLIT_DEFAULT_UPLOAD_MB
    assert limit == ui.MAX_UPLOAD_MB


def test_no_ice_servers_unless_configured(monkeypatch):
    for name in ("DIGITS_ICE_SERVERS", "HF_TOKEN", "TWILIO_ACCOUNT_SID", "CLOUDFLARE_TURN_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    servers = app_logic.ice_servers_from(os.environ, None)
    assert servers == [] and app_logic.rtc_configuration(servers) == {"iceServers": []}


def test_streamlit_webrtc_keeps_an_empty_ice_list_empty(monkeypatch):
    """streamlit-webrtc fills in Google STUN / HF / Twilio TURN when iceServers is None: the
    app's explicit [] must stop that on both the browser and the server side."""
    component = pytest.importorskip("streamlit_webrtc.component")

    def no_network():
        raise AssertionError("streamlit-webrtc tried to fetch ICE servers")

    monkeypatch.setattr(component, "get_available_ice_servers", no_network)
    monkeypatch.setenv("HF_TOKEN", "would-call-hugging-face")
    config = app_logic.rtc_configuration(app_logic.ice_servers_from({}, None))
    frontend = getattr(component, "enhance_frontend_rtc_configuration", None)
    server = getattr(component, "_resolve_server_rtc_configuration", None)
    if frontend is None or server is None:
        pytest.skip("this streamlit-webrtc version resolves RTC configuration differently")
    assert getattr(frontend, "__wrapped__", frontend)(config)["iceServers"] == []
    assert server(config).iceServers == []


class StreamerRecorder:
    """Stands in for webrtc_streamer: records what the app asks for; the camera never plays."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        from types import SimpleNamespace

        self.calls.append(kwargs)
        return SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False))


def test_app_asks_webrtc_for_no_ice_servers_and_no_microphone(monkeypatch):
    import streamlit_webrtc
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("DIGITS_ICE_SERVERS", raising=False)
    recorder = StreamerRecorder()
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", recorder)
    at = AppTest.from_file(str(ROOT / "stream_app.py"), default_timeout=60)
    at.run()
    assert not at.exception and recorder.calls
    call = recorder.calls[-1]
    assert call["rtc_configuration"] == {"iceServers": []}
    assert call.get("server_rtc_configuration") is None  # nothing overrides the empty list
    assert call.get("frontend_rtc_configuration") is None
    assert call["media_stream_constraints"]["audio"] is False


# --------------------------------------------------------------------------- nothing on disk

class WriteWatch:
    """Records files opened for writing (and temp-file/rename events) while active."""

    installed: WriteWatch | None = None

    def __init__(self):
        self.active = False
        self.writes: list[str] = []

    @classmethod
    def get(cls) -> WriteWatch:
        if cls.installed is None:  # audit hooks cannot be removed: install one, switch it
            cls.installed = cls()
            sys.addaudithook(cls.installed.hook)
        return cls.installed

    def hook(self, event: str, args) -> None:
        if not self.active:
            return
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS)
            if writing and not str(path).startswith("/dev/"):
                self.writes.append(f"open {path} {mode or flags}")
        elif event in WRITE_EVENTS:
            self.writes.append(f"{event} {args}")

    def __enter__(self):
        self.writes = []
        self.active = True
        return self

    def __exit__(self, *exc):
        self.active = False


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def sealed_dirs(tmp_path, monkeypatch):
    """An empty working dir and an empty temp dir; the test checks they stay empty."""
    work, temp = tmp_path / "cwd", tmp_path / "tmp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    yield work, temp
    assert listing(work) == [] and listing(temp) == []


def page_png() -> bytes:
    return cv2.imencode(".png", digit_page(["4096", "1357"]))[1].tobytes()


def test_the_watch_sees_writes(sealed_dirs):
    """The checks below can fail: a write, a temp file and a rename are all noticed."""
    with WriteWatch.get() as watch:
        Path("frame.png").write_bytes(b"x")
        fd, name = tempfile.mkstemp()
        os.close(fd)
        os.rename(name, name + ".jpg")
    assert len(watch.writes) >= 3
    for leftover in (Path("frame.png"), Path(name + ".jpg")):
        leftover.unlink()  # sealed_dirs checks the folders are empty again


def test_reading_an_upload_writes_nothing(sealed_dirs):
    from realtime.imageio import load_image
    from realtime.reader import DigitReader

    reader = DigitReader()
    data = page_png()
    with WriteWatch.get() as watch:
        image = load_image(data, name="upload.png")
        reading = reader.read(image)
        annotated = app_logic.annotate(image, reading)
        app_logic.png_bytes(annotated)
        app_logic.result_json(reading, "upload.png", app_logic.full_box(image))
        app_logic.result_text(reading)
    assert watch.writes == []
    assert reading.digits  # the path really ran to the end


def test_live_frames_write_nothing(sealed_dirs):
    from realtime.live import LiveProcessor
    from realtime.reader import DigitReader

    frame = digit_page(["2718"])
    processor = LiveProcessor(DigitReader())
    with WriteWatch.get() as watch:
        for _ in range(30):
            processor.process(frame.copy())
        deadline = time.monotonic() + 20
        while processor.overlay.detection == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        processor.latest_frame()
        processor.stop()
    assert processor.overlay.detection >= 1
    assert watch.writes == []


def test_app_upload_flow_writes_nothing(sealed_dirs):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "stream_app.py"), default_timeout=60)
    at.run()
    with WriteWatch.get() as watch:
        at.segmented_control(key="mode").set_value("Upload a photo").run()
        at.file_uploader[0].set_value(("secret.png", page_png(), "image/png")).run()
    assert not at.exception and not at.error
    assert at.code and at.code[0].value.strip()  # something was read and shown
    assert watch.writes == [], watch.writes

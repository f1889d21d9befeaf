"""Streamlit pieces of the app: settings, per-session reader/processor, views, result panel.

Everything per browser session lives in `st.session_state` (the LiveProcessor, the reader with
this session's settings, the frozen frame, the decoded upload). Shared between sessions
(`st.cache_resource`) are only the digit classifier, which holds a lock around its interpreter,
and the server-wide turns at live detection (realtime.live.DetectionTurns). Frames and
uploads stay in memory; nothing is written to disk.
"""
from __future__ import annotations

import os
import time
import uuid
import weakref
from dataclasses import dataclass

import numpy as np
import streamlit as st
from PIL import Image

from realtime import app_logic as logic
from realtime.imageio import DEFAULT_MAX_PIXELS, UPLOAD_EXTENSIONS, ImageLoadError, load_image
from realtime.live import DetectionTurns, LiveProcessor
from realtime.reader import Settings
from realtime.reading import Reading

MAX_UPLOAD_MB = 25            # matches server.maxUploadSize in .streamlit/config.toml
MAX_UPLOAD_PIXELS = DEFAULT_MAX_PIXELS
MAX_DISPLAY_SIDE = 1600       # annotated images are shown at most this big (downloads: full size)
READING_REFRESH_S = 0.5       # live text refresh while playing, alone on the server
# All live sessions together refresh their text at most this often: each refresh is a Streamlit
# fragment run, which costs the server 25-60 ms of CPU (measured), more than a session's video.
READING_REFRESHES_PER_S = 2.0
LIVE_WINDOW_S = 10.0          # a session counts as live this long after its last frame
DETECTION_DUTY = 0.5          # share of the detection slots' time that detection may use
MODEL_ENV_VAR = "DIGITS_MODEL"
POLARITIES = {"auto": "Auto", "dark_on_light": "Dark ink on light paper",
              "light_on_dark": "Light ink on a dark board"}


@dataclass(frozen=True)
class AppSettings:
    min_confidence: float = Settings.min_confidence  # the engine's own default
    polarity: str = "auto"
    show_boxes: bool = True
    show_labels: bool = True
    show_stats: bool = False
    drop_words: bool = Settings.drop_words


# --------------------------------------------------------------------------- the reader

def reader_kwargs(settings: AppSettings) -> dict:
    """The app's settings as DigitReader keyword arguments."""
    return {"min_confidence": float(settings.min_confidence), "polarity": settings.polarity,
            "drop_words": bool(settings.drop_words)}


@st.cache_resource(show_spinner="Loading the digit model...")
def shared_classifier(model_path: str | None):
    """One classifier for all sessions: its interpreter is guarded by a lock (thread-safe). The
    engine reads each crop once, so it has no look-again model (as DigitReader's own)."""
    from realtime.classifier import DigitClassifier

    return DigitClassifier(model_path, use_look_again_model=False)


@st.cache_resource(show_spinner="Loading the printed-letter model...")
def shared_letter_detector(model_path: str):
    """One printed-letter detector for all sessions (its interpreter is behind a lock too)."""
    from realtime.letters import LetterDetector

    return LetterDetector(model_path)


@st.cache_resource(show_spinner="Loading the printed-text model...")
def shared_group_detector(model_path: str):
    """One printed-text (group) detector for all sessions (its interpreter is behind a lock)."""
    from realtime.groups import GroupDetector

    return GroupDetector(model_path)


def model_path_setting() -> str | None:
    return os.environ.get(MODEL_ENV_VAR) or None


def session_reader(settings: AppSettings):
    """This session's DigitReader for its settings, or (None, message) when the engine or
    model cannot be loaded. Rebuilt only when the settings change."""
    try:
        from realtime.reader import DigitReader

        classifier = shared_classifier(model_path_setting())
    except ImportError as e:
        return None, f"The reading engine is not installed correctly ({e})."
    except Exception as e:  # noqa: BLE001 - ModelLoadError and whatever LiteRT raises
        return None, (f"The digit model could not be loaded: {e}. Restore "
                      f"`models/` from git (digits_int8.tflite and its second opinion "
                      f"digits_int8_second.tflite) or rebuild them with `make train train-second`"
                      f" (or point {MODEL_ENV_VAR} at a model file).")
    kwargs = reader_kwargs(settings)
    key = tuple(sorted(kwargs.items()))
    state = st.session_state
    if state.get("reader_key") != key or state.get("reader") is None:
        letter_detector = group_detector = None
        if kwargs["drop_words"]:
            try:
                from realtime import groups, letters

                letter_detector = shared_letter_detector(str(letters.DEFAULT_LETTER_MODEL))
                group_detector = shared_group_detector(str(groups.DEFAULT_GROUP_MODEL))
            except Exception as e:  # noqa: BLE001 - ModelLoadError and whatever LiteRT raises
                return None, (f"A printed-word model could not be loaded: {e}. Restore "
                              f"`models/letters_int8.tflite` and `models/groups_int8.tflite` "
                              f"from git, rebuild them with `make train-letters train-groups`, "
                              f"or untick \"Leave out printed words\".")
        state["reader"] = DigitReader(classifier=classifier, letter_detector=letter_detector,
                                      group_detector=group_detector, **kwargs)
        state["reader_key"] = key
    return state["reader"], None


@st.cache_resource
def shared_detection_turns() -> DetectionTurns:
    """One DetectionTurns for all sessions: detection takes at most DETECTION_DUTY of
    detection_slots() cores in all, so with many sessions the video keeps the rest."""
    return DetectionTurns(slots=detection_slots(), duty=DETECTION_DUTY)


def detection_slots(cpus: int | None = None) -> int:
    """Concurrent detections allowed on this server: half its cores (at least one)."""
    return max(1, (cpus if cpus is not None else os.cpu_count() or 1) // 2)


@st.cache_resource
def live_processors() -> weakref.WeakSet:
    """Every session's LiveProcessor on this server (weak: a closed session's goes away)."""
    return weakref.WeakSet()


def live_session_count(window_s: float = LIVE_WINDOW_S) -> int:
    """Sessions whose camera sent a frame in the last `window_s` seconds (a window, so that a
    short stall does not count a session out and back in)."""
    ages = (processor.frame_age_s() for processor in list(live_processors()))
    return sum(1 for age in ages if age is not None and age <= window_s)


def reading_refresh_s(live_sessions: int) -> float:
    """How often one session's live text refreshes: every READING_REFRESH_S alone; with more
    live sessions, so that all of them together stay at READING_REFRESHES_PER_S (4 sessions:
    every 2 s). The boxes and labels on the video itself are not slowed by this."""
    return max(READING_REFRESH_S, live_sessions / READING_REFRESHES_PER_S)


def session_processor(reader) -> LiveProcessor:
    """This session's live processor (created once; told about new readers/settings)."""
    state = st.session_state
    processor = state.get("live_processor")
    if processor is None:
        processor = state["live_processor"] = LiveProcessor(reader, turns=shared_detection_turns())
        live_processors().add(processor)
    elif state.get("live_reader") is not reader:
        processor.set_reader(reader)
    state["live_reader"] = reader
    return processor


# --------------------------------------------------------------------------- the live stream

STUN_RTO_S = 1.5  # aioice's default 0.5 s: how long a STUN answer (and so a consent check) may take


def allow_slow_stun_answers(rto_s: float = STUN_RTO_S) -> None:
    """Give the browser more time to answer the server's ICE consent checks.

    aioice (under aiortc) checks every ~5 s that the browser still answers (RFC 7675) and closes
    the connection after 6 checks in a row go unanswered; but each check waits only its initial
    STUN timeout, 0.5 s, and does not retransmit. A browser starved of CPU answers later than
    that, and its stream ends after ~30 s although it never stopped answering (seen on this
    2-core machine with 4 sessions: "Consent to send expired", then the page back at START).
    RFC 8489 asks for an initial timeout of at least 500 ms; a longer one only slows the
    retransmission of lost STUN requests, which loopback and a LAN hardly lose.
    """
    import aioice.stun

    aioice.stun.RETRY_RTO = max(aioice.stun.RETRY_RTO, rto_s)



LIVE_STREAM_KEY = "live"         # webrtc_streamer's key: st.session_state[key] is its context
LIVE_SHOWN_KEY = "live_view_shown"


def keep_playing_stream(state, shown_last_run: bool, key: str = LIVE_STREAM_KEY) -> None:
    """Stop streamlit-webrtc (0.79) from ending a playing stream on a busy server.

    On each render it takes the component for re-mounted (another page was shown in between)
    when Streamlit's per-session run counter moved by 2 or more since its last render, and then
    stops the stream: the browser falls back to START. But that counter only advances when a
    run's "finished" message is *sent* by the server's event loop; when the loop lags (a busy
    CPU), a run can start before the previous run's message went out, read a stale count, and
    the next run sees a jump of 2 although the component was on the page all along. The app
    knows whether it was: when it was shown in the previous run, the counter check is skipped
    for this render; after the Upload view, the library's reset still happens.
    """
    context = state.get(key)
    if shown_last_run and context is not None and hasattr(context, "_last_rendered_run_count"):
        context._last_rendered_run_count = None


# --------------------------------------------------------------------------- sidebar

def sidebar_settings() -> AppSettings:
    with st.sidebar:
        st.header("Settings")
        min_confidence = st.slider(
            "Confidence threshold", 0.0, 1.0, AppSettings.min_confidence, 0.05,
            help="Digits read with less confidence than this are left out.")
        polarity = st.radio(
            "Ink", list(POLARITIES), format_func=POLARITIES.get,
            help="Auto decides per image whether the ink is darker or lighter than the paper.")
        drop_words = st.checkbox(
            "Leave out printed words", value=AppSettings.drop_words,
            help="Printed words (a form's label such as \"Qty\" or \"kWh\", or its printed "
                 "sentences) are not read as digits; they are shown in grey boxes.")
        show_boxes = st.checkbox("Show boxes", value=True)
        show_labels = st.checkbox("Show labels", value=True)
        show_stats = st.checkbox("Show live stats (fps, detection time)", value=False)
        st.caption("Box colour = confidence: :red[red] (unsure, 0.5 or less) through "
                   ":orange[yellow] to :green[green] (sure).")
        st.caption("Private by default: frames and uploads stay in this server's memory and "
                   "are never written to disk.")
    return AppSettings(min_confidence, polarity, show_boxes, show_labels, show_stats, drop_words)


# --------------------------------------------------------------------------- result panel

def to_display(bgr: np.ndarray, max_side: int = MAX_DISPLAY_SIDE) -> np.ndarray:
    """BGR -> RGB, shrunk so the browser is not sent a 40-megapixel PNG."""
    import cv2

    h, w = bgr.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        bgr = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    return bgr[:, :, ::-1]


def choose_region(image: np.ndarray, key: str) -> tuple[int, int, int, int]:
    """Whole image, or the box the user drags on it (streamlit-cropper)."""
    height, width = image.shape[:2]
    if not st.toggle("Select a region", key=f"{key}-use-crop",
                     help="Drag and resize the box on the image; only that part is read."):
        return logic.full_box(image)
    from streamlit_cropper import st_cropper

    scale = logic.display_scale(width, height)
    shown = Image.fromarray(to_display(image, max(logic.display_size(width, height))))
    box = st_cropper(shown, realtime_update=True, box_color="#ff4b4b", return_type="box",
                     should_resize_image=False, key=f"{key}-cropper")
    return logic.box_to_image(box or {}, scale, width, height)


def read_region(reader, image: np.ndarray, region, image_id: str) -> Reading:
    """Read a region once per (image, region, settings); downloads and reruns reuse the result."""
    state = st.session_state
    key = (image_id, tuple(region), state.get("reader_key"))
    cached = state.get("still_reading")
    if cached is not None and cached[0] == key:
        return cached[1]
    reading = reader.read(logic.crop(image, region))
    state["still_reading"] = (key, reading)
    return reading


def result_panel(reader, image: np.ndarray, source: str, settings: AppSettings, key: str,
                 image_id: str) -> None:
    """Region choice, annotated image, text, confidences and downloads for one still image.
    `image_id` names this exact image (a new upload or a new freeze gets a new one)."""
    region = choose_region(image, key)
    try:
        reading = read_region(reader, image, region, image_id)
    except Exception as e:  # noqa: BLE001 - a reading bug must not show a traceback
        st.error(logic.plain_markdown(f"Could not read this image: {type(e).__name__}: {e}"))
        return
    part = logic.crop(image, region)
    annotated = logic.annotate(part, reading, settings.show_boxes, settings.show_labels)
    left, right = st.columns([3, 2])
    with left:
        x, y, w, h = region
        st.image(to_display(annotated), caption=f"{source}: region {w} x {h} at ({x}, {y})",
                 width="stretch")
    with right:
        st.markdown("**Reading**")
        st.code(reading.text if reading.lines else "(no digits found)", language=None)
        if reading.digits:
            st.dataframe(logic.confidence_rows(reading), hide_index=True, width="stretch")
        stem = logic.download_stem(source)
        # PNG-encoding a big photo takes seconds: only when the button is clicked
        st.download_button("Annotated PNG", lambda: logic.png_bytes(annotated), f"{stem}_digits.png",
                           "image/png", key=f"{key}-dl-png", on_click="ignore", icon=":material/image:")
        st.download_button("JSON", logic.result_json(reading, source, region), f"{stem}_digits.json",
                           "application/json", key=f"{key}-dl-json", on_click="ignore",
                           icon=":material/data_object:")
        st.download_button("Text", logic.result_text(reading), f"{stem}_digits.txt", "text/plain",
                           key=f"{key}-dl-txt", on_click="ignore", icon=":material/notes:")
        if reading.words:
            n = len(reading.words)
            st.caption(f"{n} printed word{'s' if n > 1 else ''} left out (grey box"
                       f"{'es' if n > 1 else ''}): untick \"Leave out printed words\" in the "
                       "sidebar to read them as digits.")
        total = reading.timings_ms.get("total")
        if total is not None:
            st.caption(f"Read in {total:.0f} ms")


# --------------------------------------------------------------------------- live view

def live_reading_panel(processor: LiveProcessor, playing: bool, show_stats: bool) -> None:
    """The current reading as text, refreshed while the camera plays (a Streamlit fragment)."""

    def panel():
        stats = processor.stats()
        st.markdown("**Reading**")
        if stats.error:
            st.warning(f"Detection failed: {stats.error}")
        if stats.lines:
            st.code(stats.text, language=None)
        elif playing:
            st.code("(looking for digits...)", language=None)
        else:
            st.info("Press **START** to read from your camera, or switch to *Upload a photo*.")
        if show_stats and playing:
            st.caption(f"{stats.input_fps:.0f} fps · detection {stats.detection_hz:.1f}/s, "
                       f"{stats.detection_ms:.0f} ms · overlay {stats.overlay_ms:.2f} ms/frame")

    if not playing:
        st.fragment(panel)()
        return
    refresh_s = reading_refresh_s(live_session_count())

    def refreshing_panel():
        panel()
        if reading_refresh_s(live_session_count()) != refresh_s:
            st.rerun(scope="app")  # sessions came or went: declare the fragment anew

    st.fragment(refreshing_panel, run_every=refresh_s)()


def freeze(processor: LiveProcessor) -> None:
    frame = processor.latest_frame()
    if frame is None:
        st.session_state["freeze_error"] = "No camera frame yet: press START first."
        return
    st.session_state["frozen"] = (frame, time.strftime("camera_%Y%m%d_%H%M%S"),
                                  uuid.uuid4().hex)
    processor.set_paused(True)  # the CPU goes to the still while it is on screen


def back_to_live(processor: LiveProcessor) -> None:
    st.session_state.pop("frozen", None)
    st.session_state.pop("still_reading", None)
    processor.set_paused(False)


# --------------------------------------------------------------------------- upload view

def decoded_upload(uploaded) -> tuple[np.ndarray | None, str | None]:
    """The uploaded file as BGR (decoded once per file), or (None, one-line message)."""
    state = st.session_state
    cached = state.get("upload")
    if cached is not None and cached[0] == uploaded.file_id:
        return cached[1], None
    state.pop("upload", None)
    if uploaded.size > MAX_UPLOAD_MB * 1024 * 1024:
        return None, f"{uploaded.name}: the file is larger than {MAX_UPLOAD_MB} MB."
    try:
        image = load_image(uploaded.getvalue(), max_pixels=MAX_UPLOAD_PIXELS, name=uploaded.name)
    except ImageLoadError as e:
        return None, str(e)
    state["upload"] = (uploaded.file_id, image)
    return image, None


def upload_view(reader, settings: AppSettings) -> None:
    uploaded = st.file_uploader(
        "A photo or scan with handwritten digits", type=list(UPLOAD_EXTENSIONS),
        max_upload_size=MAX_UPLOAD_MB,
        help=f"PNG, JPEG, WebP, BMP or TIFF up to {MAX_UPLOAD_MB} MB and "
             f"{MAX_UPLOAD_PIXELS // 1_000_000} megapixels. Kept in memory only.")
    if uploaded is None:
        st.session_state.pop("upload", None)
        return
    image, error = decoded_upload(uploaded)
    if error:
        st.error(logic.plain_markdown(error))
        return
    result_panel(reader, image, uploaded.name, settings, key="upload",
                 image_id=f"upload:{uploaded.file_id}")


def has_secrets() -> bool:
    """st.secrets raises when no secrets.toml exists; treat that as 'no secrets'."""
    try:
        return bool(st.secrets)
    except Exception:  # noqa: BLE001 - FileNotFoundError / StreamlitSecretNotFoundError
        return False

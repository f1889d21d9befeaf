"""Live handwritten-digit reader: camera (WebRTC), freeze & crop, or upload. `make run` serves it.

Three blocks, as in the streamlit-webrtc examples:
  1. the reader (model + this session's settings),
  2. the frame callback (this session's LiveProcessor: newest frame in, newest overlay out),
  3. the UI (live video + reading text, frozen frame, upload).
"""
from __future__ import annotations

import os

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from realtime import app_logic as logic
from realtime import ui

st.set_page_config(page_title="Digit reader", page_icon="🔢", layout="wide")
ui.allow_slow_stun_answers()  # a busy browser's late answer must not end its stream

# ---- 1. the reader: one shared classifier, one DigitReader per session and settings -------------
settings = ui.sidebar_settings()
reader, problem = ui.session_reader(settings)

st.title("Handwritten digit reader")
if problem:
    st.error(problem, icon=":material/error:")
    st.stop()

# ---- 2. the frame callback: this session's processor (detection in its own worker thread) -----
processor = ui.session_processor(reader)
processor.show_boxes, processor.show_labels = settings.show_boxes, settings.show_labels
video_frame_callback = processor.recv  # fast: keeps the newest frame, draws the newest overlay

# ---- 3. the UI ---------------------------------------------------------------------------------
mode = st.segmented_control("Source", ["Live camera", "Upload a photo"], default="Live camera",
                            label_visibility="collapsed", key="mode") or "Live camera"

if mode == "Live camera":
    try:
        ice_servers = logic.ice_servers_from(os.environ, st.secrets if ui.has_secrets() else None)
    except ValueError as e:
        st.warning(f"{e}. Using no ICE servers (localhost and LAN only).")
        ice_servers = []
    video_col, text_col = st.columns([3, 2], vertical_alignment="top")
    with video_col:
        try:
            ui.keep_playing_stream(st.session_state, st.session_state.get(ui.LIVE_SHOWN_KEY, False))
            st.session_state[ui.LIVE_SHOWN_KEY] = True
            ctx = webrtc_streamer(
                key=ui.LIVE_STREAM_KEY,
                mode=WebRtcMode.SENDRECV,
                rtc_configuration=logic.rtc_configuration(ice_servers),
                media_stream_constraints={"video": {"width": {"ideal": 1280},
                                                    "height": {"ideal": 720}}, "audio": False},
                video_frame_callback=video_frame_callback,
                async_processing=True,
            )
            playing = bool(ctx.state.playing)
        except Exception as e:  # noqa: BLE001 - no WebRTC runtime: say so, keep Upload working
            st.error(f"The live camera cannot start here ({type(e).__name__}: {e}). "
                     "Use *Upload a photo* instead.")
            playing = False
        frozen = st.session_state.get("frozen")
        if frozen is None:
            st.button("Freeze", icon=":material/photo_camera:", on_click=ui.freeze,
                      args=(processor,), disabled=not playing, type="primary",
                      help="Keep this moment: select a region of it and read it at leisure.")
        else:
            st.button("Back to live", icon=":material/videocam:", on_click=ui.back_to_live,
                      args=(processor,), type="primary")
        freeze_error = st.session_state.pop("freeze_error", None)
        if freeze_error:
            st.warning(freeze_error)
    with text_col:
        ui.live_reading_panel(processor, playing and frozen is None, settings.show_stats)
    if frozen is not None:
        st.subheader("Frozen frame")
        image, source, frozen_id = frozen
        ui.result_panel(reader, image, source, settings, key="frozen", image_id=frozen_id)
else:
    st.session_state[ui.LIVE_SHOWN_KEY] = False  # the stream component is not on this page
    ui.upload_view(reader, settings)

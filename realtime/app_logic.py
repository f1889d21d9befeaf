"""The app's pure logic, testable without Streamlit: crop maths, result formatting, ICE config."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping

import cv2
import numpy as np

from realtime.live import draw_digits
from realtime.overlay import draw_words
from realtime.reading import Reading

# The cropper shows the image at most this many pixels wide/high; boxes come back in those units.
CROPPER_MAX_SIDE = 700
ICE_ENV_VAR = "DIGITS_ICE_SERVERS"


# --------------------------------------------------------------------------- crop maths

def display_scale(width: int, height: int, max_side: int = CROPPER_MAX_SIDE) -> float:
    """Factor (<= 1) that fits a width x height image into max_side x max_side."""
    if width <= 0 or height <= 0:
        return 1.0
    return min(1.0, max_side / max(width, height))


def display_size(width: int, height: int, max_side: int = CROPPER_MAX_SIDE) -> tuple[int, int]:
    scale = display_scale(width, height, max_side)
    return max(1, round(width * scale)), max(1, round(height * scale))


def box_to_image(box: Mapping, scale: float, width: int, height: int) -> tuple[int, int, int, int]:
    """A cropper box {left, top, width, height} in display pixels -> (x, y, w, h) in the image,
    clamped to the image and at least 1 x 1."""
    inv = 1.0 / scale if scale > 0 else 1.0
    x0 = int(np.floor(float(box.get("left", 0)) * inv))
    y0 = int(np.floor(float(box.get("top", 0)) * inv))
    x1 = int(np.ceil((float(box.get("left", 0)) + float(box.get("width", 0))) * inv))
    y1 = int(np.ceil((float(box.get("top", 0)) + float(box.get("height", 0))) * inv))
    x0 = min(max(x0, 0), width - 1)
    y0 = min(max(y0, 0), height - 1)
    x1 = min(max(x1, x0 + 1), width)
    y1 = min(max(y1, y0 + 1), height)
    return x0, y0, x1 - x0, y1 - y0


def crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The (x, y, w, h) region of image as its own contiguous array."""
    x, y, w, h = box
    return np.ascontiguousarray(image[y:y + h, x:x + w])


def full_box(image: np.ndarray) -> tuple[int, int, int, int]:
    return 0, 0, int(image.shape[1]), int(image.shape[0])


# --------------------------------------------------------------------------- results

# the characters that start Streamlit markdown: emphasis, links/directives, HTML, maths, code
MARKDOWN_SPECIALS = set("\\`*_[]<>$~|#")


def plain_markdown(text: str) -> str:
    """Escape user-given text (a file name in an error) so Streamlit shows it literally."""
    return "".join("\\" + c if c in MARKDOWN_SPECIALS else c for c in str(text))


def result_text(reading: Reading) -> str:
    """Plain-text download: the lines, one per line, ending with a newline (empty if none)."""
    return reading.text + "\n" if reading.lines else ""


def result_dict(reading: Reading, source: str, region: tuple[int, int, int, int]) -> dict:
    """JSON download: the reading, the source name, and which region of the source was read.

    Digit boxes are in the pixels of the region read; `region` = (x, y, w, h) in the source."""
    data = reading.to_dict()
    data["source"] = source
    data["region"] = list(region)
    return data


def result_json(reading: Reading, source: str, region: tuple[int, int, int, int]) -> str:
    return json.dumps(result_dict(reading, source, region), indent=2)


def confidence_rows(reading: Reading) -> list[dict]:
    """One row per digit for the confidence table, in reading order."""
    rows = []
    for position, d in enumerate(reading.digits, start=1):
        x, y, w, h = d.box
        rows.append({"line": d.line + 1, "#": position, "digit": str(d.label),
                     "confidence": round(float(d.confidence), 3), "box (x, y, w, h)": f"{x}, {y}, {w}, {h}"})
    return rows


def annotate(image: np.ndarray, reading: Reading, show_boxes: bool = True,
             show_labels: bool = True) -> np.ndarray:
    """An annotated BGR copy (the input is left untouched); printed words left out get grey
    boxes."""
    out = image.copy()
    if show_boxes:
        draw_words(out, reading.words)
    return draw_digits(out, reading.digits, show_boxes, show_labels)


def png_bytes(bgr: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", bgr)
    if not ok:
        raise ValueError("could not encode the annotated image as PNG")
    return buffer.tobytes()


def download_stem(source: str) -> str:
    """A safe file-name stem for downloads from a source name like 'IMG 0001.JPG'."""
    stem = os.path.splitext(os.path.basename(source))[0] or "reading"
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)
    return (safe or "reading")[:60]


# --------------------------------------------------------------------------- WebRTC config

def ice_servers_from(env: Mapping[str, str], secrets: Mapping | None = None) -> list[dict]:
    """ICE servers (STUN/TURN) from DIGITS_ICE_SERVERS (JSON) or st.secrets["ice_servers"].

    Default: none, so nothing leaves the machine (localhost and LAN work without them).
    Raises ValueError with one line when the configuration is not a list of {"urls": ...}.
    """
    raw = env.get(ICE_ENV_VAR)
    if raw is not None and raw.strip():
        try:
            servers = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"{ICE_ENV_VAR} is not valid JSON ({e.msg} at char {e.pos})") from None
        source = ICE_ENV_VAR
    elif secrets is not None and "ice_servers" in secrets:
        servers, source = secrets["ice_servers"], "st.secrets['ice_servers']"
    else:
        return []
    if isinstance(servers, Mapping):
        servers = [servers]
    if isinstance(servers, (list, tuple)):
        servers = [dict(s) if isinstance(s, Mapping) else s for s in servers]
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        raise ValueError(f"{source} must be a list of objects like "
                         '{"urls": "stun:stun.example.org:3478"}')
    return servers


def rtc_configuration(servers: list[dict]) -> dict:
    return {"iceServers": servers}

"""Hostile files end to end: the CLI given a folder of odd and malicious files, a bomb measured
for peak memory through the CLI, and a missing/corrupt model in the CLI and the app.

The loader's own file-by-file tests are in test_imageio.py; here the question is what a USER sees:
one stderr line per bad file naming it, no traceback, every readable file still read (with the
same reading as the clean original), and a non-zero exit at the end.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from app_pages import digit_page
from conftest import ROOT
from PIL import Image
from test_imageio import write_png_bomb

PAGE_LINES = ["4096", "1357"]
OTHER_LINES = ["2718"]
# LiteRT prints this to stderr when it loads a model; it is not about any file.
RUNTIME_NOISE = ("INFO: Created TensorFlow Lite XNNPACK delegate",)


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "realtime", "read", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def user_lines(stderr: str) -> list[str]:
    """stderr lines a user would read (runtime start-up chatter left out)."""
    return [line for line in stderr.splitlines()
            if line.strip() and not line.startswith(RUNTIME_NOISE)]


def rgb_of(bgr: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))


def encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def readable_variants(page: np.ndarray, other: np.ndarray) -> dict[str, bytes]:
    """The same page coded the awkward ways real files come: every one must read like the page."""
    rgb, other_rgb = rgb_of(page), rgb_of(other)
    gray16 = (page[:, :, 0].astype(np.uint16) * 257)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": stored turned 90 CCW
    stored = rgb_of(np.ascontiguousarray(np.rot90(page, k=1)))
    gif_buffer, tiff_buffer = io.BytesIO(), io.BytesIO()
    rgb.convert("L").save(gif_buffer, format="GIF", save_all=True,
                          append_images=[other_rgb.convert("L")], duration=100, loop=0)
    rgb.save(tiff_buffer, format="TIFF", save_all=True, append_images=[other_rgb])
    return {
        "page.png": encoded(rgb, "PNG"),
        "page_16bit.png": encoded(Image.fromarray(gray16), "PNG"),
        "page_cmyk.jpg": encoded(rgb.convert("CMYK"), "JPEG", quality=95),
        "page_exif_rotated.jpg": encoded(stored, "JPEG", quality=95, exif=exif),
        "page_really_a_png.jpg": encoded(rgb, "PNG"),          # wrong extension, fine content
        "page_then_other.gif": gif_buffer.getvalue(),          # multi-frame: first frame
        "page_then_other.tiff": tiff_buffer.getvalue(),        # multi-page: first page
    }


def unreadable_files(folder: Path, page_png: bytes) -> list[Path]:
    """Files that must each give one line: broken, empty, not images, a bomb, not there."""
    jpeg = encoded(rgb_of(digit_page(OTHER_LINES)), "JPEG", quality=90)
    smashed = bytearray(page_png)
    smashed[80:400] = bytes(320)
    contents = {
        "empty.png": b"",
        "truncated.jpg": jpeg[: len(jpeg) // 2],
        "corrupt.png": bytes(smashed),
        "notes.png": b"4096 1357\nnot an image at all\n",
        "script.jpg": b"#!/bin/sh\necho hostile\n",
        "zip_named.tiff": b"PK\x03\x04" + bytes(200),
    }
    paths = []
    for name, data in contents.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    bomb = folder / "bomb.png"
    write_png_bomb(bomb, 50_000, 50_000)
    directory = folder / "a_folder.png"
    directory.mkdir()
    return [*paths, bomb, directory, folder / "missing.png"]


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    page, other = digit_page(PAGE_LINES), digit_page(OTHER_LINES)
    good = []
    for name, data in readable_variants(page, other).items():
        path = folder / name
        path.write_bytes(data)
        good.append(path)
    bad = unreadable_files(folder, (folder / "page.png").read_bytes())
    return folder, good, bad


@pytest.fixture(scope="module")
def page_reading():
    """What the engine reads on the clean page array (the CLI must agree, whatever the file)."""
    from realtime.reader import DigitReader

    return DigitReader().read(digit_page(PAGE_LINES)).lines


def interleave(good: list[Path], bad: list[Path]) -> list[Path]:
    """Bad files first, between and after good ones: a failure must not stop the ones after it."""
    order = []
    for i in range(max(len(good), len(bad))):
        order.extend(bad[i:i + 1] + good[i:i + 1])
    return order


def test_cli_reads_every_good_file_and_names_every_bad_one(hostile_folder, page_reading):
    _, good, bad = hostile_folder
    assert page_reading, "the clean page should read as something"
    result = run_cli("--json", *map(str, interleave(good, bad)))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    complaints = user_lines(result.stderr)
    assert len(complaints) == len(bad), complaints           # exactly one line per bad file ...
    for path, line in zip(bad, complaints, strict=True):
        assert str(path) in line, (path, line)               # ... naming it, in order
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == [str(p) for p in good]
    for record in records:
        assert record["lines"] == page_reading, record["file"]


def test_cli_bomb_message_says_why(hostile_folder):
    folder, _, _ = hostile_folder
    result = run_cli(str(folder / "bomb.png"))
    assert result.returncode == 1
    (line,) = user_lines(result.stderr)
    assert "bomb.png" in line and "megapixel limit" in line


# VmHWM (the kernel's high-water mark of this process's RSS), not ru_maxrss: ru_maxrss survives
# exec, so a child forked from a big pytest process would report the parent's size.
PEAK_RSS_CODE = """
import sys
from realtime.cli import main
code = main(sys.argv[1:])
hwm_kb = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print("PEAK_KB", hwm_kb, file=sys.stderr)
sys.exit(code)
"""


def cli_peak_mb(*args: str) -> tuple[int, float, str]:
    """Exit code, peak RSS (MB) and stderr of one CLI run in a fresh process."""
    result = subprocess.run([sys.executable, "-c", PEAK_RSS_CODE, "read", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    peak = [line for line in result.stderr.splitlines() if line.startswith("PEAK_KB")]
    assert peak, result.stderr
    return result.returncode, int(peak[0].split()[1]) / 1024, result.stderr


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_cli_refuses_bomb_before_decoding_with_small_peak_memory(hostile_folder):
    """2.5 gigapixels (7.5 GB decoded) refused from the header: the whole CLI process, model
    loaded, peaks at about what reading a small page costs."""
    folder, _, _ = hostile_folder
    code, bomb_mb, stderr = cli_peak_mb(str(folder / "bomb.png"))
    assert code == 1 and "megapixel limit" in stderr
    _, page_mb, _ = cli_peak_mb(str(folder / "page.png"))
    print(f"CLI peak RSS: bomb {bomb_mb:.0f} MB, small page {page_mb:.0f} MB")
    assert bomb_mb < 400, f"peak RSS {bomb_mb:.0f} MB while refusing a bomb"
    assert bomb_mb < page_mb + 64  # no decode happened: no more than reading a 640 x 360 page


LOAD_PEAK_CODE = """
import sys
from realtime.imageio import load_image
image = load_image(sys.argv[1])
hwm_kb = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print(image.shape[0], image.shape[1], hwm_kb)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_largest_allowed_image_decodes_under_1_gb(tmp_path):
    """A small JPEG right at the pixel limit is accepted; decoding it must still stay under 1 GB
    (each copy of a 40-megapixel RGB image is 120 MB)."""
    from realtime.imageio import DEFAULT_MAX_PIXELS

    width = 7745
    height = DEFAULT_MAX_PIXELS // width
    path = tmp_path / "at_the_limit.jpg"
    Image.new("RGB", (width, height), (200, 200, 200)).save(path, quality=80)
    assert path.stat().st_size < 2_000_000
    out = subprocess.run([sys.executable, "-c", LOAD_PEAK_CODE, str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True).stdout.split()
    h, w, peak_mb = int(out[0]), int(out[1]), int(out[2]) / 1024
    print(f"decode peak at {w * h / 1e6:.1f} MP: {peak_mb:.0f} MB")
    assert (w, h) == (width, height)
    assert peak_mb < 1024, f"decoding a {w} x {h} JPEG peaked at {peak_mb:.0f} MB"


# --------------------------------------------------------------------------- the model file

@pytest.fixture
def broken_models(tmp_path):
    real = ROOT / "models" / "digits_int8.tflite"
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(real.read_bytes()[:5000] if real.exists() else b"TFL3" + bytes(100))
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"not a flatbuffer at all")
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    return {"missing": tmp_path / "nowhere.tflite", "garbage": garbage, "empty": empty,
            "truncated": truncated, "a directory": tmp_path}


@pytest.mark.parametrize("kind", ["missing", "garbage", "empty", "truncated", "a directory"])
def test_cli_bad_model_is_one_clear_line_at_start(broken_models, kind, tmp_path):
    model = broken_models[kind]
    image = tmp_path / "page.png"
    image.write_bytes(encoded(rgb_of(digit_page(OTHER_LINES)), "PNG"))
    result = run_cli("--model", str(model), str(image))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = user_lines(result.stderr)
    assert len(lines) == 1, lines
    assert str(model) in lines[0] and "model" in lines[0]
    assert result.stdout == ""  # nothing read with a model that is not there


@pytest.mark.parametrize("kind", ["missing", "garbage", "truncated"])
def test_app_bad_model_file_is_a_clear_message(broken_models, kind, monkeypatch):
    """The real loading path (no stand-in classifier): DIGITS_MODEL points at a broken file."""
    from streamlit.testing.v1 import AppTest

    model = broken_models[kind]
    monkeypatch.setenv("DIGITS_MODEL", str(model))
    at = AppTest.from_file(str(ROOT / "stream_app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "could not be loaded" in message and str(model) in message
    assert not at.button  # the app stops there: no camera, no upload on a broken model

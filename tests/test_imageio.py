"""The shared file loader: every format we promise, and every hostile file we can think of."""
import io
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from realtime.imageio import ImageLoadError, check_pixel_count, load_image


def quadrant_rgb(width=40, height=30) -> np.ndarray:
    """An RGB image whose four quadrants differ, so orientation and channel order are checkable."""
    img = np.zeros((height, width, 3), np.uint8)
    img[: height // 2, : width // 2] = (255, 0, 0)      # top-left red
    img[: height // 2, width // 2:] = (0, 255, 0)       # top-right green
    img[height // 2:, : width // 2] = (0, 0, 255)       # bottom-left blue
    img[height // 2:, width // 2:] = (255, 255, 255)    # bottom-right white
    return img


def save(tmp_path, name, image: Image.Image, **kwargs):
    path = tmp_path / name
    image.save(path, **kwargs)
    return path


@pytest.mark.parametrize("fmt,ext", [("PNG", "png"), ("BMP", "bmp"), ("TIFF", "tif"),
                                     ("WEBP", "webp")])
def test_lossless_formats_decode_to_bgr(tmp_path, fmt, ext):
    rgb = quadrant_rgb()
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    path = save(tmp_path, f"q.{ext}", Image.fromarray(rgb), format=fmt, **kwargs)
    bgr = load_image(path)
    assert bgr.dtype == np.uint8 and bgr.shape == (30, 40, 3)
    np.testing.assert_array_equal(bgr, rgb[:, :, ::-1])


def test_jpeg_decodes_close_to_original(tmp_path):
    rgb = quadrant_rgb()
    path = save(tmp_path, "q.jpg", Image.fromarray(rgb), quality=95)
    bgr = load_image(path)
    assert bgr.shape == (30, 40, 3)
    assert np.abs(bgr[5, 5].astype(int) - (0, 0, 255)).max() < 40  # red stays red in BGR


def test_bytes_and_file_objects_work_like_paths(tmp_path):
    rgb = quadrant_rgb()
    path = save(tmp_path, "q.png", Image.fromarray(rgb))
    data = path.read_bytes()
    expected = load_image(path)
    np.testing.assert_array_equal(load_image(data), expected)
    np.testing.assert_array_equal(load_image(io.BytesIO(data)), expected)
    np.testing.assert_array_equal(load_image(memoryview(data)), expected)


def test_wrong_extension_is_fine_when_content_decodes(tmp_path):
    rgb = quadrant_rgb()
    path = tmp_path / "really_a_png.jpg"
    Image.fromarray(rgb).save(path, format="PNG")
    np.testing.assert_array_equal(load_image(path), rgb[:, :, ::-1])


def test_multi_frame_gif_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (20, 10), c) for c in ((255, 255, 255), (0, 0, 0), (255, 0, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    bgr = load_image(path)
    assert bgr.shape == (10, 20, 3)
    assert bgr.min() > 200  # white, the first frame, not black or red


def test_multi_page_tiff_gives_first_page(tmp_path):
    pages = [Image.new("L", (16, 8), v) for v in (30, 220)]
    path = tmp_path / "pages.tiff"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    bgr = load_image(path)
    assert bgr.shape == (8, 16, 3) and int(bgr.mean()) == 30


def test_16bit_png_uses_full_range(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 8).astype(np.uint16).reshape(8, 64)
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)  # mode I;16
    assert Image.open(path).mode.startswith("I")
    bgr = load_image(path)
    assert bgr.shape == (8, 64, 3) and bgr.dtype == np.uint8
    assert bgr[0, 0, 0] == 0 and bgr[-1, -1, 0] == 255
    np.testing.assert_array_equal(bgr[:, :, 0], (ramp >> 8).astype(np.uint8))


def test_cmyk_jpeg_becomes_bgr(tmp_path):
    rgb = quadrant_rgb()
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(rgb).convert("CMYK").save(path, quality=95)
    assert Image.open(path).mode == "CMYK"
    bgr = load_image(path)
    assert bgr.shape == (30, 40, 3)
    assert np.abs(bgr[25, 35].astype(int) - 255).max() < 40   # white stays white
    assert bgr[5, 5, 2] > 180 and bgr[5, 5, 0] < 80          # red stays red (BGR order)


@pytest.mark.parametrize("orientation,expected_shape,top_left", [
    (1, (30, 40, 3), (0, 0, 255)),        # as stored: red top-left
    (3, (30, 40, 3), (255, 255, 255)),    # rotated 180: white top-left
    (6, (40, 30, 3), (255, 0, 0)),        # rotate 90 CW to display: blue (bottom-left) goes top-left
    (8, (40, 30, 3), (0, 255, 0)),        # rotate 90 CCW: green (top-right) goes top-left
])
def test_exif_orientation_is_applied(tmp_path, orientation, expected_shape, top_left):
    image = Image.fromarray(quadrant_rgb())
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    image.save(path, exif=exif, quality=98)
    bgr = load_image(path)
    assert bgr.shape == expected_shape
    assert np.abs(bgr[2, 2].astype(int) - top_left).max() < 40


def test_transparent_png_gets_white_paper(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)   # fully transparent black ...
    rgba[4:6, 4:6] = (0, 0, 0, 255)          # ... with an opaque black ink dot
    path = save(tmp_path, "ink.png", Image.fromarray(rgba, "RGBA"))
    bgr = load_image(path)
    assert bgr[0, 0].tolist() == [255, 255, 255] and bgr[5, 5].tolist() == [0, 0, 0]


def test_palette_and_bilevel_images(tmp_path):
    rgb = quadrant_rgb()
    p_path = save(tmp_path, "p.png", Image.fromarray(rgb).convert("P"))
    one_path = save(tmp_path, "one.png", Image.fromarray(rgb).convert("1"))
    assert load_image(p_path).shape == (30, 40, 3)
    assert set(np.unique(load_image(one_path))) <= {0, 255}


# ---- hostile files: one clear line naming the file, never another exception type ----

def assert_one_line_naming(error: ImageLoadError, name: str):
    message = str(error)
    assert "\n" not in message and name in message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty") as e:
        load_image(path)
    assert_one_line_naming(e.value, "empty.png")


def test_random_bytes_are_not_an_image(tmp_path):
    path = tmp_path / "noise.jpg"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(ImageLoadError, match="not an image") as e:
        load_image(path)
    assert_one_line_naming(e.value, "noise.jpg")


def test_text_file_is_unsupported(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("1234 5678\n")
    with pytest.raises(ImageLoadError) as e:
        load_image(path)
    assert_one_line_naming(e.value, "notes.png")


@pytest.mark.parametrize("fmt,ext", [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp"),
                                     ("GIF", "gif"), ("TIFF", "tif")])
def test_truncated_files(tmp_path, fmt, ext):
    noise = np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format=fmt)
    path = tmp_path / f"cut.{ext}"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageLoadError) as e:
        load_image(path)
    assert_one_line_naming(e.value, f"cut.{ext}")


def test_corrupt_png_body(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(quadrant_rgb()).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[60:90] = b"\xff" * 30  # smash the compressed pixel data (the IDAT chunk)
    path = tmp_path / "smashed.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageLoadError) as e:
        load_image(path)
    assert_one_line_naming(e.value, "smashed.png")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ImageLoadError, match="no such file"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageLoadError, match="directory"):
        load_image(tmp_path)


def test_unsupported_format_with_valid_content(tmp_path):
    path = tmp_path / "x.ico"
    Image.new("RGB", (16, 16)).save(path, format="ICO")
    with pytest.raises(ImageLoadError, match="not supported"):
        load_image(path)


def test_bytes_error_uses_given_name():
    with pytest.raises(ImageLoadError) as e:
        load_image(b"garbage", name="upload.webp")
    assert_one_line_naming(e.value, "upload.webp")


def test_wrong_source_type_is_a_type_error():
    with pytest.raises(TypeError, match="path, bytes or a binary file"):
        load_image(12345)


def test_pixel_limit_is_exact(tmp_path):
    path = save(tmp_path, "ten.png", Image.new("L", (10, 10)))
    assert load_image(path, max_pixels=100).shape == (10, 10, 3)
    with pytest.raises(ImageLoadError, match="megapixel limit"):
        load_image(path, max_pixels=99)


def test_check_pixel_count_rejects_zero_size():
    with pytest.raises(ImageLoadError, match="no pixels"):
        check_pixel_count((0, 10), 1000)


def write_png_bomb(path, width: int, height: int) -> None:
    path.write_bytes(png_bomb_bytes(width, height))


def png_bomb_bytes(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of width x height zeros, streamed so making it needs little memory."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    rows_per_block = 1000
    parts = []
    for start in range(0, height, rows_per_block):
        parts.append(compressor.compress(row * min(rows_per_block, height - start)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def png_bomb(tmp_path_factory):
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    write_png_bomb(path, 50_000, 50_000)
    return path


def test_decompression_bomb_is_refused_by_header(png_bomb):
    assert png_bomb.stat().st_size < 1_000_000  # a few hundred KB on disk ...
    with pytest.raises(ImageLoadError) as e:
        load_image(png_bomb)                    # ... 2.5 gigapixels decoded
    assert_one_line_naming(e.value, "bomb.png")
    assert "2500.0 megapixels" in str(e.value) and "limit" in str(e.value)


def test_bomb_below_pillows_own_limit_is_refused_by_ours(tmp_path):
    path = tmp_path / "wide.png"
    write_png_bomb(path, 20_000, 4_000)  # 80 MP: under Pillow's error limit, over ours
    with pytest.raises(ImageLoadError, match="20000 x 4000"):
        load_image(path)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_decompression_bomb_peak_memory_stays_small(png_bomb):
    """Refusing the bomb must not decode it: peak RSS of a fresh process stays far below 1 GB."""
    # VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child forked from a big pytest
    # process would report the parent's size
    code = (
        "from realtime.imageio import load_image, ImageLoadError\n"
        "try:\n"
        f"    load_image({str(png_bomb)!r})\n"
        "    print('LOADED')\n"
        "except ImageLoadError:\n"
        "    pass\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "print(status)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert "LOADED" not in out
    peak_mb = int(out[-1]) / 1024
    assert peak_mb < 300, f"peak RSS {peak_mb:.0f} MB while refusing a bomb"

"""Hostile arrays for the engine: DigitReader.read never raises for image CONTENT, and refuses
non-images with a TypeError/ValueError that says what it expected.

Property-based (hypothesis). The core property runs 1,000 examples on the real engine and the
committed model: small arrays of every dtype, tiny, empty and very thin shapes, NaN/inf floats,
random strokes (so the segmenter and the classifier are reached, not only the input stage).
The stage-level input tests live in test_engine_stages.py; these go through `read` itself.
"""
from __future__ import annotations

import functools
import re

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from realtime.reading import Reading

CORE_EXAMPLES = 1000
SIDE_EXAMPLES = 150
DTYPES = (np.uint8, np.uint16, np.float32, np.float64, np.bool_, np.int8, np.int16, np.int32,
          np.int64, np.uint32, np.float16)
CHANNELS = (None, 1, 3, 4)  # None: a 2-D gray image
PATTERNS = ("constant", "noise", "strokes", "gradient", "blobs")
FLOAT_SPECIALS = (np.nan, np.inf, -np.inf, 1e30, -1e30, 1e-30, 0.5, 255.0, 256.0, -1.0)



def hardening(examples: int) -> settings:
    """No per-example deadline (a 1 x 5000 strip takes longer than a 4 x 4), print reproducers."""
    return settings(max_examples=examples, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=1)
def reader():
    """The shipped engine: real DigitReader with the committed int8 model (one for all tests)."""
    from realtime.reader import DigitReader

    return DigitReader()


# --------------------------------------------------------------------------- strategies

@st.composite
def image_shapes(draw) -> tuple[int, ...]:
    """Mostly small images; also empty, 1 x 1, and very thin strips like 1 x 5000."""
    kind = draw(st.sampled_from(("small", "small", "small", "tiny", "thin", "empty")))
    if kind == "small":
        h, w = draw(st.integers(4, 96)), draw(st.integers(4, 96))
    elif kind == "tiny":
        h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    elif kind == "thin":
        short, long = draw(st.integers(1, 6)), draw(st.integers(200, 5000))
        h, w = (short, long) if draw(st.booleans()) else (long, short)
    else:
        h, w = draw(st.sampled_from(((0, 0), (0, 7), (7, 0), (0, 1))))
    channels = draw(st.sampled_from(CHANNELS))
    return (h, w) if channels is None else (h, w, channels)


def pattern_unit(pattern: str, shape2d: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A float image in 0..1 of the given pattern (strokes look like handwriting to the engine)."""
    h, w = shape2d
    if h == 0 or w == 0 or pattern == "constant":
        return np.full((h, w), rng.random(), np.float64)
    if pattern == "noise":
        return rng.random((h, w))
    if pattern == "gradient":
        return np.add.outer(np.linspace(0, rng.random(), h), np.linspace(0, rng.random(), w)) / 2
    canvas = np.full((h, w), 0.9 if rng.random() < 0.7 else 0.1, np.float32)
    ink = 1.0 - float(canvas[0, 0])
    if pattern == "blobs":
        for _ in range(rng.integers(1, 8)):
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            radius = int(rng.integers(1, max(2, min(h, w) // 3 + 1)))
            cv2.circle(canvas, centre, radius, ink, -1)
        return canvas.astype(np.float64)
    for _ in range(rng.integers(1, 12)):  # strokes: pen lines of digit-like size
        p0 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(canvas, p0, p1, ink, int(rng.integers(1, 4)))
    return canvas.astype(np.float64)


def to_dtype(unit: np.ndarray, dtype, rng: np.random.Generator, range_kind: str) -> np.ndarray:
    """Map a 0..1 image into dtype, over its usual range or an odd one (negative, huge)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return unit > 0.5
    if dtype.kind == "f":
        scale = {"usual": 1.0, "byte": 255.0, "wide": 65535.0, "odd": 1e6}[range_kind]
        offset = -scale / 2 if range_kind == "odd" else 0.0
        with np.errstate(over="ignore"):  # float16 overflows to inf: also a hostile value
            return (unit * scale + offset).astype(dtype)
    info = np.iinfo(dtype)
    if range_kind in ("usual", "byte"):
        lo, hi = max(info.min, 0), min(info.max, 255)
    else:
        lo, hi = info.min, info.max
    values = lo + unit * (float(hi) - float(lo))
    return np.clip(values, lo, hi).astype(dtype)


def sprinkle_specials(image: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """Put NaN / +-inf / extreme values into a float image at random places."""
    if image.dtype.kind != "f" or image.size == 0 or share == 0:
        return image
    image = image.copy()
    mask = rng.random(image.shape) < share
    values = rng.choice(np.array(FLOAT_SPECIALS, np.float64), size=int(mask.sum()))
    with np.errstate(over="ignore"):
        image[mask] = values.astype(image.dtype)
    return image


@st.composite
def hostile_images(draw) -> np.ndarray:
    """Any dtype, shape, content and memory layout an ndarray image can have."""
    shape = draw(image_shapes())
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    unit = pattern_unit(draw(st.sampled_from(PATTERNS)), shape[:2], rng)
    if len(shape) == 3:
        tint = rng.random(shape[2]) * 0.3 + 0.7 if draw(st.booleans()) else np.ones(shape[2])
        unit = unit[:, :, None] * tint
    image = to_dtype(unit, dtype, rng, draw(st.sampled_from(("usual", "byte", "wide", "odd"))))
    image = sprinkle_specials(image, rng, draw(st.sampled_from((0.0, 0.0, 0.01, 0.3, 1.0))))
    layout = draw(st.sampled_from(("c", "fortran", "strided", "readonly")))
    if layout == "fortran":
        image = np.asfortranarray(image)
    elif layout == "strided" and image.ndim >= 2:
        image = np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)[::2, ::2]  # same pixels, strided
    elif layout == "readonly":
        image.flags.writeable = False
    return image


tiny_raw_images = hnp.arrays(
    dtype=st.sampled_from((np.uint8, np.uint16, np.float32, np.float64, np.bool_, np.int32)),
    shape=st.one_of(hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=8),
                    st.tuples(st.integers(0, 8), st.integers(0, 8), st.sampled_from((1, 3, 4)))))


# --------------------------------------------------------------------------- the contract

def assert_valid_reading(reading, image: np.ndarray) -> None:
    """What every Reading must satisfy, whatever it read."""
    assert isinstance(reading, Reading)
    h, w = image.shape[:2]
    assert tuple(reading.image_size) == (w, h)
    for line in reading.lines:
        assert re.fullmatch(r"\d+( \d+)*", line), f"odd line {line!r}"
    assert sum(len(line.replace(" ", "")) for line in reading.lines) == len(reading.digits)
    for d in reading.digits:
        x, y, bw, bh = d.box
        assert 0 <= d.label <= 9
        assert 0.0 <= d.confidence <= 1.0
        assert 0 <= d.line < len(reading.lines)
        assert bw >= 1 and bh >= 1 and x >= 0 and y >= 0 and x + bw <= w and y + bh <= h, d.box
    per_line = ["".join(str(d.label) for d in reading.digits if d.line == i)
                for i in range(len(reading.lines))]
    assert per_line == [line.replace(" ", "") for line in reading.lines]
    assert all(np.isfinite(v) and v >= 0 for v in reading.timings_ms.values())


@hardening(CORE_EXAMPLES)
@given(image=hostile_images())
def test_read_never_raises_for_image_content(image):
    before = image.copy()
    reading = reader().read(image)
    event("read some digits" if reading.digits else "read nothing")  # both paths are exercised
    assert_valid_reading(reading, image)
    np.testing.assert_array_equal(image, before)  # the caller's array is left untouched


@hardening(SIDE_EXAMPLES)
@given(image=tiny_raw_images)
def test_read_never_raises_for_arbitrary_tiny_arrays(image):
    """Element by element from hypothesis: every NaN, subnormal, extreme int it can think of."""
    assert_valid_reading(reader().read(image), image)


def test_named_odd_images_read_as_blank_or_digits():
    """The issue's list, by name, so a regression says which one broke."""
    rng = np.random.default_rng(7)
    named = {
        "empty": np.zeros((0, 0), np.uint8), "1x1": np.zeros((1, 1), np.uint8),
        "all white": np.full((120, 160), 255, np.uint8), "all black": np.zeros((120, 160), np.uint8),
        "noise": rng.integers(0, 256, (240, 320, 3), dtype=np.uint8),
        "NaN float": np.full((64, 64), np.nan, np.float32),
        "inf float": np.full((64, 64, 3), np.inf), "16-bit": rng.integers(0, 65536, (64, 64), np.uint16),
        "bool": rng.random((64, 64)) > 0.5, "RGBA": rng.integers(0, 256, (64, 64, 4), np.uint8),
        "1x5000": rng.integers(0, 256, (1, 5000), np.uint8),
        "5000x1": rng.integers(0, 256, (5000, 1, 3), np.uint8),
    }
    for name, image in named.items():
        try:
            reading = reader().read(image)
        except Exception as e:  # noqa: BLE001 - report which input broke, then fail
            pytest.fail(f"read({name}) raised {type(e).__name__}: {e}")
        assert_valid_reading(reading, image)
    blank = reader().read(named["all white"])
    assert blank.lines == [] and blank.digits == []


# --------------------------------------------------------------------------- same pixels, other coding

def same_result(a, b) -> None:
    assert a.lines == b.lines
    assert [(d.label, d.box, d.line, round(d.confidence, 5)) for d in a.digits] == \
           [(d.label, d.box, d.line, round(d.confidence, 5)) for d in b.digits]


@st.composite
def gray_pages(draw) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    h, w = draw(st.integers(24, 120)), draw(st.integers(24, 160))
    unit = pattern_unit(draw(st.sampled_from(("strokes", "blobs"))), (h, w), rng)
    return (unit * 255).round().astype(np.uint8)


@hardening(SIDE_EXAMPLES)
@given(gray=gray_pages())
def test_equivalent_encodings_read_the_same(gray):
    """One picture as gray, H x W x 1, equal BGR, opaque BGRA, and 16-bit: one reading."""
    r = reader()
    base = r.read(gray)
    bgr = np.repeat(gray[:, :, None], 3, axis=2)
    same_result(base, r.read(gray[:, :, None]))
    same_result(base, r.read(bgr))
    same_result(base, r.read(np.dstack([bgr, np.full_like(gray, 255)])))
    same_result(base, r.read(gray.astype(np.uint16) * 257))


@hardening(SIDE_EXAMPLES)
@given(gray=gray_pages())
def test_bool_image_reads_like_its_black_and_white_bytes(gray):
    mask = gray > 127
    same_result(reader().read(mask), reader().read(mask.astype(np.uint8) * 255))


# --------------------------------------------------------------------------- not images

not_arrays = st.one_of(
    st.none(), st.text(max_size=20), st.binary(max_size=20), st.integers(), st.floats(),
    st.booleans(), st.lists(st.integers(0, 255), max_size=10),
    st.lists(st.lists(st.integers(0, 255), min_size=1, max_size=4), min_size=1, max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
    st.tuples(st.integers(), st.integers()))


@hardening(SIDE_EXAMPLES)
@given(value=not_arrays)
def test_non_arrays_are_a_type_error_saying_ndarray(value):
    with pytest.raises(TypeError, match="numpy ndarray image") as e:
        reader().read(value)
    assert type(value).__name__ in str(e.value)  # says what it got, too


@st.composite
def wrong_shapes(draw) -> tuple[int, ...]:
    kind = draw(st.sampled_from(("0-D", "1-D", "channels", "4-D+")))
    if kind == "0-D":
        return ()
    if kind == "1-D":
        return (draw(st.integers(0, 50)),)
    if kind == "channels":
        c = draw(st.sampled_from((0, 2, 5, 6, 8, 16)))
        return (draw(st.integers(0, 12)), draw(st.integers(0, 12)), c)
    return tuple(draw(st.lists(st.integers(1, 4), min_size=4, max_size=5)))


@hardening(SIDE_EXAMPLES)
@given(shape=wrong_shapes(), dtype=st.sampled_from((np.uint8, np.float32, np.bool_)))
def test_wrong_shapes_are_a_value_error_saying_what_is_expected(shape, dtype):
    with pytest.raises(ValueError, match="expected") as e:
        reader().read(np.zeros(shape, dtype))
    message = str(e.value)
    assert str(tuple(shape)) in message or f"{len(shape)}-D" in message  # says what it got
    assert "\n" not in message


@pytest.mark.parametrize("dtype", [np.complex64, object, "U3", "S2", "datetime64[s]",
                                   [("a", np.uint8), ("b", np.uint8)]])
def test_non_numeric_dtypes_are_a_value_error(dtype):
    with pytest.raises(ValueError, match="numeric image"):
        reader().read(np.zeros((8, 8), dtype))

"""The engine never raises on odd pixels: empty, tiny, flat, noise, NaN, 16-bit, bool, RGBA.
Only a non-array (TypeError) or a shape that is no image (ValueError) is refused."""
import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from realtime.reading import Reading
from tests.engine_helpers import real_reader


@pytest.fixture(scope="module")
def reader():
    return real_reader()


ODD_IMAGES = {
    "empty": np.zeros((0, 0), np.uint8),
    "empty rows": np.zeros((0, 50, 3), np.uint8),
    "1x1": np.zeros((1, 1), np.uint8),
    "1x1 colour": np.full((1, 1, 3), 255, np.uint8),
    "all white": np.full((480, 640, 3), 255, np.uint8),
    "all black": np.zeros((480, 640, 3), np.uint8),
    "uniform noise": np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8),
    "gaussian noise": np.clip(np.random.default_rng(1).normal(128, 40, (360, 640)), 0, 255).astype(np.uint8),
    "nan float": np.full((100, 100), np.nan, np.float32),
    "inf float": np.full((100, 100, 3), np.inf),
    "16-bit": np.random.default_rng(2).integers(0, 65536, (120, 160), dtype=np.uint16),
    "bool": np.random.default_rng(3).random((120, 160)) > 0.5,
    "rgba transparent": np.zeros((100, 100, 4), np.uint8),
    "one channel": np.full((100, 100, 1), 200, np.uint8),
    "tall thin": np.zeros((5000, 3), np.uint8),
    "wide thin": np.full((2, 8000, 3), 255, np.uint8),
    "int64 negative": np.random.default_rng(4).integers(-1000, 1000, (64, 64)),
}


@pytest.mark.parametrize("name", list(ODD_IMAGES))
def test_odd_image_gives_a_reading(reader, name):
    reading = reader.read(ODD_IMAGES[name])
    assert isinstance(reading, Reading)
    assert len(reading.lines) == len({d.line for d in reading.digits})
    assert reading.to_dict()["image_size"] == [ODD_IMAGES[name].shape[1], ODD_IMAGES[name].shape[0]]


@pytest.mark.parametrize("name", ["empty", "1x1", "all white", "all black", "uniform noise",
                                  "gaussian noise", "nan float", "rgba transparent"])
def test_blank_or_noise_reads_nothing(reader, name):
    assert reader.read(ODD_IMAGES[name]).digits == []


@pytest.mark.parametrize("bad", [None, "image.png", [[0, 1], [2, 3]], 3.5])
def test_non_array_is_type_error(reader, bad):
    with pytest.raises(TypeError, match="ndarray"):
        reader.read(bad)


@pytest.mark.parametrize("shape", [(100,), (10, 10, 5), (10, 10, 2), (2, 10, 10, 3)])
def test_wrong_shape_is_value_error(reader, shape):
    with pytest.raises(ValueError, match="expected"):
        reader.read(np.zeros(shape, np.uint8))


def test_complex_dtype_is_value_error(reader):
    with pytest.raises(ValueError, match="dtype"):
        reader.read(np.zeros((10, 10), np.complex64))


DTYPES = st.sampled_from([np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64, np.bool_])
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=48),
    st.tuples(st.integers(0, 48), st.integers(0, 48), st.sampled_from([1, 3, 4])),
)


@st.composite
def images(draw):
    dtype = draw(DTYPES)
    shape = draw(SHAPES)
    elements = None
    if np.dtype(dtype).kind == "f":
        elements = st.floats(allow_nan=True, allow_infinity=True, width=np.dtype(dtype).itemsize * 8)
    arr = draw(hnp.arrays(dtype, shape, elements=elements))
    # sometimes scale a small random field up to camera-ish size: real stages, not early exits
    if draw(st.booleans()) and arr.size and arr.shape[0] and arr.shape[1]:
        reps = (8, 8) + (1,) * (arr.ndim - 2)
        arr = np.kron(arr, np.ones(reps, dtype=arr.dtype)) if arr.dtype != np.bool_ else np.kron(arr, np.ones(reps, bool))
    return arr


# the property tests' settings: reproducible, and reading a page may take a while
PROPERTY = dict(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=1000, **PROPERTY)
@given(images())
def test_read_never_raises_on_arbitrary_arrays(reader, image):
    reading = reader.read(image)
    assert isinstance(reading, Reading)
    for d in reading.digits:
        x, y, w, h = d.box
        assert 0 <= d.label <= 9 and 0 <= x and 0 <= y and w > 0 and h > 0
        assert x + w <= image.shape[1] and y + h <= image.shape[0]


def test_a_lone_speck_sized_digit_is_not_read_but_a_small_real_one_is(reader):
    # noise fields and paper texture leave isolated 7-9 px marks that the classifier can call
    # digits with high confidence; a digit alone on its line must be >= lone_digit_min_px tall
    from tests.engine_helpers import on_paper, render_number

    def page(height):
        return np.pad(on_paper(render_number("5", height=height, seed=1)), 40, constant_values=235)

    assert reader.settings.lone_digit_min_px > 8
    assert reader.read(page(8)).digits == []
    assert reader.read(page(16)).text == "5"


def test_far_apart_specks_are_not_a_line_but_a_small_real_number_is(reader):
    # scattered specks of a noise field, each a "digit" under lone_digit_min_px between wide
    # gaps, used to make lines like "7 3"; the same digits close together are a number
    from tests.engine_helpers import on_paper, render_number

    def page(text, height):
        return np.pad(on_paper(render_number(text, height=height, seed=4, gap=0.3)), 40,
                      constant_values=235)

    assert reader.read(page("5  8  3", 8)).digits == []
    assert reader.read(page("583", 16)).text == "583"
    # the rule is about size: the same far-apart digits, readable size, are all kept
    assert reader.read(page("5  8  3", 20)).text.replace(" ", "") == "583"


@st.composite
def ruled_papers(draw):
    """Pages of lines (ruled, squared, fine or coarse, faint or dark), maybe turned or seen in
    perspective, with noise: what the paper rules (binarize.paper_lines and after) are given."""
    h, w = draw(st.integers(60, 360)), draw(st.integers(60, 640))
    page = np.full((h, w), draw(st.integers(150, 250)), np.uint8)
    grey = draw(st.integers(0, 220))
    step_x, step_y = draw(st.integers(3, 60)), draw(st.integers(3, 60))
    page[draw(st.integers(0, step_y - 1))::step_y, :] = grey
    if draw(st.booleans()):
        page[:, draw(st.integers(0, step_x - 1))::step_x] = grey
    angle, keystone = draw(st.floats(-25, 25)), draw(st.floats(0, 0.3))
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    page = cv2.warpAffine(page, turn, (w, h), borderMode=cv2.BORDER_REPLICATE)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    seen = np.float32([[keystone * w, 0], [w - keystone * w, 0], [w, h], [0, h]])
    page = cv2.warpPerspective(page, cv2.getPerspectiveTransform(corners, seen), (w, h))
    noise = np.random.default_rng(draw(st.integers(0, 2**16))).normal(0, draw(st.floats(0, 25)),
                                                                     page.shape)
    return np.clip(page + noise, 0, 255).astype(np.uint8)


@settings(max_examples=150, **PROPERTY)
@given(ruled_papers())
def test_read_never_raises_on_ruled_or_squared_paper(reader, page):
    reading = reader.read(page)
    assert isinstance(reading, Reading)
    assert all(0 <= d.label <= 9 and d.box[2] > 0 and d.box[3] > 0 for d in reading.digits)

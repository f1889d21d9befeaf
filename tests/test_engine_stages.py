"""Each engine stage on its own (no classifier needed)."""
import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from realtime import binarize as bz
from realtime import components as cp
from realtime import image as im
from realtime import light
from realtime import lines as ln
from realtime import reader as rd
from realtime import segment as sg
from realtime.overlay import draw
from realtime.reading import Digit, Reading
from realtime.synth import make_page
from tests.engine_helpers import on_paper, real_reader, render_number

# ---- input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("image", [
    np.zeros((10, 12), np.uint8),
    np.zeros((10, 12, 3), np.uint8),
    np.zeros((10, 12, 4), np.uint8),
    np.zeros((10, 12, 1), np.uint16),
    np.ones((10, 12), bool),
    np.full((10, 12), np.nan, np.float32),
    np.linspace(0, 1, 120).reshape(10, 12),
])
def test_to_gray_gives_2d_uint8_of_same_size(image):
    g = im.to_gray(image)
    assert g.dtype == np.uint8 and g.shape == (10, 12)


def test_to_gray_scales_16bit_and_float_and_bool():
    assert im.to_gray(np.full((2, 2), 65535, np.uint16)).max() == 255
    assert im.to_gray(np.full((2, 2), 1.0, np.float64)).max() == 255
    assert im.to_gray(np.ones((2, 2), bool)).min() == 255
    assert im.to_gray(np.full((2, 2), np.nan)).max() == 0


def test_transparent_bgra_is_white_paper():
    bgra = np.zeros((4, 4, 4), np.uint8)  # black but fully transparent
    assert im.to_gray(bgra).min() == 255


def test_non_array_is_type_error():
    with pytest.raises(TypeError, match="ndarray"):
        im.to_gray([[0, 1], [2, 3]])


@pytest.mark.parametrize("shape", [(10,), (4, 4, 5), (2, 3, 4, 3)])
def test_wrong_shape_is_value_error_saying_what_is_expected(shape):
    with pytest.raises(ValueError, match="expected"):
        im.to_gray(np.zeros(shape, np.uint8))


def test_working_scale_bounds_the_longest_side():
    assert im.working_scale((720, 1280)) == 1.0
    s = im.working_scale((3000, 4000), 1600)
    assert round(4000 * s) == 1600


# ---- light and polarity ------------------------------------------------------------------------

def test_polarity_paper_and_blackboard():
    ink = render_number("3071", 60)
    paper = on_paper(ink, paper=230, pen=40)
    board = on_paper(ink, paper=45, pen=215)
    for gray, dark in ((paper, True), (board, False)):
        assert light.ink_is_dark(gray) is dark


@pytest.mark.parametrize("seed, dark", [(5215, True), (5291, True), (5138, False), (1017, True)])
def test_polarity_in_doubt_is_decided_again_at_full_detail(seed, dark, monkeypatch):
    # synthetic pages (tuning seeds; 1017, a benchmark page: three small digits inside a hard
    # shadow, thumbnail tail ratio 0.5) whose shrunken thumbnail guesses wrong: small digits, a
    # hard shadow or a board; the close call sends them to the unshrunk second look
    from realtime.synth import make_page

    gray = im.to_gray(make_page(seed)[0])
    work = im.to_working(gray, im.working_scale(gray.shape))
    assert light.ink_is_dark(work) is dark
    monkeypatch.setattr(light, "UNCERTAIN_TAIL_RATIO", (1.0, 0.0))  # empty: no second look
    assert light.ink_is_dark(work) is not dark


def _page_with_a_slanted_shadow() -> tuple[np.ndarray, np.ndarray]:
    """(gray 720 x 1280 page, ink alpha) with pencil digits and a hard shadow whose slanted
    edge runs across the page, the digits beside it."""
    ink = render_number("4957", 40, canvas=(720, 1280), origin=(520, 330))
    gray = on_paper(ink, paper=225, pen=120).astype(np.float32)
    rows, cols = np.mgrid[0:720, 0:1280]
    gray[cols > 200 + 0.9 * rows] *= 0.5  # the shadow: right of a line at ~42 degrees
    return gray.astype(np.uint8), ink


def test_slanted_hard_shadow_edge_is_no_strip_of_ink(monkeypatch):
    gray, ink = _page_with_a_slanted_shadow()
    paper = cv2.dilate((ink > 0).view(np.uint8), np.ones((5, 5), np.uint8)) == 0

    def strip_pixels() -> int:
        bg = light.estimate_background(gray, True)
        contrast, _ = light.contrast_maps(gray, bg, True)
        return int(np.count_nonzero(contrast[paper] >= 60))

    sharp = strip_pixels()
    monkeypatch.setattr(light, "SHADOW_STEP", 256)  # no step is hard: the smeared background
    smeared = strip_pixels()
    assert smeared > 2000 and sharp < 0.05 * smeared



@pytest.mark.parametrize("strip", [16, 128, 10_000])
@pytest.mark.parametrize("dark", [True, False])
def test_shadow_edge_sharpened_strip_by_strip_as_by_one_page_size_closing(strip, dark, monkeypatch):
    gray, _ = _page_with_a_slanted_shadow()
    if not dark:
        gray = 255 - gray
    window = max(light.MIN_BACKGROUND_WINDOW, 1280 * light.BACKGROUND_WINDOW)
    small, _ = light._shrink(gray, window)
    small_bg = cv2.blur(cv2.medianBlur(cv2.blur(small, (3, 3)), 21), (3, 3))
    edges = light.hard_edges(small_bg)
    assert edges is not None
    bg = cv2.resize(small_bg, (1280, 720), interpolation=cv2.INTER_LINEAR)
    # the reference: one closing (opening) of the whole page, the band resized to full size
    k = max(3, int(window / 4) | 1)
    op = cv2.MORPH_CLOSE if dark else cv2.MORPH_OPEN
    local = cv2.morphologyEx(gray, op, np.ones((k, k), np.uint8), borderType=cv2.BORDER_REPLICATE)
    band = cv2.resize(edges.view(np.uint8), (1280, 720), interpolation=cv2.INTER_NEAREST)
    expected = bg.copy()
    cv2.copyTo(cv2.min(bg, local) if dark else cv2.max(bg, local), band, expected)
    monkeypatch.setattr(light, "BAND_STRIP", strip)
    got = light.sharpen_edges(gray, bg.copy(), edges, dark, window)
    assert np.array_equal(got, expected)
    assert not np.array_equal(got, bg)  # (the band did change the background)


def test_nearest_sources_are_opencvs_nearest_neighbour_resize():
    rng = np.random.default_rng(5)
    for n_in, n_out in ((144, 720), (256, 1280), (37, 200), (50, 51), (7, 50)):
        row = rng.integers(0, 255, (1, n_in), dtype=np.uint8)
        resized = cv2.resize(row, (n_out, 1), interpolation=cv2.INTER_NEAREST)[0]
        assert np.array_equal(resized, row[0, light.nearest_sources(n_out, n_in)])


def test_big_bold_digit_is_no_shadow_edge():
    ink = render_number("6", 300, canvas=(720, 1280), origin=(500, 600))
    ink = cv2.dilate(ink, np.ones((15, 15), np.uint8))  # a felt-pen stroke, ~20 px thick
    gray = on_paper(ink)
    small = cv2.resize(gray, (256, 144), interpolation=cv2.INTER_AREA)
    assert light.hard_edges(cv2.medianBlur(small, 21)) is None


@pytest.mark.parametrize("seed", [5547, 5577])
def test_polarity_beside_a_hard_shadow_edge(seed, monkeypatch):
    # synthetic pages (tuning seeds) of faint writing beside a hard shadow's edge, whose
    # smeared median leaves long tails of both signs that outweigh the ink's
    from realtime.synth import make_page

    gray = im.to_gray(make_page(seed)[0])
    work = im.to_working(gray, im.working_scale(gray.shape))
    assert light.ink_is_dark(work)
    monkeypatch.setattr(light, "hard_edges", lambda _: None)  # the edge's band counted in ...
    assert light.ink_is_dark(work)  # (... its blobs are left out as regions, not strokes)
    monkeypatch.setattr(light, "regions_not_strokes",  # ... and its blobs too
                        lambda residual, width=3: np.zeros(residual.shape, bool))
    assert not light.ink_is_dark(work)


def test_light_ink_contrast_on_a_mid_grey_board_does_not_wrap():
    # chalk contrast is relative to the room above the board, capped at twice the board: for
    # a board of 140, twice is 280, which must saturate, not wrap to 24
    board = np.full((8, 8), 140, np.uint8)
    chalk = board + np.uint8(10)
    contrast = light.contrast_map(chalk, board, dark_ink=False, ink_side=True)
    assert np.all(np.abs(contrast.astype(int) - round(10 / 115 * 255)) <= 1)


def test_hard_shadow_is_divided_out():
    ink = render_number("58", 60)
    gray = on_paper(ink).astype(np.float32)
    gray[:, : gray.shape[1] // 2] *= 0.45  # a hard shadow over the left digit
    gray = gray.astype(np.uint8)
    bg = light.estimate_background(gray, True)
    contrast, _ = light.contrast_maps(gray, bg, True)
    strokes = ink > 0.8
    paper = ink == 0
    # the shadow edge itself is paper: it must not look like ink
    assert np.percentile(contrast[paper], 99.5) < 60
    # the digit in the shadow is as strong as the one in the light
    left = contrast[:, : gray.shape[1] // 2][strokes[:, : gray.shape[1] // 2]]
    right = contrast[:, gray.shape[1] // 2:][strokes[:, gray.shape[1] // 2:]]
    assert abs(np.median(left) - np.median(right)) < 40


# ---- binarize ----------------------------------------------------------------------------------

def test_hysteresis_keeps_faint_stroke_connected_to_strong_one_only():
    ink = np.zeros((20, 60), np.uint8)
    ink[5:8, 5:30] = 200      # strong
    ink[5:8, 30:50] = 40      # faint, touching the strong stroke
    ink[15:18, 5:50] = 40     # faint, alone (texture)
    mask = bz.hysteresis(ink, 30, 120)
    assert mask[6, 45] and not mask[16, 20]
    # the faint mark left out is kept aside (box and area), through the later stages too
    comps = bz.hysteresis_components(ink, 30, 120)
    assert comps.faint.tolist() == [[5, 15, 45, 3, 135]]
    assert comps.subset(np.zeros(len(comps), bool)).faint.tolist() == [[5, 15, 45, 3, 135]]
    assert bz.relabel_stripped(comps, [(0, np.ones((3, 45), bool))]).faint.tolist() == [[5, 15, 45, 3, 135]]


def _sparse_strokes(seed: int) -> np.ndarray:
    """A 400 x 500 ink map (160k+ pixels) of scattered strokes of mixed strength, ~2 % inked."""
    rng = np.random.default_rng(seed)
    ink = np.zeros((400, 500), np.uint8)
    for _ in range(60):
        x, y = (int(v) for v in rng.integers(0, 480, 2))
        cv2.line(ink, (x, y % 400), (x + int(rng.integers(-20, 20)), (y + 15) % 400),
                 int(rng.integers(30, 255)), int(rng.integers(1, 4)))
    return ink


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_labelling_gives_opencvs_labels_and_statistics(seed):
    mask = (_sparse_strokes(seed) > 0).view(np.uint8)
    assert mask.size >= cp.SPARSE_MIN_PIXELS and mask.mean() < cp.SPARSE_SHARE
    n, labels, stats, runs = cp.label_components(mask)
    assert runs is not None  # (the sparse path was taken)
    n_cv, labels_cv, stats_cv, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask, 8, cv2.CV_32S, cv2.CCL_GRANA)
    assert n == n_cv and np.array_equal(labels, labels_cv)
    assert np.array_equal(stats[1:], stats_cv[1:])
    assert stats[0].tolist() == [0, 0, 500, 400, int(np.count_nonzero(mask == 0))]
    flat = runs.flat
    ys, xs = np.divmod(flat, 500)
    assert np.all(mask[ys, xs])
    assert flat.size == np.count_nonzero(mask) and np.all(np.diff(flat) > 0)  # raster order
    # each run: pixels side by side on one row, all of its label, and no run could go on
    for k, (a, b) in enumerate(zip(runs.starts, runs.ends, strict=True)):
        assert np.all(labels[ys[a:b], xs[a:b]] == runs.labels[k])
        assert np.all(np.diff(flat[a:b]) == 1) and ys[a] == ys[b - 1]
    assert runs.ends[-1] == flat.size and np.array_equal(runs.starts[1:], runs.ends[:-1])
    joined = (np.diff(flat)[runs.starts[1:] - 1] == 1) & (ys[runs.starts[1:]] == ys[runs.starts[1:] - 1])
    assert not joined.any()


def test_sparse_labelling_keeps_apart_runs_that_wrap_from_one_row_to_the_next():
    # a row's last pixel and the next row's first are neighbours in the flat index, not on
    # the page: a run must not carry over (two labels, one each side)
    mask = np.zeros((200, 100), np.uint8)
    mask[50, 97:100] = 1
    mask[51, 0:3] = 1
    n, labels, stats, runs = cp.label_components(mask)
    assert runs is not None
    n_cv, _, stats_cv, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S,
                                                                         cv2.CCL_GRANA)
    assert n == n_cv == 3 and np.array_equal(stats[1:], stats_cv[1:])


def test_ink_runs_tell_which_labels_reach_a_level():
    ink = _sparse_strokes(3)
    mask = (ink > 0).view(np.uint8)
    n, labels, _, runs = cp.label_components(mask)
    values = ink.ravel()[runs.flat]
    for level in (1, 60, 150, 254):
        expected = np.zeros(n, bool)
        expected[labels[ink >= level]] = True
        expected[0] = False
        assert np.array_equal(runs.any_at_least(values, level, n), expected), level


@pytest.mark.parametrize("seed", [0, 1])
def test_hysteresis_reads_a_sparse_page_as_the_full_scan_does(seed, monkeypatch):
    ink = _sparse_strokes(seed)
    sparse = bz.hysteresis_components(ink, 40, 150)
    monkeypatch.setattr(cp, "SPARSE_SHARE", 0.0)  # every mask takes OpenCV's statistics
    full = bz.hysteresis_components(ink, 40, 150)
    assert len(sparse) > 5
    for field in ("ids", "boxes", "areas", "faint"):
        assert np.array_equal(getattr(sparse, field), getattr(full, field)), field


def _bold_print(shape=(160, 400)) -> np.ndarray:
    """An ink map with a row of bold printed strokes (contrast 230, soft edges) at its left."""
    ink = np.zeros(shape, np.uint8)
    for x in range(10, 150, 14):
        ink[40:80, x:x + 6] = np.array([120, 200, 230, 230, 200, 120], np.uint8)
    return ink


def test_writing_the_print_outshines_is_thresholded_on_its_own(monkeypatch):
    """A pencil number beside black print: its strokes (40) stay under the page's low threshold,
    set from the print, so they are no component at all until the rest of the ink map is
    thresholded again on its own (binarize.with_outshone_writing)."""
    ink = _bold_print()
    cv2.ellipse(ink, (300, 60), (12, 20), 0, 0, 360, 40, 3)   # a pencil "0"
    noise = np.zeros(ink[::2, ::2].shape, np.uint8)
    low, _ = bz.thresholds(ink, noise)
    assert low > 40
    lefts = [int(b[0]) for b in bz.binarize(ink, noise).boxes]
    assert len(lefts) == 11 and 285 <= max(lefts) <= 290     # ten print strokes and the 0
    # a light ruled line or a short faint dash is not writing
    ruled = _bold_print()
    ruled[120:123, 160:390] = 40
    ruled[100:104, 200:230] = 40
    assert len(bz.binarize(ruled, noise)) == 10
    # a few faint samples only: no second pass
    monkeypatch.setattr(bz, "OUTSHONE_MIN_SAMPLES", 10**6)
    assert len(bz.binarize(ink, noise)) == 10


def _faint_ring(ink: np.ndarray, x: int, level: int) -> None:
    cv2.ellipse(ink, (x, 20), (7, 10), 0, 0, 360, level, 2)  # a small faint "0"


def test_a_faint_digit_beside_strong_ink_is_kept_with_paper_around_it():
    ink = np.zeros((40, 120), np.uint8)
    ink[10:30, 5:8] = 200                 # a strong "1" sets the high threshold
    _faint_ring(ink, 40, 80)              # a faint 0 (0.53 of high), clean paper around it
    ink[:, 88:] = 25                      # a shadow's dark side carries some "ink" contrast
    _faint_ring(ink, 90, 80)              # ... and the same mark on its edge
    comps = bz.hysteresis_components(ink, 40, 150)
    kept = {int(comps.boxes[i, 0]) for i in range(len(comps))}
    assert 5 in kept and 32 in kept       # the 1 and the faint 0 on paper
    assert not any(80 <= x < 100 for x in kept)
    # too weak to seed (under FAINT_SEED = 0.5 of high), or a page full of such marks: left out
    weak = np.zeros((40, 120), np.uint8)
    weak[10:30, 5:8] = 200
    _faint_ring(weak, 40, 70)
    assert len(bz.hysteresis_components(weak, 40, 150)) == 1
    speckled = np.zeros((200, 300), np.uint8)
    speckled[10:30, 5:8] = 200
    for k in range(bz.FAINT_MAX_CANDIDATES + 1):
        y, x = 20 + 18 * (k // 14), 20 + 20 * (k % 14)
        speckled[y:y + 4, x:x + 4] = 105
    assert len(bz.hysteresis_components(speckled, 40, 150)) == 1


def test_writing_on_a_textured_background_is_not_noise():
    # a cheque's printed texture is strong on both sides of the paper level; the writing adds
    # about as much again on the ink side: that is writing, not a noise field
    rng = np.random.default_rng(0)
    noise = (rng.random((100, 150)) < 0.02).astype(np.uint8) * 200   # the subsampled map
    ink = np.zeros((200, 300), np.uint8)
    ink[::2, ::2] = noise
    ink[40:160:2, 60:240:2][rng.random((60, 90)) < 0.05] = 200         # the digits' strokes
    assert not bz.looks_like_noise(ink, noise, 100)
    # ... while a field as strong on both sides is noise
    assert bz.looks_like_noise(np.kron(noise, np.ones((2, 2), np.uint8)), noise, 100)



@pytest.mark.parametrize("shape, step", [((200, 300), 2), ((720, 1280), 4)])
def test_noise_is_sampled_alike_on_both_sides(shape, step):
    # the noise map's sampling step grows on big images; the ink map is counted at the same one
    assert light.noise_step(shape) == step
    rng = np.random.default_rng(2)
    gray = (200 + rng.normal(0, 25, shape)).clip(0, 255).astype(np.uint8)  # a noise field
    bg = np.full(shape, 200, np.uint8)
    ink, noise = light.contrast_maps(gray, bg, True)
    assert noise.shape == ((shape[0] + step - 1) // step, (shape[1] + step - 1) // step)
    assert bz.looks_like_noise(ink, noise, 40)
    writing = ink.copy()
    writing[shape[0] // 4: shape[0] // 2, shape[1] // 4: shape[1] // 2] = 200  # strong ink
    assert not bz.looks_like_noise(writing, noise, 40)

def test_pencil_stroke_survives_noise():
    rng = np.random.default_rng(1)
    ink = render_number("47", 50)
    gray = on_paper(ink, paper=215, pen=150).astype(np.float32)  # faint pencil
    gray += rng.normal(0, 4, gray.shape)
    gray = np.clip(gray, 0, 255).astype(np.uint8)
    bg = light.estimate_background(gray, True)
    contrast, noise = light.contrast_maps(gray, bg, True)
    mask = bz.binarize(contrast, noise).mask()
    strokes = ink > 0.8
    assert mask[strokes].mean() > 0.8
    assert mask[ink == 0].mean() < 0.01


def test_ruled_line_removed_but_touching_digit_kept():
    ink = render_number("2", 60, canvas=(150, 600), origin=(250, 100))
    rule = np.zeros_like(ink)
    cv2.line(rule, (0, 100), (599, 92), 1.0, 2)  # slightly tilted, touching the digit's foot
    mask = (np.maximum(ink, rule) > 0.5)
    n_before = cp.find_components(mask)
    assert len(n_before) == 1  # digit and line are one component
    cleaned = bz.remove_long_lines(mask, typical_height=60)
    rule_only = (rule > 0.5) & (ink < 0.1)
    assert cleaned[rule_only].mean() < 0.05          # the line is gone
    digit = (ink > 0.5) & (rule < 0.1)
    assert cleaned[digit].mean() > 0.9               # the digit is not eaten
    comps = cp.find_components(cleaned, min_area=10)
    assert len(comps) == 1 and comps.boxes[0, 3] >= 50


def _squared_paper(shape=(200, 320), spacing: int = 25) -> np.ndarray:
    """Bool mask of squared paper's lines (1 px, every `spacing` px each way)."""
    grid = np.zeros(shape, bool)
    grid[3::spacing, :] = True
    grid[:, 3::spacing] = True
    return grid


def test_squared_paper_loses_its_lines_and_keeps_what_is_written_on_it():
    grid = _squared_paper()
    written = np.zeros(grid.shape, np.uint8)
    cv2.ellipse(written, (100, 100), (14, 22), 0, 0, 360, 1, 3)  # a "0" across two squares
    cv2.line(written, (170, 80), (172, 124), 1, 3)               # a "1"
    roi = grid | written.view(bool)
    assert len(cp.find_components(roi)) == 1                   # all one component
    assert bz.strip_grid(roi)
    assert not roi[grid & (written == 0)].any()                 # the lines are gone
    off_lines = written.view(bool) & ~cv2.dilate(grid.view(np.uint8), np.ones((5, 5), np.uint8)).view(bool)
    assert roi[off_lines].all()                                 # the writing is kept
    assert len(cp.find_components(roi, min_area=10)) >= 2       # the 0 and the 1 apart


def test_a_ruled_comb_loses_its_lines_and_margin_but_not_a_tall_1():
    """A ruled page whose margin joins its lines: the lines across (evenly spaced) and the
    margin (upright along most of the height) go; a "1" crossing two lines is far shorter."""
    comb = np.zeros((200, 400), np.uint8)
    comb[5::30, :] = 1
    comb[:, 40:42] = 1
    cv2.line(comb, (200, 60), (202, 130), 1, 3)                    # a 1 across two lines
    roi = comb.view(bool).copy()
    assert bz.strip_grid(roi)
    assert not roi[5::30, 60:190].any() and not roi[:, 40:42].any()
    kept = roi[:, 197:206].any(axis=1)
    assert kept[68:93].all() and kept[98:123].all()                  # the 1, between the lines


def test_a_comb_field_loses_its_boxes_and_keeps_the_digits_inside():
    """Digits each in a printed box, side by side: the top and bottom lines and the evenly
    spaced sides go (they read as 1s), the digits inside, smaller than their boxes, stay."""
    comb = np.zeros((70, 380), np.uint8)
    cv2.rectangle(comb, (2, 2), (2 + 7 * 52, 66), 1, 2)
    for k in range(1, 7):
        cv2.line(comb, (2 + 52 * k, 2), (2 + 52 * k, 66), 1, 2)
    digits = np.zeros_like(comb)
    for k in range(7):
        cv2.ellipse(digits, (28 + 52 * k, 34), (10, 18), 0, 0, 360, 1, 3)   # a 0 in each box
    roi = (comb | digits).view(bool).copy()
    assert bz.strip_comb(roi)
    assert not roi[:, 1:6].any() and not roi[0:5, 60:100].any()            # sides and top
    assert roi[digits.view(bool)].mean() > 0.99
    assert len(cp.find_components(roi, min_area=10)) == 7
    # a box with two sides round a number is no comb field (strip_frame's)
    box = np.zeros((70, 380), np.uint8)
    cv2.rectangle(box, (2, 2), (370, 66), 1, 2)
    assert not bz.strip_comb((box | digits).view(bool).copy())


def test_lattice_step_of_squared_paper_of_fine_graph_paper_and_of_digit_strokes():
    # squared paper: the median gap, a missing line (a gap of two steps) allowed
    assert bz.lattice_step(np.array([3.0, 48, 93, 183, 228])) == 45.0
    # fine graph paper whose minor lines were found in part: the smallest gap they all fill
    assert bz.lattice_step(np.array([3.0, 63, 75, 111, 123, 147, 183, 243])) == 12.0
    # ... which takes six lines at least: five such could be a number's strokes
    assert bz.lattice_step(np.array([3.0, 63, 75, 111, 123])) is None
    # the upright strokes of handwritten digits are not on a lattice
    assert bz.lattice_step(np.array([10.0, 31, 58, 77, 104, 139, 151])) is None


def test_fine_graph_paper_loses_the_minor_lines_the_threshold_left_in_pieces():
    """12 px squares, a major line every fifth; most minor lines only in pieces (too broken
    for the Hough transform, which finds the major ones and a few others): the lines it did
    not find are erased too, at the lattice's places, so no pieces of them are left."""
    grid = np.zeros((240, 480), bool)
    grid[3::60, :] = grid[:, 3::60] = True                      # major lines, whole
    rng = np.random.default_rng(0)
    for at in range(15, 480, 12):
        if (at - 3) % 60:
            on = rng.random(480) < (0.9 if at in (75, 111, 135) else 0.3)
            grid[:, at][on[:240]] = True                       # minor upright lines, broken
            if at < 240:
                grid[at, :][on] = True                         # minor lines across, broken
    written = np.zeros(grid.shape, np.uint8)
    cv2.ellipse(written, (200, 120), (14, 22), 0, 0, 360, 1, 3)  # a "0" across the squares
    roi = grid | written.view(bool)
    assert bz.strip_grid(roi)
    off_writing = ~cv2.dilate(written, np.ones((7, 7), np.uint8)).view(bool)
    assert not roi[grid & off_writing].any()                     # no piece of a line is left
    lattice = np.zeros(grid.shape, np.uint8)
    lattice[3::12, :] = lattice[:, 3::12] = 1
    off_lattice = ~cv2.dilate(lattice, np.ones((5, 5), np.uint8)).view(bool)
    assert roi[written.view(bool) & off_lattice].all()           # the 0 is kept between them


def test_finest_step_is_measured_on_all_the_gaps():
    # (the smallest gap, 24, alone would put every fourth line drawn between the paper's)
    step = bz.finest_step(np.array([25.0, 26, 24, 25, 50, 26, 25, 25]))
    assert abs(step - 25.1) < 0.05
    assert bz.finest_step(np.array([25.0, 38, 61, 17])) is None


def test_a_grid_line_piece_joined_to_a_digit_goes_with_the_grid():
    """The threshold parted a piece of a light grid line from the grid and joined it to a digit
    (it stayed on as a tick, or read as a 1): once the grid is found, its lines go from the
    other components too, but only their weak pixels (the digit's strokes on a line stay)."""
    contrast = np.zeros((200, 320), np.uint8)
    contrast[3::25, :] = 60
    contrast[:, 3::25] = 60                                      # light squared paper
    contrast[95:150, 112:166] = 0                                # ... broken round the 7:
    contrast[100:146, 128] = 60                                  # a piece of its line, apart
    seven = np.zeros_like(contrast)
    cv2.line(seven, (128, 106), (152, 106), 1, 3)
    cv2.line(seven, (152, 106), (140, 140), 1, 3)                # a 7 touching the piece
    contrast[seven.view(bool)] = 220
    comps = cp.find_components(contrast > 30)
    assert len(comps) == 2                                       # the grid; the 7 with the piece
    out = bz.strip_lines(comps, 35.0, contrast)
    kept = out.mask()
    assert kept[seven.view(bool)].all()                          # the 7, all of it
    assert not kept[100:146, 128][~seven[100:146, 128].view(bool)].any()   # not the piece
    assert not kept[contrast == 60].any()                        # nor any grid line


def test_pieces_as_faint_as_the_paper_go_once_a_paper_is_found():
    """Once a page's paper is found (its strong-stroke level known), a component no stronger
    than the paper's lines is a piece of it; the writing, much stronger, stays."""
    contrast = np.zeros((120, 200), np.uint8)
    contrast[10:40, 20] = 60                                      # a piece of a grid line
    cv2.line(contrast, (100, 20), (104, 80), 220, 3)                # a "1" written on it
    comps = cp.find_components(contrast > 30)
    assert len(comps) == 2
    kept = bz.without_paper_pieces(comps, contrast, strong=100.0)
    assert len(kept) == 1 and kept.boxes[0, 0] >= 90               # the 1 (at x 98), not the piece
    assert not (kept.labels[10:40, 20] > 0).any()                  # gone from the labels too


def test_a_pen_reaching_into_the_frame_is_no_writing_but_a_tall_first_digit_is():
    """A component touching the image's edge and over INTRUDER_TALL x the usual height goes (a
    pen over the number); a first digit 2.7 x the rest, reaching the edge, stays (a cheque)."""
    mask = np.zeros((240, 400), np.uint8)
    for x in (20, 50, 80, 110, 140, 170):
        cv2.line(mask, (x, 150), (x + 4, 190), 1, 3)                 # six 1s, 40 px tall
    cv2.line(mask, (200, 185), (390, 0), 1, 14)                       # a pen, out of the frame
    comps = cp.find_components(mask.view(bool))
    typical = cp.typical_height(comps.boxes, comps.areas)
    kept = cp.drop_intruders(comps, typical)
    assert len(comps) == 7 and len(kept) == 6 and kept.boxes[:, 3].max() <= 45
    cheque = np.zeros((120, 300), np.uint8)
    cv2.line(cheque, (10, 0), (14, 119), 1, 4)                        # a tall 1 at the edge
    for x in (60, 110, 160, 210):
        cv2.circle(cheque, (x, 95), 20, 1, 3)                         # four 0s, 44 px tall
    comps = cp.find_components(cheque.view(bool))
    assert len(cp.drop_intruders(comps, cp.typical_height(comps.boxes, comps.areas))) == 5


def test_a_sliver_along_the_frame_goes_but_a_1_touching_it_stays():
    """A thin strip lying along the image's side (the table beside a turned sheet) is no
    writing; a 1 whose foot touches the frame's bottom edge is."""
    mask = np.zeros((200, 300), np.uint8)
    mask[60:110, 0:5] = 1                                             # a sliver at the left side
    cv2.line(mask, (150, 150), (154, 199), 1, 3)                      # a 1 reaching the bottom
    cv2.circle(mask, (220, 170), 18, 1, 3)                            # a 0
    comps = cp.find_components(mask.view(bool))
    kept = bz.drop_frame_sides(comps, mask.shape, typical_height=40.0)
    assert len(comps) == 3 and len(kept) == 2 and kept.boxes[:, 0].min() >= 140
    foot = np.zeros((60, 200), np.uint8)
    foot[58:60, 60:67] = 1                                            # a digit's foot, cut off
    cv2.circle(foot, (120, 35), 18, 1, 3)
    comps = cp.find_components(foot.view(bool))
    assert len(bz.drop_frame_sides(comps, foot.shape, typical_height=40.0)) == 2


def test_a_bright_region_s_corners_are_no_ink_for_the_polarity_guess():
    """A light card, smaller than the polarity test's median window, with dark digits on it,
    on a darker desk: its corners are regions of light residual, left out of the thumbnail's
    guess, which is no longer a sure "chalk" (the reader then reads both signs); thin light
    strokes on a dark board are still chalk."""
    card = np.full((240, 320), 200, np.uint8)
    card[66:174, 88:232] = 222                                        # the card
    for x in (140, 152, 164, 176):
        cv2.line(card, (x, 115), (x + 2, 124), 40, 1)                 # small dark 1s on it
    dark, in_doubt = light.ink_polarity(card)
    assert dark or in_doubt
    board = np.full((240, 320), 50, np.uint8)
    for x in (60, 110, 160, 210):
        cv2.line(board, (x, 90), (x + 4, 150), 230, 3)                # chalk 1s
    assert not light.ink_polarity(board)[0]


def test_a_long_straight_stroke_is_no_digit_but_a_long_curved_one_may_be():
    mask = np.zeros((200, 300), np.uint8)
    cv2.line(mask, (20, 190), (90, 60), 1, 8)                         # a pen: 148 px, straight
    cv2.line(mask, (150, 150), (153, 190), 1, 3)                      # a 1, 40 px
    cv2.ellipse(mask, (240, 110), (30, 80), 0, 200, 520, 1, 3)        # a tall curved stroke
    comps = cp.find_components(mask.view(bool))
    by_x = np.argsort(comps.boxes[:, 0])
    assert [sg.long_straight_stroke(comps, int(i), 40.0) for i in by_x] == [True, False, False]


def test_a_box_or_a_ruled_line_with_digits_is_no_grid():
    """Squared paper needs three evenly spaced lines each way; a box round digits has two,
    and the strokes of digits standing on a rule are not evenly spaced lines."""
    box = np.zeros((120, 320), np.uint8)
    cv2.rectangle(box, (5, 5), (314, 114), 1, 2)
    for x in (40, 90, 190):
        cv2.line(box, (x, 25), (x + 4, 95), 1, 3)                # three 1s inside it
    roi = box.view(bool).copy()
    assert not bz.strip_grid(roi) and np.array_equal(roi, box.view(bool))
    ruled = np.zeros((90, 400), np.uint8)
    ruled[80:82] = 1
    for x in (30, 75, 170, 200, 330):                             # 1s of a number on a rule
        cv2.line(ruled, (x, 10), (x + 3, 80), 1, 3)
    assert not bz.strip_grid(ruled.view(bool).copy())


def _small_ring_on_a_light_line(ring_contrast: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(contrast map, ring pixels) of a small loop (a 6's, 14 px) whose bottom lies along a
    light ruled line (contrast 60) that runs the width of the image."""
    contrast = np.zeros((40, 240), np.uint8)
    contrast[29:32] = 60
    ring = np.zeros_like(contrast)
    cv2.ellipse(ring, (120, 23), (6, 7), 0, 0, 360, 255, 2)  # bottom rows 29-30
    contrast = np.maximum(contrast, (ring > 0) * np.uint8(ring_contrast))
    return contrast, ring > 0


def test_line_removal_gives_back_strong_strokes_along_a_light_line():
    contrast, ring = _small_ring_on_a_light_line()
    comps = cp.find_components(contrast >= 30)
    assert len(comps) == 1  # loop and line are one component
    cleaned = bz.strip_lines(comps, typical_height=14, contrast=contrast).mask()
    assert cleaned[ring].mean() > 0.95          # the loop keeps its bottom ...
    assert not cleaned[:, :100].any() and not cleaned[:, 140:].any()  # ... the line is gone
    # without the contrast map the band along the line is cleared, loop bottom and all
    blind = bz.strip_lines(cp.find_components(contrast >= 30), typical_height=14).mask()
    assert blind[ring].mean() < 0.9


def test_line_as_dark_as_the_writing_is_cleared_as_before():
    contrast, ring = _small_ring_on_a_light_line(ring_contrast=70)
    with_map = bz.strip_lines(cp.find_components(contrast >= 30), 14, contrast).mask()
    blind = bz.strip_lines(cp.find_components(contrast >= 30), 14).mask()
    assert np.array_equal(with_map, blind)


def _zeros_on_a_line(n: int = 5, line: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(mask, pixels of the line in columns no ring reaches) of n rings 40 px tall standing on
    a 3 px line that they cover but for a few columns between them (a cheque's printed line
    under "00000")."""
    mask = np.zeros((80, 60 + 48 * n), bool)
    u8 = mask.view(np.uint8)
    for k in range(n):
        cv2.ellipse(u8, (50 + 48 * k, 40), (20, 20), 0, 0, 360, 1, 3)
    rule = np.zeros_like(u8)
    if line:
        cv2.line(rule, (5, 61), (mask.shape[1] - 5, 61), 1, 3)
    exposed = rule.view(bool) & ~mask.any(0)[None, :]
    return mask | rule.view(bool), exposed


def test_line_covered_by_the_digits_on_it_is_removed():
    mask, rule = _zeros_on_a_line()
    assert len(cp.find_components(mask)) == 1
    # most columns of the line hold a ring too: too few thin columns for the usual test
    assert not bz.strip_horizontal_line(mask.copy())
    cleaned = bz.remove_long_lines(mask, typical_height=40)
    assert not cleaned[rule].any()  # the line is gone between the digits ...
    parts = cp.find_components(cleaned, min_area=10)
    assert len(parts) == 5 and (parts.boxes[:, 3] >= 36).all()  # ... which come apart whole
    ring_ink = _zeros_on_a_line(line=False)[0]
    assert cleaned[ring_ink].mean() > 0.9


def test_lines_ruled_above_and_below_the_digits_are_both_removed():
    mask, below = _zeros_on_a_line()
    above = np.zeros_like(mask.view(np.uint8))
    cv2.line(above, (5, 17), (mask.shape[1] - 5, 17), 1, 3)  # touching every ring's top
    above = above.view(bool)
    mask |= above
    # both lines together read as one thick band: only taking them apart finds them
    assert not bz.strip_covered_line(mask.copy(), typical_height=40)
    cleaned = bz.remove_long_lines(mask, typical_height=40)
    rings = _zeros_on_a_line(line=False)[0]
    assert not cleaned[below].any() and not cleaned[above & ~rings.any(0)[None, :]].any()
    parts = cp.find_components(cleaned, min_area=10)
    assert len(parts) == 5 and (parts.boxes[:, 3] >= 34).all()


def test_ragged_columns_of_a_thick_line_go_with_it_but_a_stroke_along_it_stays(monkeypatch):
    # a page-wide ruled line 5 px thick, sloping slightly (too flat for strip_horizontal_line's
    # thin-column test), with one or two columns here and there 2 px thicker (grain on its
    # edge): kept whole, each became a 1-px sliver read as "1"
    mask = np.zeros((20, 720), bool)
    u8 = mask.view(np.uint8)
    cv2.line(u8, (0, 6), (719, 12), 1, 5)
    for x in (40, 41, 200, 333, 500, 501):
        rows = np.nonzero(mask[:, x])[0]
        mask[rows.max() + 1: rows.max() + 3, x] = True
    foot = np.zeros_like(u8)
    cv2.line(foot, (600, 14), (640, 15), 1, 2)  # a digit's foot lying along the line's edge
    mask |= foot.view(bool)
    cleaned = mask.copy()
    assert bz.strip_covered_line(cleaned, typical_height=40)
    assert not cleaned[:, :590].any()  # no slivers left
    monkeypatch.setattr(bz, "RAGGED_COLUMNS", 0)
    before = mask.copy()
    assert bz.strip_covered_line(before, typical_height=40)
    assert before[:, :590].sum() >= 6 * 5  # (without the rule the slivers stay)
    # where the foot leaves the line's band it keeps its columns, as it did without the rule
    assert np.array_equal(cleaned[:, 590:], before[:, 590:]) and cleaned[:, 621:641].any(0).all()


def test_ragged_edge_marks_short_runs_between_alone_columns_only():
    alone = np.array([c == "1" for c in "110101100011100"], bool)
    assert "".join("x" if v else "." for v in bz.ragged_edge(alone)) == "..x.x.........."  # (a run of 3, or at the end: kept)


def test_chain_of_rings_without_a_line_is_left_alone():
    mask, _ = _zeros_on_a_line(line=False)
    assert not bz.strip_covered_line(mask.copy(), typical_height=40)
    assert bz.remove_long_lines(mask, typical_height=40).sum() == mask.sum()


# the lower half of a cheque amount's leading "1" (ORAND-CAR-A a_car_001058), one long
# slanted stroke, as binarized and as strip_frame hands it over (the 1 and its neighbours
# make a hollow component): thin in most columns, but thin in short stretches only, where
# the stroke's width wavers, while a ruled line is thin all along
SLANTED_ONE = """
............................#########...........................
...........................#########............................
...........................#######..............................
..........................########..............................
.........................########...............................
.......................########.................................
......................########..................................
.....................########...................................
.....................#######....................................
...................########.....................................
.................#########......................................
.................#######........................................
................#######.........................................
..............########..........................................
............##########..........................................
...........#########............................................
..........#########.............................................
.........#########..............................................
.......###########..............................................
......#######..###..............................................
......######....................................................
....#######.....................................................
...#######......................................................
.########.......................................................
#######.........................................................
#####...........................................................
####............................................................
###.............................................................
##..............................................................
#...............................................................
"""


def test_a_long_slanted_one_is_no_line():
    mask = np.array([[c == "#" for c in row] for row in SLANTED_ONE.strip().splitlines()])
    roi = mask.copy()
    assert not bz.strip_horizontal_line(roi)
    assert (roi == mask).all()


@pytest.mark.parametrize("rise, is_line", [(16, True), (26, False)])
def test_a_line_is_near_horizontal(rise, is_line):
    # over 80 px: a ruled line of a page tilted 11 degrees, or a stroke slanted 18 degrees
    mask = np.zeros((rise + 6, 86), np.uint8)
    cv2.line(mask, (2, rise + 2), (82, 2), 1, 4)
    roi = mask.astype(bool)
    assert bz.strip_horizontal_line(roi) is is_line
    assert bool(roi.sum() < 0.2 * mask.sum()) == is_line



def test_clear_band_clears_the_same_pixels_in_a_view_and_in_a_whole_mask():
    rng = np.random.default_rng(4)
    cols = np.arange(3, 290)
    centre = np.rint(2 + 0.2 * cols + rng.normal(0, 1, cols.size)).astype(np.int64)  # leaves the mask
    whole = rng.random((60, 300)) < 0.7
    expected = whole.copy()
    for c, r in zip(cols, centre, strict=True):  # the band, pixel by pixel
        expected[max(0, r - 2):max(0, r + 3), c] = False
    flat = whole.copy()
    bz.clear_band(flat, cols, centre, 2)
    big = np.zeros((60, 400), bool)
    big[:, :300] = whole
    view = big[:, :300]  # (not contiguous: indexed by rows and columns)
    bz.clear_band(view, cols, centre, 2)
    assert np.array_equal(flat, expected) and np.array_equal(view, expected)

def test_long_runs_keeps_only_long_stretches():
    flags = np.array([1, 1, 0, 1, 1, 1, 1, 0, 1], bool)
    assert bz.long_runs(flags, 3).tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0]
    assert bz.long_runs(flags, 1).tolist() == flags.tolist()
    assert not bz.long_runs(np.zeros(0, bool), 2).size


def test_a_stroke_running_into_a_covered_line_keeps_its_column():
    mask, rule = _zeros_on_a_line()
    mask[10:75, 20:23] = True  # a 1 crossing the line
    cleaned = bz.remove_long_lines(mask, typical_height=40)
    assert cleaned[10:75, 20:23].all()
    assert not cleaned[rule & (np.arange(mask.shape[1]) > 30)[None, :]].any()


def test_tall_one_is_not_a_line():
    mask = np.zeros((200, 60), bool)
    mask[20:180, 28:32] = True  # a 160 px thin '1'
    cleaned = bz.remove_long_lines(mask, typical_height=150)
    assert cleaned.sum() == mask.sum()


def test_box_sides_removed():
    mask = np.zeros((200, 500), bool)
    cv2.rectangle(mask.view(np.uint8), (10, 10), (490, 190), 1, 2)
    ink = render_number("5", 80, canvas=(200, 500), origin=(200, 150)) > 0.5
    mask |= ink
    cleaned = bz.remove_long_lines(mask, typical_height=80)
    assert cleaned[:, :150].sum() == 0 and cleaned[:, 350:].sum() == 0
    assert cleaned[ink].mean() > 0.9


def test_a_tight_box_of_thick_lines_loses_its_sides():
    # drawn tight round 44 px digits with a thick pen, the box fills 0.14 of its bounds (not
    # hollow): its top and bottom went as lines and its sides stayed, read as 1s ("14096")
    mask = np.zeros((140, 300), bool)
    cv2.rectangle(mask.view(np.uint8), (20, 25), (265, 115), 1, 5)
    comps = cp.find_components(mask)
    assert comps.areas[0] > 0.12 * comps.boxes[0, 2] * comps.boxes[0, 3]
    assert len(bz.strip_lines(comps, typical_height=44)) == 0
    # an underline with two 1s standing on it has no top: the 1s stay
    mask = np.zeros((140, 300), bool)
    mask[100:105, 20:265] = True
    mask[55:100, 60:64] = mask[55:100, 200:204] = True
    comps = cp.find_components(mask)
    assert not bz.strip_box(comps.own_mask(0).copy())
    left = bz.strip_lines(comps, typical_height=44)
    assert len(left) == 2 and left.boxes[:, 3].min() >= 40


def test_a_ring_round_digits_touching_it_is_erased_and_the_digits_kept():
    ring = np.zeros((100, 260), np.uint8)
    cv2.ellipse(ring, (130, 50), (112, 36), 0, 0, 360, 1, 3)
    digits = np.zeros_like(ring)
    for x in (40, 95, 150, 205):  # four thick "0"s inside it, the first touching it
        cv2.ellipse(digits, (x if x > 40 else 33, 50), (14, 20), 0, 0, 360, 1, 4)
    whole = (ring | digits).astype(bool)
    assert len(cp.find_components(whole)) < 4, "the ring must touch a digit"
    box = bz.box_around(whole)  # (the component's box, a pixel wider: as strip_lines hands it)
    out = whole[box].copy()
    assert bz.strip_ring(out)
    assert out[(ring & ~digits)[box].astype(bool)].mean() < 0.05
    assert out[digits[box].astype(bool)].mean() > 0.75
    # a ring with nothing inside, and a wide flat 0, are left alone
    alone = ring.astype(bool)
    assert not bz.strip_ring(alone[bz.box_around(alone)].copy())
    flat = np.zeros((60, 160), np.uint8)
    cv2.ellipse(flat, (80, 30), (70, 24), 0, 0, 360, 1, 6)
    assert not bz.strip_ring(flat.astype(bool)[bz.box_around(flat.astype(bool))].copy())


def test_thin_digit_on_a_short_line_keeps_its_curve():
    # a thin "3" standing on a line little wider than itself is hollow like a box; its curve
    # passed for a box side and was erased with the line (a cheque's "2839" read "289")
    mask = np.zeros((90, 160), np.uint8)
    cv2.ellipse(mask, (70, 32), (16, 13), 0, -150, 90, 1, 2)
    cv2.ellipse(mask, (70, 58), (18, 14), 0, -90, 150, 1, 2)
    three = mask.astype(bool) & (np.arange(90) < 70)[:, None]
    mask[72:74, 40:120] = 1
    comps = cp.find_components(mask.astype(bool))
    x, y, w, h = comps.boxes[0]
    assert len(comps) == 1 and comps.areas[0] <= 0.12 * w * h  # a "hollow" component
    cleaned = bz.remove_long_lines(mask.astype(bool), typical_height=50)
    assert cleaned[three].mean() > 0.95
    assert not cleaned[72:74, 95:].any() and not cleaned[72:74, :50].any()


def _digits_on_a_faint_dashed_line(rise: float = 0.0, dashes: bool = True):
    """(contrast map, digit pixels, line pixels) of "94" written in strong ink (40 px) standing
    on a light ruled line (contrast 45) that the threshold breaks into dashes: 12 px of ink,
    4 px gap. `rise`: the line's slope (a tilted page)."""
    ink = render_number("94", 40, canvas=(90, 520), origin=(200, 60))
    digits = ink > 0.5
    contrast = (ink * 230).astype(np.uint8)
    line = np.zeros(contrast.shape, bool)
    for x in range(10, 510):
        if not dashes or x % 16 < 12 or digits[:, max(0, x - 6):x + 6].any():
            y = int(round(61 + rise * (x - 260)))
            line[y - 1:y + 1, x] = True
    contrast[line & ~digits] = 45
    return contrast, digits, line & ~digits


def _faint_line_components(contrast: np.ndarray):
    return bz.hysteresis_components(contrast, low=30, high=100)


@pytest.mark.parametrize("rise", [0.0, 0.12])
def test_faint_dashed_line_is_cleared_from_the_digits_it_touches(rise):
    contrast, digits, line = _digits_on_a_faint_dashed_line(rise)
    comps = _faint_line_components(contrast)
    # the dashes are left out; the stretch of line joined to the digits is seeded by them
    touching = comps.mask() & line
    assert touching.any() and len(comps.faint) > 20
    assert len(bz.faint_lines(comps.faint, 40.0)) == 1
    cleaned = bz.strip_faint_lines(comps, 40.0, contrast)
    stub = cleaned.mask() & line
    assert not stub[:, ~digits.any(0)].any()    # no line is left beside the digits, ...
    assert stub.sum() < 0.2 * touching.sum()    # ... little under them (where a stroke meets it)
    assert cleaned.mask()[digits].mean() > 0.97            # ... and the digits are whole
    x_digits = np.nonzero(digits.any(0))[0]
    assert cleaned.boxes[:, 0].min() >= x_digits[0] - 2
    assert (cleaned.boxes[:, 0] + cleaned.boxes[:, 2]).max() <= x_digits[-1] + 3


def test_a_few_faint_dashes_are_no_line():
    contrast, digits, line = _digits_on_a_faint_dashed_line()
    contrast[:, :190][contrast[:, :190] == 45] = 0     # the line only under the digits:
    contrast[:, 295:][contrast[:, 295:] == 45] = 0     # a few dashes, 2.5 digits long
    comps = _faint_line_components(contrast)
    assert bz.faint_lines(comps.faint, 40.0) == []
    before = comps.mask().copy()
    assert np.array_equal(bz.strip_faint_lines(comps, 40.0, contrast).mask(), before)


def _ruled_line_broken_under_digits():
    """A ruled line (rows 100-101) from x 10 to 300, broken there (a shadow's edge); past the
    break two upright strokes (42 px digits) stand on it, joined by a 55 px stub of it; a third
    stands on it with a 15 px flat foot lying along it (a 2's base)."""
    mask = np.zeros((160, 640), bool)
    mask[100:102, 10:300] = True           # the line, a component of its own
    mask[60:102, 340:346] = True           # a digit ...
    mask[60:102, 400:406] = True           # ... and another
    mask[100:102, 346:400] = True          # the stub of line joining them
    mask[60:102, 500:506] = True           # a digit with a flat foot on the line
    mask[100:102, 506:521] = True
    return mask


def test_stub_of_a_ruled_line_found_elsewhere_is_cleared():
    mask = _ruled_line_broken_under_digits()
    found: list = []
    comps = bz.strip_lines(cp.find_components(mask, min_area=1), 42.0, found=found)
    assert len(found) == 1
    coef, thickness = found[0]
    assert abs(coef[0]) < 0.01 and abs(np.polyval(coef, 200.5) - 101.0) < 0.6 and thickness == 2
    # the stub is too short next to the digits to be taken for a line on its own
    assert comps.mask()[100:102, 360:390].all()
    cleaned = bz.strip_line_stubs(comps, found, 42.0)
    left = cleaned.mask()
    assert not left[:, 350:396].any()                       # the stub is gone ...
    assert left[60:100, 340:346].all() and left[60:100, 400:406].all()  # ... the digits stay
    assert left[100:102, 506:521].all()                     # ... and so does the short foot
    assert sorted(int(x) for x in cleaned.boxes[:, 0]) == [340, 400, 500]


def test_a_loop_lying_on_a_found_line_keeps_its_bottom():
    # a 0 (a loop 30 px wide, 2 px strokes) whose flat bottom lies along the line's path past
    # the break: its bottom is alone in the line's band, but the rest of the loop is above it
    mask = _ruled_line_broken_under_digits()
    cv2.rectangle(mask.view(np.uint8), (560, 70), (590, 101), 1, 2)
    found: list = []
    comps = bz.strip_lines(cp.find_components(mask, min_area=1), 42.0, found=found)
    left = bz.strip_line_stubs(comps, found, 42.0).mask()
    assert left[100:102, 562:589].all()
    assert not left[:, 350:396].any()                       # (the stub beside it still goes)


def test_line_stubs_need_a_line_found():
    comps = cp.find_components(_ruled_line_broken_under_digits()[:, 320:], min_area=1)
    found: list = []
    comps = bz.strip_lines(comps, 42.0, found=found)
    assert found == []                                      # (no ruled line on this crop)
    before = comps.mask().copy()
    assert np.array_equal(bz.strip_line_stubs(comps, found, 42.0).mask(), before)


def test_faint_lines_follow_a_tilted_line_among_specks():
    contrast, _, _ = _digits_on_a_faint_dashed_line(rise=-0.2)
    rng = np.random.default_rng(3)
    for x, y in rng.integers((0, 0), (520, 90), (60, 2)):
        contrast[y, x:x + 2] = 45                      # faint specks, too small for dashes
    comps = _faint_line_components(contrast)
    (coef, thickness, first, last), = bz.faint_lines(comps.faint, 40.0)
    assert abs(coef[0] + 0.2) < 0.02 and abs(np.polyval(coef, 260) - 60.5) < 1.5
    assert thickness <= 3 and first < 130 and last > 470  # (it enters the image at x ~ 125)


def test_shadow_edge_strip_is_dropped_but_thin_strokes_are_kept():
    # a hard shadow's edge leaves a thin strip of "ink" on its dark side; a real '1' (a
    # stroke with paper on both sides) of the same shape stays
    gray = np.full((120, 200), 220, np.uint8)
    gray[:, :60] = 100                      # the shadow
    mask = np.zeros(gray.shape, bool)
    mask[20:100, 57:60] = True              # the strip the contrast map finds along its edge
    gray[20:100, 140:144] = 40              # a '1'
    mask[20:100, 140:144] = True
    gray[95:100, 150:190] = 40              # a dash: thin too, but a stroke
    mask[95:100, 150:190] = True
    comps = cp.find_components(mask)
    kept = bz.drop_step_edges(comps, gray, dark_ink=True)
    assert sorted(int(x) for x in kept.boxes[:, 0]) == [140, 150]
    board = bz.drop_step_edges(comps, 255 - gray, dark_ink=False)  # the same on a blackboard
    assert sorted(int(x) for x in board.boxes[:, 0]) == [140, 150]


def test_one_standing_on_a_shadow_edge_is_kept():
    # a short thin '1' whose foot stands in a hard shadow's edge running across under it:
    # paper along most of both its long sides, the shadow past its foot (a fifth of the ring
    # round it). The same strip lying along the edge (shadow on one long side, paper on the
    # other) is still an edge.
    gray = np.full((120, 200), 200, np.uint8)
    gray[88:, :] = 90                       # the shadow, under the writing
    gray[70:90, 100:104] = 60               # a '1' standing in its edge
    mask = np.zeros(gray.shape, bool)
    mask[70:90, 100:104] = True
    mask[88:91, 10:70] = True               # a strip along the edge, on its dark side
    comps = cp.find_components(mask)
    kept = bz.drop_step_edges(comps, gray, dark_ink=True)
    assert [int(x) for x in kept.boxes[:, 0]] == [100]


def test_a_slanting_shadow_edge_strip_is_dropped_but_a_slanting_stroke_is_kept():
    # a hard shadow's edge slanting across the page: the strip the contrast map finds along it
    # has a nearly square upright box (it read as a sure "1"); a slanting '1' of the same shape
    # with paper on both sides stays
    gray = np.full((140, 260), 215, np.uint8)
    cols = np.arange(260)[None, :]
    rows = np.arange(140)[:, None]
    gray[cols < 20 + 0.8 * rows] = 95                 # the shadow, left of a slanting edge
    mask = np.zeros(gray.shape, bool)
    for r in range(20, 100):
        c = int(20 + 0.8 * r)
        mask[r, c - 3:c] = True                       # the strip on the edge's dark side
        gray[r, 150 + int(0.8 * r) - 3:150 + int(0.8 * r)] = 50
        mask[r, 150 + int(0.8 * r) - 3:150 + int(0.8 * r)] = True  # a slanting '1'
    comps = cp.find_components(mask)
    assert (comps.boxes[:, 3] < bz.THIN_ASPECT * comps.boxes[:, 2]).all()  # square-ish boxes
    kept = bz.drop_step_edges(comps, gray, dark_ink=True)
    assert [int(x) for x in kept.boxes[:, 0]] == [163]


def test_one_drawn_along_a_shadow_edge_is_kept():
    # a pencilled '1' right on a shadow's edge: the contrast map's strip is the stroke, darker
    # than the shadow beside it; its soft sides are as dark as the shadow, like an edge's strip
    gray = np.full((120, 200), 190, np.uint8)
    gray[:, :60] = 95                       # the shadow
    gray[20:100, 60:63] = 80                # the stroke's soft rim, shadow-dark: most of it
    gray[20:100, 63:65] = 40                # its core
    mask = np.zeros(gray.shape, bool)
    mask[20:100, 60:65] = True
    comps = cp.find_components(mask)
    assert bz.is_step_edge(comps, 0, gray, dark_ink=True) is False
    gray[20:100, 63:65] = 85                # the same strip no darker than its rim: an edge
    assert bz.is_step_edge(comps, 0, gray, dark_ink=True) is True


def _rings_ink(faint_blur: float) -> np.ndarray:
    """An ink map: four sharp rings at full contrast, a sharp faint one (pencil) and a faint
    one blurred by `faint_blur` px (the back of the sheet showing through)."""
    ink = np.zeros((120, 420), np.float32)
    for cx in (30, 90, 150, 210):
        cv2.circle(ink, (cx, 40), 18, 220, 4, cv2.LINE_AA)
    cv2.circle(ink, (300, 40), 18, 75, 4, cv2.LINE_AA)
    soft = np.zeros_like(ink)
    cv2.circle(soft, (380, 60), 18, 95, 6, cv2.LINE_AA)
    if faint_blur:
        soft = cv2.GaussianBlur(soft, (0, 0), faint_blur)
    return np.maximum(ink, soft).astype(np.uint8)


def test_the_back_of_the_sheet_showing_through_is_dropped():
    ink = _rings_ink(2.0)
    comps = cp.find_components(ink >= 20)
    assert len(comps) == 6
    x, y, w, h = comps.boxes[5]
    assert ink[y:y + h, x:x + w].max() < 0.4 * 220
    assert bz.stroke_steepness(comps, 5, ink) < 0.6 * bz.stroke_steepness(comps, 0, ink)
    kept = bz.drop_show_through(comps, ink, 40)
    # the soft one goes; the sharp faint one (pencil beside ink) stays
    assert sorted(kept.boxes[:, 0].tolist()) == sorted(comps.boxes[:5, 0].tolist())
    # as sharp as the rest, the same faint ring stays
    sharp = _rings_ink(0.0)
    assert len(bz.drop_show_through(cp.find_components(sharp >= 20), sharp, 40)) == 6


# ---- components --------------------------------------------------------------------------------

def test_components_and_typical_height_ignore_specks():
    ink = render_number("123", 40) > 0.5
    ink[2, 2] = ink[5, 200] = True  # specks
    comps = cp.find_components(ink, min_area=1)
    typical = cp.typical_height(comps.boxes, comps.areas)
    assert 32 <= typical <= 44
    kept = cp.drop_specks(comps, typical)
    assert len(kept) == 3


@pytest.mark.parametrize("bgr, skin", [
    ((185, 200, 240), True), ((150, 180, 225), True), ((90, 120, 170), True),
    ((40, 60, 95), True),                      # light to dark skin (B, G, R)
    ((30, 30, 30), False), ((160, 70, 40), False), ((40, 40, 200), False),  # black, blue, red ink
    ((120, 122, 175), False),                  # red ink's soft edge on grey paper
    ((232, 232, 232), False), ((120, 120, 120), False),  # paper, a grey shadow
])
def test_skin_tones_are_told_from_inks_and_paper(bgr, skin):
    assert cp.skin_coloured(np.array(bgr, np.float64)) is skin


def test_skin_coloured_marks_at_the_frame_are_dropped():
    # a fingertip's rim at the bottom edge and one 2 px short of it, skin-coloured; the same
    # shape in ink at the edge, and a skin-coloured mark in the middle of the page
    mask = np.zeros((120, 200), bool)
    mask[90:120, 10:30] = mask[90:118, 50:70] = mask[90:120, 90:110] = mask[40:60, 150:170] = True
    colour = np.full((120, 200, 3), 230, np.uint8)
    colour[90:120, 10:30] = colour[90:118, 50:70] = colour[40:60, 150:170] = (90, 120, 170)
    colour[90:120, 90:110] = (30, 30, 30)
    comps = cp.find_components(mask)
    kept = cp.drop_skin_at_frame(comps, colour, 1.0)
    assert sorted(kept.boxes[:, 0].tolist()) == [90, 150]
    # read at half size: the working pixels map back onto the input's
    big = cv2.resize(colour, (400, 240), interpolation=cv2.INTER_NEAREST)
    assert sorted(cp.drop_skin_at_frame(comps, big, 0.5).boxes[:, 0].tolist()) == [90, 150]
    # a gray input has no colour: nothing goes
    assert len(cp.drop_skin_at_frame(comps, None, 1.0)) == 4


# ---- lines -------------------------------------------------------------------------------------

def _tilted_boxes(tilt_deg, rows=((0, 8, 40), (110, 6, 40))):
    """Boxes of digits on lines tilted by tilt_deg: rows of (offset, count, height)."""
    t = math.radians(tilt_deg)
    centres, heights, truth = [], [], []
    for li, (offset, count, h) in enumerate(rows):
        for k in range(count):
            along = 100 + k * 0.9 * h
            x = along * math.cos(t) - offset * math.sin(t)
            y = along * math.sin(t) + offset * math.cos(t) + 300
            centres.append((x, y))
            heights.append(h * (0.7 if k % 3 == 2 else 1.0))  # mixed heights
            truth.append((li, k))
    return np.array(centres), np.array(heights, float), truth


@pytest.mark.parametrize("tilt", [-12.0, -5.0, 0.0, 7.0, 12.0])
def test_tilted_two_line_page_is_ordered(tilt):
    centres, heights, truth = _tilted_boxes(tilt)
    est = ln.estimate_tilt(centres, heights)
    assert abs(math.degrees(est) - tilt) < 2.0
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(len(centres))
    lines = ln.group_lines(centres[shuffled], heights[shuffled], est)
    assert len(lines) == 2
    for li, members in enumerate(lines):
        got = [truth[shuffled[i]] for i in members]
        assert got == [(li, k) for k in range(len(got))]


def test_lower_part_of_a_broken_digit_stays_on_its_line():
    # a "4" in two strokes: the upper one at x=11, the lower one at x=27 sits lower than it but
    # level with the "6" on its right; then a "1"
    centres = np.array([[11.5, 23.0], [27.0, 48.5], [57.0, 36.0], [113.0, 35.0]])
    heights = np.array([30.0, 25.0, 44.0, 43.0])
    lines = ln.group_lines(centres, heights, 0.0)
    assert [m.tolist() for m in lines] == [[0, 1, 2, 3]]


def test_stacked_parts_of_a_broken_digit_at_a_lines_end_stay_on_it():
    """An 8 whose loops came apart, last on its line: the lower loop's nearest member is the
    upper loop, stacked above it with no vertical overlap, and the digit before it, level with
    both, was not asked: the loop made a line of its own ("13548" read "1355", "0")."""
    centres = np.array([[20.0, 50.0], [60.0, 50.0], [100.0, 50.0],
                        [140.0, 40.0], [142.0, 60.0]])  # three digits, then the two loops
    heights = np.array([40.0, 40.0, 40.0, 20.0, 20.0])
    lines = ln.group_lines(centres, heights, 0.0)
    assert [m.tolist() for m in lines] == [[0, 1, 2, 3, 4]]
    # a second line below is still a line of its own
    centres = np.vstack([centres, [[20.0, 110.0], [60.0, 110.0]]])
    heights = np.append(heights, [40.0, 40.0])
    lines = ln.group_lines(centres, heights, 0.0)
    assert [m.tolist() for m in lines] == [[0, 1, 2, 3, 4], [5, 6]]


def test_a_broken_digits_part_stacked_over_it_joins_its_line():
    """A cheque's 3 whose top came apart sits above the line, overlapping no digit enough to
    join it, and was read as a line of its own ("355" read "7", "055"). It is stacked right on
    the 3's lower part (sharing its columns, no gap), so it joins that line; a speck beside
    it does not stop it. Without widths nothing is known of columns: two lines."""
    centres = np.array([[20.0, 50.0], [60.0, 52.0], [100.0, 52.0], [24.0, 24.0], [40.0, 26.0]])
    heights = np.array([40.0, 40.0, 40.0, 12.0, 3.0])
    widths = np.array([26.0, 28.0, 28.0, 18.0, 3.0])
    lines = ln.group_lines(centres, heights, 0.0, widths=widths)
    assert [m.tolist() for m in lines] == [[0, 3, 4, 1, 2]]
    assert len(ln.group_lines(centres, heights, 0.0)) == 2


def test_a_line_of_small_digits_just_above_big_ones_stays_a_line():
    """Small digits written right above a line of big ones: the first may sit on a big digit
    like a broken part, but the others do not, so the line stays."""
    centres = np.array([[20.0, 100.0], [70.0, 100.0], [120.0, 100.0],
                        [70.0, 56.0], [95.0, 56.0], [140.0, 56.0]])
    heights = np.array([60.0, 60.0, 60.0, 24.0, 24.0, 24.0])
    widths = np.array([40.0, 40.0, 40.0, 16.0, 16.0, 16.0])
    lines = ln.group_lines(centres, heights, 0.0, widths=widths)
    assert [m.tolist() for m in lines] == [[3, 4, 5], [0, 1, 2]]


def _tilt_all_pairs(centres: np.ndarray, heights: np.ndarray) -> float:
    """estimate_tilt's rule, every pair compared at once (n x n)."""
    dx = centres[None, :, 0] - centres[:, None, 0]
    dy = centres[None, :, 1] - centres[:, None, 1]
    hi, hj = heights[:, None], heights[None, :]
    limit = math.tan(math.radians(ln.MAX_TILT_DEG + 5))
    ok = ((dx > 0) & (np.abs(dy) <= dx * limit) & (np.minimum(hi, hj) >= 0.5 * np.maximum(hi, hj))
          & (dx <= 4 * np.maximum(hi, hj)))
    dist = np.where(ok, dx * dx + dy * dy, np.inf)
    nearest = np.argmin(dist, axis=1)
    i = np.nonzero(np.isfinite(dist[np.arange(len(centres)), nearest]))[0]
    j = nearest[i]
    angles = np.arctan2(dy[i, j], dx[i, j])
    w = np.minimum(heights[i], heights[j])
    order = np.argsort(angles)
    cum = np.cumsum(w[order])
    tilt = float(angles[order][np.searchsorted(cum, cum[-1] / 2)])
    return float(np.clip(tilt, -math.radians(ln.MAX_TILT_DEG), math.radians(ln.MAX_TILT_DEG)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tilt_compared_block_by_block_is_the_all_pairs_tilt(seed):
    """Sorted along x and compared a block at a time (memory no longer grows with the square
    of a frame's specks), the vote is the same as comparing every pair."""
    rng = np.random.default_rng(seed)
    n = 3 * ln.TILT_BLOCK + 17
    centres = rng.uniform(0, [1280, 720], size=(n, 2))
    centres[:, 1] += 0.1 * centres[:, 0]  # lines falling to the right
    heights = rng.uniform(3, 40, size=n)
    assert ln.estimate_tilt(centres, heights) == pytest.approx(_tilt_all_pairs(centres, heights))


def test_spaces_only_at_wide_gaps():
    lefts = np.array([0, 35, 70, 160, 195], float)
    rights = lefts + 30
    spaces = ln.space_after(lefts, rights, 40)
    assert spaces.tolist() == [False, False, True, False]


def test_a_line_of_single_digits_gets_its_spaces():
    # "1 0" / "5 6 6": every gap is a space, so the line's usual gap is one too
    lefts = np.array([0, 80, 160], float)
    assert ln.space_after(lefts, lefts + 30, 40).tolist() == [True, True]
    # ... but evenly wide handwriting within one number is not spaced out
    lefts = np.array([0, 50, 100], float)
    assert not ln.space_after(lefts, lefts + 30, 40).any()


def test_a_gap_just_under_a_space_that_stands_out_is_one():
    # "2613 6 4" at 40 px: the digits of "2613" nearly touch, so a gap of 0.8 digit heights,
    # under space_factor, is many times the line's usual spacing
    lefts = np.array([0, 30, 63, 96, 189], float)
    rights = lefts + np.array([30, 30, 30, 30, 30], float)
    lefts = np.append(lefts, 252.0)  # 33 px after the 6: 0.825 heights
    rights = np.append(rights, 282.0)
    assert ln.space_after(lefts, rights, 40).tolist() == [False, False, False, True, True]
    # ... but in a widely spaced hand (usual gap 0.3 heights) the same gap is not
    lefts = np.array([0, 42, 84, 126, 189], float)
    assert ln.space_after(lefts, lefts + 30, 40).tolist() == [False, False, False, False]


def test_a_full_stop_or_a_loose_bar_in_a_gap_makes_no_space():
    # "20.28": the gap around the full stop is wider than a space, but each side of it is not
    lefts = np.array([0, 35, 100, 135], float)
    rights = lefts + 30
    assert ln.space_after(lefts, rights, 40).tolist() == [False, True, False]
    stop = np.array([[78.0, 84.0]])
    assert ln.space_after(lefts, rights, 40, marks=stop).tolist() == [False, False, False]
    # a mark inside a real space leaves a stretch wide enough: still a space
    lefts = np.array([0, 35, 170], float)
    dash = np.array([[100.0, 106.0]])
    assert ln.space_after(lefts, lefts + 30, 40, marks=dash).tolist() == [False, True]


def test_a_full_stop_on_a_faint_rule_comes_back_when_the_rule_is_cleared():
    # "3.270" written on a faint rule: the stop lay in columns where the rule was all that was
    # left, so it was cleared with it and the gap around it read as a space ("3 270")
    own = np.zeros((40, 200), bool)
    own[20:22, :] = True                      # the rule
    own[0:40, 50:54] = True                   # a digit's stroke crossing it
    own[18:23, 100:104] = True                # the full stop, on the rule
    own[19:22, 140:170] = True                # a strong flat stretch: the rule, not a stop
    contrast = np.where(own, 40.0, 0.0)
    contrast[18:23, 100:104] = 200.0
    contrast[19:22, 140:170] = 200.0
    contrast[0:40, 50:54] = 200.0
    roi = own.copy()
    roi[17:25, :] = False                     # the band along the rule, cleared
    bz.keep_strong_strokes(roi, own, contrast)
    assert roi[18:23, 100:104].all()          # the stop is back
    assert not roi[19:22, 140:170].any()      # a flat stretch is not
    assert roi[17:25, 50:54].all()            # (the crossing stroke, as before)


def _feet_on_a_rule(right_top: int):
    """A stroke (rows 0-40) and a second one (rows `right_top`-40) standing on a faint rule,
    the rule's band cleared, and a strong blob of the rule between their feet, touching both
    -> (roi after clearing, own mask, contrast)."""
    own = np.zeros((48, 120), bool)
    own[40:43, :] = True                      # the rule
    own[0:41, 30:34] = True                   # first stroke, down to the rule
    own[right_top:41, 40:50] = True           # second stroke beside it
    own[39:44, 34:40] = True                  # a strong blob on the rule between their feet
    contrast = np.where(own, 40.0, 0.0)
    contrast[0:41, 30:34] = contrast[right_top:41, 40:50] = 200.0
    contrast[39:44, 34:40] = 200.0
    roi = own.copy()
    roi[38:46, :] = False                     # the band along the rule, cleared
    return roi, own, contrast


def test_a_blob_on_a_rule_does_not_join_two_digits_standing_on_it():
    # two digits' feet on the rule: given back, the blob between them made them one unit
    roi, own, contrast = _feet_on_a_rule(right_top=4)
    bz.keep_strong_strokes(roi, own, contrast)
    assert not roi[39:44, 35:39].any()
    # a 6's stem and its loop, parted by the rule: the blob between them comes back
    roi, own, contrast = _feet_on_a_rule(right_top=26)
    bz.keep_strong_strokes(roi, own, contrast)
    assert roi[39:44, 35:39].all()


def _stub_line(stub_rows: slice):
    """Two digits 60 px apart (line height 40); a stroke from the first one's side reaches the
    second at rows `stub_rows` -> (components, kept digits, the line's units)."""
    mask = np.zeros((70, 160), bool)
    mask[10:50, 10:30] = True              # first digit ...
    mask[stub_rows, 30:89] = True          # ... and the ink joined to its side
    mask[10:50, 90:110] = True             # second digit, its own component
    comps = cp.find_components(mask)
    kept = [(1, 0.9, (10, 10, 20, 40)), (7, 0.9, (90, 10, 20, 40))]
    return comps, kept, list(range(len(comps)))


@pytest.mark.parametrize("rows, space", [(slice(47, 49), True), (slice(11, 14), False)])
def test_a_rule_stub_left_of_a_cut_digit_does_not_close_a_space(rows, space):
    # a ruled line the digits stand on, left joined to the first digit across the space (the
    # digit cut from it), hid the space ("92963758" for "92963 758"); ink joined high on the
    # digit's side is its own stroke (a 5's bar, a flourish) and still closes the gap
    from realtime.reader import free_units, line_spaces

    comps, kept, units = _stub_line(rows)
    used = {int(i) for i in comps.ids}
    free = free_units(units, comps, used, kept, 0.0)
    assert (0 in free) != space  # (the second digit, all inside its box, changes nothing)
    b = comps.boxes.astype(float)
    marks = np.stack([b[:, 0], b[:, 0] + b[:, 2]], axis=1)[free]
    along = np.array([20.0, 100.0])
    assert line_spaces(kept, along, 40.0, 0.85, marks).tolist() == [space]


def test_free_gaps_are_the_widest_stretch_between_marks():
    starts, ends = np.array([0.0, 50.0, 100.0]), np.array([40.0, 60.0, 90.0])
    marks = np.array([[10.0, 12.0], [25.0, 30.0], [70.0, 80.0], [-5.0, 2.0]])
    # [0, 40): free 2-10, 12-25, 30-40 -> 13; [50, 60): none inside -> 10; overlap stays
    assert ln.free_gaps(starts, ends, marks).tolist() == [13.0, 10.0, -10.0]


# ---- segmentation ------------------------------------------------------------------------------

def test_cut_positions_find_the_junction_of_a_touching_pair():
    ink = render_number("00", 50, touching=(0,), seed=3) > 0.5
    comps = cp.find_components(ink, min_area=10)
    assert len(comps) == 1, "the two digits should touch"
    x, y, w, h = comps.boxes[0]
    cuts = sg.cut_positions(ink[y:y + h, x:x + w], 50)
    # the junction: the column between the two glyphs where the projection is lowest
    assert any(abs(c - w / 2) < 0.2 * w for c in cuts)


def _loop_chain(n: int, w: int = 28, h: int = 32, overlap: int = 4) -> np.ndarray:
    """n drawn zeros (ellipse outlines) in a row, each overlapping the next: a cursive "000"."""
    mask = np.zeros((h + 6, n * (w - overlap) + overlap + 6), np.uint8)
    for k in range(n):
        cx = 3 + w // 2 + k * (w - overlap)
        cv2.ellipse(mask, (cx, 3 + h // 2), (w // 2, h // 2), 0, 0, 360, 1, 3)
    return mask.astype(bool)


def test_junctions_of_a_chain_of_joined_zeros_are_found():
    chain = _loop_chain(3)
    cols = np.nonzero(chain.any(0))[0]
    chain = chain[:, cols[0]:cols[-1] + 1]
    joints = [w - 4 // 2 for w in (28, 2 * 28 - 4)]  # where each zero meets the next
    found = sg.junction_positions(chain, line_h=40)
    assert len(found) == 2
    assert all(abs(f - j) <= 3 for f, j in zip(found, joints, strict=True))


def test_a_single_zero_has_no_junction():
    zero = _loop_chain(1)
    cols = np.nonzero(zero.any(0))[0]
    assert sg.junction_positions(zero[:, cols[0]:cols[-1] + 1], line_h=40) == []


def test_cuts_of_a_chain_make_no_slivers_and_offer_each_zero():
    chain = _loop_chain(3)
    comps = cp.find_components(chain, min_area=1)
    assert len(comps) == 1
    book = sg.PieceBook(comps)
    line_h = 40
    plan = sg.plan_line(book, [0], line_h)
    x, w = float(comps.boxes[0, 0]), float(comps.boxes[0, 2])
    sg.plan_alternatives(book, plan, np.ones(1, bool), np.array([x]), np.array([x + w]))
    widths = [book.pieces[p].box[2] for _, _, p in plan.cuts[0]]
    # one of the paths through the cuts is the three zeros, each about 24 px wide
    assert sum(abs(wd - 24) <= 4 for wd in widths) >= 3
    assert min(widths) >= 0.2 * line_h
    # the bound is what keeps slivers out
    plan = sg.plan_line(book, [0], line_h)
    sg.plan_alternatives(book, plan, np.ones(1, bool), np.array([x]), np.array([x + w]),
                         min_piece=0.55, side_piece=0.55)
    assert min(book.pieces[p].box[2] for _, _, p in plan.cuts[0]) >= 0.55 * line_h


# a 6 whose loop closes on the 1 written against it (a "61" of synthetic page 5584): the
# projection's valleys lie inside the loop, none where the 1 begins (column 15)
_SIX_AGAINST_ONE = """
......#........##.
....###.......####
....####......####
...####........###
...####.......####
..####........####
.####.........####
.####.........####
.###..........####
####..........####
####....##########
.##...############
###...############
##################
#########..#######
.#################
.#################
..###########..###
....######.....###"""


def _six_against_one() -> np.ndarray:
    return np.array([[ch == "#" for ch in row] for row in _SIX_AGAINST_ONE.split()])


def test_a_full_height_stroke_at_a_side_is_cut_at_its_inner_edge():
    mask = _six_against_one()
    assert 15 not in sg.cut_positions(mask, line_h=19)
    assert sg.side_stroke_cuts(mask) == [15]
    assert sg.side_stroke_cuts(mask[:, ::-1]) == [3]       # the same at the left side
    assert sg.side_stroke_cuts(np.ones((20, 10), bool)) == []   # all stroke: no side
    wide = np.zeros((20, 30), bool)
    wide[:, 12:] = True                                      # wider than a 1
    assert sg.side_stroke_cuts(wide) == []


def test_a_one_written_against_a_six_is_offered_as_a_slice_of_its_own():
    mask = _six_against_one()
    comps = cp.find_components(mask, min_area=1)
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0], 19)
    x, w = float(comps.boxes[0, 0]), float(comps.boxes[0, 2])
    sg.plan_alternatives(book, plan, np.ones(1, bool), np.array([x]), np.array([x + w]))
    assert x + 15 in plan.cut_cols[0]


def _ring_and_bar(line_h: int = 50) -> np.ndarray:
    """A zero (ring 41 px wide) and, 6 px to its right, a 1 (a 4 px bar) joined by a short
    bridge at mid height: a "01" written as one stroke component, 51 px wide."""
    mask = np.zeros((line_h, 52), np.uint8)
    cv2.ellipse(mask, (21, line_h // 2), (20, line_h // 2 - 2), 0, 0, 360, 1, 3)
    mask[2:line_h - 2, 47:51] = 1                    # the 1
    mask[line_h // 2 - 1:line_h // 2 + 2, 39:48] = 1  # where they touch
    return mask.astype(bool)


def test_a_narrow_one_touching_a_digit_can_be_cut_off_its_side():
    """The 1 is narrower than 0.2 line heights and its joint lies within 0.15 line heights of
    the unit's side: cuts there (and pieces that narrow at a side) used to be left out, so a
    touching "81" could only be read whole (as not a digit) or cut through the 8."""
    line_h = 50
    mask = _ring_and_bar(line_h)
    comps = cp.find_components(mask, min_area=1)
    assert len(comps) == 1
    x, _, w, _ = (int(v) for v in comps.boxes[0])
    cuts = sg.cut_positions(mask[:, x:x + w], line_h)
    assert any(42 <= x + c <= 47 for c in cuts), cuts
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0], line_h)
    sg.plan_alternatives(book, plan, np.ones(1, bool), np.array([float(x)]),
                         np.array([float(x + w)]))
    boxes = [book.pieces[p].box for _, _, p in plan.cuts[0]]
    assert any(bx >= 42 and bw <= 0.2 * line_h for bx, _, bw, _ in boxes), boxes  # the 1
    assert any(bx <= 1 and 40 <= bw <= 47 for bx, _, bw, _ in boxes), boxes  # the 0 alone


def _zero_and_one_slices(book, plan, line_h):
    """The ring alone and the 1 alone among the cut slices of _ring_and_bar."""
    slices = [p for _, _, p in plan.cuts[0]]
    one = next(p for p in slices
               if book.pieces[p].box[0] >= 42 and book.pieces[p].box[2] <= 0.2 * line_h)
    zero = next(p for p in slices
                if book.pieces[p].box[0] <= 1 and 40 <= book.pieces[p].box[2] <= 47)
    return zero, one


def _doubtful_01_with_a_shaped_one():
    """A ring with a bar beside it (line height 50), read whole as a doubtful 0, its cut
    slices a sure 0 and a thin slice the classifier reads as "not a digit", 1 second ->
    (book, plan, probs, (zero slice, one slice))."""
    line_h = 50
    book, plan = _plan_of(_ring_and_bar(line_h), line_h)
    zero, one = _zero_and_one_slices(book, plan, line_h)
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    whole = plan.single[0]
    probs[whole, 0], probs[whole, sg.NON_DIGIT] = 0.4, 0.6   # "01" whole: a doubtful 0
    probs[zero, 0], probs[zero, sg.NON_DIGIT] = 0.99, 0.01
    probs[one, 1], probs[one, sg.NON_DIGIT] = 0.2, 0.8
    return book, plan, probs, (zero, one)


def test_scores_shared_by_a_pages_lines_leave_each_lines_shaped_ones_its_own():
    # (piece_scores is worked out once a page; the 1 raised by its shape on one line must not
    # carry over to the next line read with the same table)
    book, plan, probs, (zero, one) = _doubtful_01_with_a_shaped_one()
    scores = sg.piece_scores(probs)
    before = list(scores.lp_digit)
    assert sg.solve_line(plan, probs, book.pieces, -1.0, scores) == [zero, one]
    assert scores.lp_digit == before
    assert sg.solve_line(plan, probs, book.pieces, -1.0, scores) == sg.solve_line(
        plan, probs, book.pieces, -1.0)


def test_a_one_cut_off_its_neighbour_is_read_by_its_shape_when_the_classifier_doubts_it():
    """A thin 1 cut off the digit it touches reads "not a digit", 1 second (a sliver of the
    neighbour, a blurred stroke): a straight upright slice is then scored as a sure 1. A slice
    the classifier sees no 1 in, or one already read as a 1, is left to the classifier."""
    book, plan, probs, (zero, one) = _doubtful_01_with_a_shaped_one()
    assert sg.upright_one(book.pieces[one], 50)
    whole = plan.single[0]
    assert sg.shaped_ones(plan, probs, book.pieces) == [one]
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [zero, one]
    # no 1 seen in it: the classifier is not overruled
    probs[one, 1], probs[one, sg.NON_DIGIT] = 0.02, 0.98
    assert sg.shaped_ones(plan, probs, book.pieces) == []
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [whole]
    # read as a 1 already: its own score stands
    probs[one, 1], probs[one, sg.NON_DIGIT] = 0.6, 0.4
    assert sg.shaped_ones(plan, probs, book.pieces) == []


def test_a_round_slice_is_no_one_by_its_shape():
    line_h = 50
    book, plan = _plan_of(_ring_and_bar(line_h), line_h)
    zero, _ = _zero_and_one_slices(book, plan, line_h)
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.8
    probs[:, 1] = 0.2
    assert zero not in sg.shaped_ones(plan, probs, book.pieces)
    assert not sg.upright_one(book.pieces[zero], line_h)


def _two_apart_at_its_foot(line_h: int = 56) -> np.ndarray:
    """A 2 whose thin diagonal vanished: its top, a short "7"-like hook, and its foot, a flat
    stroke below and to the left, two components."""
    mask = np.zeros((line_h + 4, 70), np.uint8)
    cv2.ellipse(mask, (44, 14), (12, 11), 0, 180, 360, 1, 3)   # the top arc
    cv2.line(mask, (56, 14), (48, 34), 1, 3)                   # down to where the ink fails
    cv2.line(mask, (10, 46), (52, 46), 1, 4)                   # the foot, apart
    return mask.astype(bool)


def _plan_of_two_parts(mask: np.ndarray, line_h: int):
    """A line of the two components of `mask` (left to right), both in doubt -> (plan, book)."""
    comps = cp.find_components(mask, min_area=1)
    assert len(comps) == 2
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [int(i) for i in np.argsort(comps.boxes[:, 0])], line_h)
    lefts = comps.boxes[:, 0].astype(float)
    rights = lefts + comps.boxes[:, 2]
    sg.plan_alternatives(book, plan, np.ones(2, bool), lefts, rights)
    return plan, book


def test_a_flat_mark_under_a_digits_foot_is_told_from_one_beside_it():
    line_h = 56
    hook = np.array([29, 2, 30, 34])
    assert sg.foot_apart(np.array([8, 44, 46, 6]), hook, line_h)       # under its foot
    assert not sg.foot_apart(np.array([8, 20, 20, 6]), hook, line_h)   # a dash beside it
    assert not sg.foot_apart(np.array([70, 36, 8, 6]), hook, line_h)   # a full stop after it
    assert not sg.foot_apart(np.array([32, 38, 12, 4]), hook, line_h)  # a speck: too narrow


def test_a_digit_fallen_apart_at_its_foot_is_read_whole():
    """The hook reads as a sure 7 and the foot as a sure mark, so "mark + 7" beat the merge,
    a sure 2, by the price of a wide digit. A mark under a digit's foot is no punctuation of
    the line: the merge, when sure, pays no price for being one digit fewer."""
    line_h = 56
    plan, book = _plan_of_two_parts(_two_apart_at_its_foot(line_h), line_h)
    assert plan.punct_ok[0] and (0, 2) in plan.feet
    merged = plan.merges[(0, 2)]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for p, label in ((plan.single[0], sg.NON_DIGIT), (plan.single[1], 7), (merged, 2)):
        probs[p, label] = 0.99
    probs[merged, 2] = 0.95  # a wide digit and a little less sure than its parts
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [merged]
    # unsure as one digit: the parts stand
    probs[merged, 2], probs[merged, sg.NON_DIGIT] = 0.5, 0.49
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [plan.single[1]]


def test_a_flat_mark_over_a_digits_top_is_told_from_one_beside_it():
    line_h = 56
    stem = np.array([30, 14, 8, 42])
    assert sg.cap_apart(np.array([28, 4, 16, 6]), stem, line_h)         # a 7's bar over it
    assert sg.cap_apart(stem, np.array([28, 4, 16, 6]), line_h)         # (either order)
    assert not sg.cap_apart(np.array([28, 30, 16, 6]), stem, line_h)    # a dash across it
    assert not sg.cap_apart(np.array([44, 4, 16, 6]), stem, line_h)     # a mark beside it
    assert not sg.cap_apart(np.array([28, 52, 16, 6]), stem, line_h)    # one under its foot
    assert not sg.cap_apart(np.array([30, 4, 3, 2]), stem, line_h)      # a speck: too narrow


def test_a_seven_whose_bar_came_off_is_read_whole():
    """The stem reads as a sure 1 and the bar as a mark; the merge, a 7 a little less sure,
    lost to "1 + mark". A mark over a digit's top is no punctuation of the line."""
    line_h = 56
    mask = np.zeros((line_h + 4, 60), bool)
    mask[2:8, 20:44] = True      # the bar
    mask[12:56, 36:42] = True    # the stem, apart under its end
    plan, book = _plan_of_two_parts(mask, line_h)
    assert plan.punct_ok[0] and (0, 2) in plan.feet
    merged = plan.merges[(0, 2)]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for p, label, sure in ((plan.single[0], sg.NON_DIGIT, 0.99), (plan.single[1], 1, 0.96),
                           (merged, 7, 0.91)):
        probs[p, label] = sure
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [merged]
    plan.feet.clear()
    plan.caps.clear()
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [plan.single[1]]


def test_a_five_whose_bar_came_off_is_read_whole_though_unsure():
    """The body alone reads a sure 6 and the bar a mark; merged they read a 5, but unsure
    (0.72, as on synthetic page 2457). A mark over the top joins a 5 or a 7 at CAP_SURE;
    a merge read as any other digit still needs SURE_CUT (a stub of a ruled line over a 5
    read as a 3)."""
    line_h = 56
    mask = np.zeros((line_h + 4, 60), bool)
    mask[2:8, 24:52] = True      # the bar, apart
    mask[12:56, 20:44] = True    # the body (a blob will do: the probabilities are given)
    plan, book = _plan_of_two_parts(mask, line_h)
    assert (0, 2) in plan.caps
    merged = plan.merges[(0, 2)]
    body, bar = sorted(plan.single, key=lambda p: -book.pieces[p].box[3])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[bar, sg.NON_DIGIT] = 0.99
    probs[body, 6] = 0.99
    probs[merged, 5], probs[merged, 6] = 0.72, 0.27
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [merged]
    probs[merged, 5], probs[merged, 3] = 0.26, 0.72   # the merge reads as a 3: no bar's digit
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [body]
    probs[merged, 3], probs[merged, 5] = 0.001, 0.45  # a 5, but too unsure
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [body]


def test_a_tall_figure_joined_to_small_zeros_may_hold_more_digits():
    """A cheque's "145000": the tall 1, 4 and 5 run on into small zeros in one component. Its
    width in line heights allowed 3 digits; judged by its slices' own heights it holds 6."""
    line_h = 86
    mask = np.zeros((line_h, 150), bool)
    mask[:, 2:6] = True                         # the tall 1
    mask[20:80, 18:40] = True                   # the 4 and 5, two thirds as tall (solid here)
    mask[40:80, 42:60] = True
    for x0 in (62, 84, 106, 128):               # small zeros, 0.35-0.4 line heights
        mask[46:80, x0:x0 + 18] = True
    cuts = [0, 16, 41, 61, 83, 105, 127, 150]
    assert sg.cut_piece_limit(150, line_h) == 3
    assert sg.small_writing_fit(mask, cuts, 150, line_h) >= 6
    tall_only = np.zeros_like(mask)
    tall_only[:, :] = mask[:, :].any(0)[None, :]  # the same slices at full height: no more
    assert sg.small_writing_fit(tall_only, cuts, 150, line_h) == 3


def _tall_figure_and_small_zeros(line_h: int = 86) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """One component: a tall 1, a 4 and a 5 (solid blocks), then three small drawn zeros about
    0.27 line heights tall, all joined by a stroke along their feet (cheque "145000", whose
    binarized ink is one blob). -> (mask, x-range of each of the six digits)"""
    mask = np.zeros((line_h, 170), np.uint8)
    mask[:, 2:8] = 1                                    # 1
    mask[20:80, 18:40] = 1                              # 4
    mask[34:80, 46:72] = 1                              # 5
    spans = [(2, 8), (18, 40), (46, 72)]
    for cx in (90, 116, 142):                           # small zeros, 23 px tall
        cv2.ellipse(mask, (cx, 68), (10, 11), 0, 0, 360, 1, 2)
        spans.append((cx - 11, cx + 11))
    mask[78:81, 2:150] = 1                              # the stroke joining their feet
    return mask.astype(bool), spans


def test_small_sure_zeros_cut_from_a_tall_figure_are_digits():
    """The small zeros are shorter than CUT_DIGIT_TALL line heights, so they used to count as
    one flat slice left out; read as sure digits and at least SMALL_DIGIT tall they are digits,
    and a left-out slice pays again for each loop it holds."""
    line_h = 86
    mask, spans = _tall_figure_and_small_zeros(line_h)
    book, plan = _plan_of(mask, line_h)
    labels = [1, 4, 5, 0, 0, 0]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    for _, _, p in plan.cuts[0]:
        x, _, w, _ = book.pieces[p].box
        for (x0, x1), label in zip(spans, labels, strict=True):
            # one digit's ink (and a bit of the joining stroke), no more
            if x <= x0 + 1 and x + w >= x1 - 1 and w <= x1 - x0 + 14:
                probs[p] = 0.001
                probs[p, label] = 0.95
    chosen = sg.solve_line(plan, probs, book.pieces, -1.0)
    assert [int(np.argmax(probs[p])) for p in chosen] == labels
    assert all(book.pieces[p].box[3] < sg.CUT_DIGIT_TALL * line_h for p in chosen[3:])


def test_enclosed_loops_counts_the_holes_of_a_crop():
    ring = np.zeros((28, 28), np.uint8)
    cv2.ellipse(ring, (14, 14), (6, 9), 0, 0, 360, 255, 3)
    eight = np.zeros((28, 28), np.uint8)
    cv2.circle(eight, (14, 8), 5, 255, 2)
    cv2.circle(eight, (14, 19), 6, 255, 2)
    dash = np.zeros((28, 28), np.uint8)
    dash[12:16, 4:24] = 255
    hook = ring.copy()
    hook[:, 14:] = 0                                    # an open curve: no loop
    assert [sg.enclosed_loops(c) for c in (ring, eight, dash, hook, None)] == [1, 2, 0, 0, 0]


def _two_zeros_joined_below() -> np.ndarray:
    """Two drawn zeros joined by a ligature along their feet: a cursive "00"."""
    mask = np.zeros((32, 60), np.uint8)
    cv2.ellipse(mask, (13, 16), (12, 14), 0, 0, 360, 1, 2)
    cv2.ellipse(mask, (46, 16), (12, 14), 0, 0, 360, 1, 2)
    mask[24:27, 24:36] = 1
    return mask.astype(bool)


def _plan_of(mask: np.ndarray, line_h: float):
    comps = cp.find_components(mask, min_area=1)
    assert len(comps) == 1
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0], line_h)
    x, w = float(comps.boxes[0, 0]), float(comps.boxes[0, 2])
    sg.plan_alternatives(book, plan, np.ones(1, bool), np.array([x]), np.array([x + w]))
    return book, plan


def test_cuts_through_a_loop_are_marked():
    book, plan = _plan_of(_two_zeros_joined_below(), 34)
    assert sg.hole_spans(_two_zeros_joined_below(), 5) == [(3, 24), (36, 57)]
    for _, _, p in plan.cuts[0]:
        x, _, w, _ = book.pieces[p].box
        through_loop = any(7 < c < 20 or 40 < c < 53 for c in (x, x + w))
        assert (p in plan.split_loops) == through_loop, book.pieces[p].box


def test_joined_zeros_are_parted_at_their_ligature_not_through_a_loop(monkeypatch):
    """Both readings are two zeros; the one cut through the second zero's loop is a little
    more confident but pays for the split loop."""
    monkeypatch.setattr(sg, "WIDE_PENALTY", 0.0)  # (the loop path has a wide piece)
    book, plan = _plan_of(_two_zeros_joined_below(), 34)
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    by_span = {}
    for _, _, p in plan.cuts[0]:
        x, _, w, _ = book.pieces[p].box
        by_span[(x, x + w)] = p
    ligature = [by_span[(0, 28)], by_span[(28, 60)]]
    through_loop = [by_span[(0, 45)], by_span[(45, 60)]]
    assert through_loop[0] in plan.split_loops and not set(ligature) & plan.split_loops
    for p, conf in [(ligature[0], 0.9), (ligature[1], 0.9), (through_loop[0], 0.95),
                    (through_loop[1], 0.95)]:
        probs[p] = (1 - conf) / 10
        probs[p, 0] = conf
    probs[plan.single[0]] = 0.001
    probs[plan.single[0], sg.NON_DIGIT] = 0.99
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == ligature


def test_a_page_with_a_one_touching_an_eight_reads_it():
    """Synthetic page 5005 (tuning seeds): "72819", its 8 and 1 touching."""
    image, truth = make_page(5005)
    assert real_reader().read(image).lines == truth


def test_a_narrowly_written_chain_may_be_cut_into_as_many_digits_as_it_holds():
    # three joined zeros 0.45 line heights wide each: the unit is 1.2 line heights wide
    chain = _loop_chain(3, w=22, h=44, overlap=3)
    comps = cp.find_components(chain, min_area=1)
    book = sg.PieceBook(comps)
    line_h = 46
    plan = sg.plan_line(book, [0], line_h)
    x, w = float(comps.boxes[0, 0]), float(comps.boxes[0, 2])
    sg.plan_alternatives(book, plan, np.ones(1, bool), np.array([x]), np.array([x + w]))
    assert sg.cut_piece_limit(w, line_h) >= 3
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    for _, _, p in plan.cuts[0]:
        if abs(book.pieces[p].box[2] - 22) <= 4:  # one whole zero
            probs[p] = 0.001
            probs[p, 0] = 0.99
    chosen = sg.solve_line(plan, probs, book.pieces, -1.0)
    assert len(chosen) == 3 and all(int(np.argmax(probs[p])) == 0 for p in chosen)


def test_a_chain_of_flat_zeros_is_cut_into_whole_zeros():
    # cheque zeros written flat and cursive: each 1.8 line heights wide, twice as wide as tall
    chain = _loop_chain(2, w=38, h=20)
    comps = cp.find_components(chain, min_area=1)
    assert len(comps) == 1
    box = tuple(int(v) for v in comps.boxes[0])
    line_h = 21.0
    plan, book = _one_unit_plan(comps.labels.astype(np.int32), box, line_h)
    whole = [p for _, _, p in plan.cuts[0] if abs(book.pieces[p].box[2] - 38) <= 4]
    assert whole, "no piece holds one whole flat zero"
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    for p in whole:
        probs[p] = 0.001
        probs[p, 0] = 0.95
    probs[plan.single[0]] = 0.001
    probs[plan.single[0], 0] = 0.5  # the whole chain: an unsure zero
    chosen = sg.solve_line(plan, probs, book.pieces, -1.0)
    assert len(chosen) == 2 and all(p in whole for p in chosen)


def test_a_chain_of_small_zeros_is_not_punctuation():
    # cents written small: the "00" chain is about 0.6 of the line's digit height
    plan, _ = _plan([(10, 5, 28, 45), (45, 5, 28, 45), (80, 22, 50, 27), (140, 40, 6, 6)])
    assert plan.punct_ok == [False, False, False, True]
    # ... and at under half the digit height (0.47 x 0.78 line heights) still digits, while a
    # dash (flat), a comma (narrow) and a stop may be punctuation
    plan, _ = _plan([(10, 5, 28, 45), (45, 5, 28, 45), (80, 28, 35, 21), (120, 40, 20, 4),
                     (150, 35, 7, 18), (165, 44, 5, 5)])
    assert plan.punct_ok == [False, False, False, True, True, True]


def _plan(units_boxes, line_h=45):
    """A LinePlan over hand-made boxes (each box one component)."""
    labels = np.zeros((120, 400), np.int32)
    for i, (x, y, w, h) in enumerate(units_boxes, 1):
        labels[y:y + h, x:x + w] = i
    boxes = np.array(units_boxes, np.int64)
    comps = cp.Components(labels, np.arange(1, len(boxes) + 1), boxes, boxes[:, 2] * boxes[:, 3])
    book = sg.PieceBook(comps)
    lefts = boxes[:, 0].astype(float)
    rights = lefts + boxes[:, 2]
    plan = sg.plan_line(book, list(range(len(boxes))), line_h)
    sg.plan_alternatives(book, plan, np.ones(len(boxes), bool), lefts, rights)
    return plan, book


def _dotted_line(dots):
    """A digit, then `dots` (x, y, w, h) after it, on a line 45 px tall; every piece read as
    "not a digit" but the digit -> (plan, book, probs)."""
    plan, book = _plan([(10, 5, 28, 45), *dots])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.97
    probs[:, 7] = 0.02  # (the classifier's best digit for a column of dots: not a 1)
    probs[plan.single[0]] = 0.001
    probs[plan.single[0], 2] = 0.99
    return plan, book, probs


def test_a_one_broken_into_dots_is_read_as_a_one():
    # three dashes in a column, together as tall as the line, each alone only a mark
    plan, book, probs = _dotted_line([(60, 5, 5, 11), (60, 22, 5, 8), (60, 36, 5, 14)])
    assert plan.punct_ok[1:] == [True, True, True]
    merged = plan.merges[(1, 4)]
    assert sg.dotted_ones(plan, book.pieces) == [merged]
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [plan.single[0], merged]


def test_marks_that_are_no_broken_one_stay_marks():
    # two dots like a colon, short of the line's height (a digit's stray parts)
    plan, book, probs = _dotted_line([(60, 10, 5, 6), (60, 32, 5, 6)])
    assert sg.dotted_ones(plan, book.pieces) == []
    # a flat stub over a full stop, as tall as the line: no stroke
    plan, book, probs = _dotted_line([(60, 5, 20, 2), (60, 44, 5, 6)])
    assert sg.dotted_ones(plan, book.pieces) == []
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [plan.single[0]]


def test_line_height_is_the_usual_digit_height():
    assert sg.line_height(np.array([40, 42, 38, 6])) == 40  # a stop does not count
    assert sg.line_height(np.array([40, 12])) == 40
    # one figure three times the height of the rest (a cheque's "4" before its "0681")
    assert sg.line_height(np.array([91, 25, 34, 36, 33, 5])) == 34
    # ... but a tall digit with only specks beside it keeps its height
    assert sg.line_height(np.array([60, 8, 6, 5])) == 60
    assert sg.line_height(np.zeros(0)) == 0.0


def test_plan_offers_merging_the_parts_of_a_broken_digit():
    # a 5 as body + separate bar touching its top-right; the next digit well apart
    plan, _ = _plan([(10, 20, 30, 30), (25, 8, 20, 6), (80, 8, 25, 42)])
    assert (0, 2) in plan.merges and (1, 3) not in plan.merges


def test_plan_offers_merging_a_bar_that_runs_on_to_the_right():
    # a 5 whose bar came off and runs on past its body: 1.4 line heights wide in all
    plan, _ = _plan([(10, 20, 30, 30), (22, 5, 51, 6), (110, 8, 25, 42)], line_h=45)
    assert (0, 2) in plan.merges
    # ... but two digits side by side wider than a broken digit may be are not offered
    plan, _ = _plan([(10, 8, 36, 42), (50, 8, 36, 42)], line_h=45)
    assert (0, 2) not in plan.merges


def test_broken_zero_in_flat_writing_is_offered_merged():
    # flat zeros twice as wide as tall; one came apart into a top and a bottom arc: together
    # 2.2 line heights wide, but no wider than the line's other zeros
    zeros = [(10, 30, 27, 14), (110, 30, 28, 13), (150, 31, 27, 14)]
    broken = [(40, 38, 27, 7), (42, 30, 27, 6)]
    plan, _ = _plan(zeros[:1] + broken + zeros[1:], line_h=13)
    assert (1, 3) in plan.merges
    # ... while with no flat neighbours to go by the same two arcs stay apart
    plan, _ = _plan(broken, line_h=13)
    assert (0, 2) not in plan.merges


def test_loops_of_an_8_written_apart_are_in_doubt():
    # an 8 whose loops came apart: two sure zeros, one above the other, each 0.4 line heights
    boxes = [(5, 3, 37, 39), (47, 11, 35, 14), (47, 26, 36, 16), (101, 7, 18, 39)]
    plan, book = _plan(boxes, line_h=36.5)
    assert sg.stacked_halves(plan, book.pieces).tolist() == [False, True, True, False]
    # two small zeros side by side (a cheque's cents) or one above the other but together
    # still short are not
    plan, book = _plan([(5, 3, 37, 39), (47, 11, 20, 14), (70, 11, 20, 14)], line_h=36.5)
    assert not sg.stacked_halves(plan, book.pieces).any()
    plan, book = _plan([(5, 3, 37, 39), (47, 11, 20, 10), (47, 22, 20, 10)], line_h=36.5)
    assert not sg.stacked_halves(plan, book.pieces).any()


def test_a_merge_read_as_no_digit_does_not_take_a_sure_digit_with_it():
    """A thin "#" before "905" reads as not a digit, and so does its merge with the 9; taken,
    the merge drops both, at one digit's price less than the sign and the 9 apart ("05"). A
    merge read as not a digit is no option where one of its units reads as a sure digit."""
    plan, book = _plan([(30, 33, 29, 33), (68, 24, 28, 47), (111, 24, 34, 47),
                        (157, 25, 48, 46)], line_h=46.5)
    merged = plan.merges[(0, 2)]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for p, label in ((plan.single[0], sg.NON_DIGIT), (plan.single[1], 9), (plan.single[2], 0),
                     (plan.single[3], 5), (merged, sg.NON_DIGIT)):
        probs[p, label] = 0.99
    assert sg.erases_a_digit(plan, 0, 2, merged, probs, book.pieces)
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == plan.single
    # an unsure 9 may be part of something that is no digit
    probs[plan.single[1], 9], probs[plan.single[1], sg.NON_DIGIT] = 0.6, 0.39
    assert not sg.erases_a_digit(plan, 0, 2, merged, probs, book.pieces)
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [merged] + plan.single[2:]


def _an_x_written_onto_a_2(merged_2: float):
    """A line "5", a small x, "2", "9" ("5x29"): the x reads as an unsure 8, its merge with
    the 2 as a 2 this sure -> (plan, book, probs)."""
    plan, book = _plan([(29, 27, 52, 53), (90, 53, 18, 27), (118, 26, 54, 54), (189, 26, 24, 54)],
                       line_h=54)
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for p, label, sure in ((plan.single[0], 5, 0.99), (plan.single[1], 8, 0.5),
                           (plan.single[2], 2, 0.99), (plan.single[3], 9, 0.99),
                           (plan.merges[(0, 2)], 5, 0.4), (plan.merges[(1, 3)], 2, merged_2)):
        probs[p, label] = sure
    return plan, book, probs


def test_a_merge_that_only_takes_in_a_neighbour_is_no_option(monkeypatch):
    """A small x written onto the 2 of "5x29" merged with it reads as a 2, less surely than the
    2 alone: at a digit's price less, the merge won and the x was gone ("529"). A merge that
    reads as one of its parts already reads surely, with its other parts digits beside that
    one, is no option; the x stays for the times sign's rule."""
    plan, book, probs = _an_x_written_onto_a_2(0.94)
    assert sg.takes_in_a_neighbour(plan, 1, 3, plan.merges[(1, 3)], probs, book.pieces)
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == plan.single
    # surer merged than alone: a broken 2's part, taken in
    plan, book, probs = _an_x_written_onto_a_2(0.999)
    assert not sg.takes_in_a_neighbour(plan, 1, 3, plan.merges[(1, 3)], probs, book.pieces)
    # a part read as no digit may be a stroke of the 2 itself
    plan, book, probs = _an_x_written_onto_a_2(0.94)
    probs[plan.single[1], 8], probs[plan.single[1], sg.NON_DIGIT] = 0.01, 0.9
    assert not sg.takes_in_a_neighbour(plan, 1, 3, plan.merges[(1, 3)], probs, book.pieces)
    monkeypatch.setattr(sg, "MERGE_NEIGHBOURS", False)
    plan, book, probs = _an_x_written_onto_a_2(0.94)
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [
        plan.single[0], plan.merges[(1, 3)], plan.single[3]]


def _an_8_apart(merged_8: float):
    """A line "5", an 8 whose loops came apart (each a sure 0), "1"; the 8's halves merged read
    as an 8 this sure -> (plan, book, probs)."""
    boxes = [(5, 3, 37, 39), (47, 11, 35, 14), (47, 26, 36, 16), (101, 7, 18, 39)]
    plan, book = _plan(boxes, line_h=36.5)
    merged = plan.merges[(1, 3)]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for p, label in ((plan.single[0], 5), (plan.single[1], 0), (plan.single[2], 0),
                     (plan.single[3], 1)):
        probs[p, label] = 0.99
    probs[merged, 8], probs[merged, sg.NON_DIGIT] = merged_8, 0.98 - merged_8
    return plan, book, probs


def test_an_8_whose_loops_came_apart_is_read_as_one_8_not_two_zeros():
    """Without a price for each digit two sure zeros outscore a sure 8 (ORAND "5468" read
    "54600"). A line read apart between stacked halves that a merge reads as one sure digit
    pays STACKED_SPLIT_COST."""
    plan, book, probs = _an_8_apart(0.95)
    assert sg.stacked_pairs(plan, book.pieces) == [1]
    assert sg.solve_line(plan, probs, book.pieces, 0.0) == [
        plan.single[0], plan.merges[(1, 3)], plan.single[3]]
    # an unsure merge leaves the halves as they read
    plan, book, probs = _an_8_apart(0.5)
    assert sg.solve_line(plan, probs, book.pieces, 0.0) == plan.single


def test_stacked_halves_read_apart_without_the_price(monkeypatch):
    monkeypatch.setattr(sg, "STACKED_SPLIT_COST", 0.0)
    plan, book, probs = _an_8_apart(0.95)
    assert sg.solve_line(plan, probs, book.pieces, 0.0) == plan.single


def test_a_one_beside_a_short_zero_is_in_doubt():
    """A 6 whose loop came off its stem reads as a sure "1" and a sure "0": neither in doubt, so
    the merge was never tried ("6" read "10"). A short 0 close beside a 1 is in doubt; a 0 as
    tall as the 1 ("10"), or one far from it, is not."""
    def doubt(boxes, labels):
        plan, book = _plan(boxes, line_h=40)
        probs = np.full((len(book.pieces), 11), 0.001, np.float32)
        for p, label in zip(plan.single, labels, strict=True):
            probs[p, label] = 0.99
        return sg.stem_and_loop(plan, probs, book.pieces).tolist()

    assert doubt([(5, 2, 16, 40), (30, 4, 8, 40), (40, 22, 18, 20)], [2, 1, 0]) == [False, True, True]
    assert doubt([(5, 2, 16, 20), (26, 4, 8, 40)], [0, 1]) == [True, True]   # a 9's loop, then its stem
    assert doubt([(30, 4, 8, 40), (42, 4, 22, 40)], [1, 0]) == [False, False]  # "10"
    assert doubt([(30, 4, 8, 40), (60, 22, 18, 20)], [1, 0]) == [False, False]  # far apart
    assert doubt([(30, 4, 8, 40), (40, 22, 18, 20)], [1, 6]) == [False, False]  # a sure 6 beside


def test_a_short_one_standing_on_its_loop_is_read_with_it():
    """A 6 whose loop came off under its stem ("76695" read "71695"): the stem, 0.7 line heights
    tall, reads as a sure 1 and the loop, a flat mark under its foot, as punctuation; merged
    they are a 6 a little less sure, which lost by the price of one digit fewer. A short 1
    standing on such a mark pays STEM_ON_MARK_COST; a 1 as tall as the line, or the mark beside
    its foot (a full stop), does not."""
    def read(boxes):
        plan, book = _plan(boxes, line_h=42)
        probs = np.full((len(book.pieces), 11), 0.001, np.float32)
        stem, mark, six = plan.single
        probs[[stem, six], [1, 6]] = 0.996
        probs[mark, sg.NON_DIGIT] = 0.999
        merged = plan.merges[(0, 2)]
        probs[merged, 6] = 0.895
        chosen = sg.solve_line(plan, probs, book.pieces, -1.0)
        return ["6" if p == merged else str(int(np.argmax(probs[p, :10]))) for p in chosen]

    assert read([(10, 8, 8, 30), (12, 40, 14, 8), (34, 8, 20, 42)]) == ["6", "6"]
    assert read([(10, 8, 8, 40), (12, 40, 14, 8), (34, 8, 20, 42)]) == ["1", "6"]  # a full 1
    assert read([(10, 8, 8, 30), (22, 30, 8, 8), (34, 8, 20, 42)]) == ["1", "6"]   # a stop


def test_only_doubtful_units_get_alternatives():
    plan, book = _plan([(10, 20, 30, 30), (25, 8, 20, 6), (80, 8, 25, 42)])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for p in plan.single:
        probs[p, 1] = 0.99
    assert not sg.doubtful_units(plan, probs, book.pieces).any()
    probs[plan.single[1], 1] = 0.3
    assert sg.doubtful_units(plan, probs, book.pieces).tolist() == [False, True, False]


def test_doubt_needs_an_unsure_reading_or_a_unit_wider_than_doubt_wide():
    line_h = 40
    narrow, wide = int(0.9 * sg.DOUBT_WIDE * line_h), int(1.1 * sg.DOUBT_WIDE * line_h)
    boxes = [(10, 5, 40, 40), (60, 5, narrow, 40), (70 + narrow, 5, wide, 40)]
    plan, book = _plan(boxes, line_h=line_h)
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for p in plan.single:
        probs[p, 0] = 0.95
    # sure, and the unit under DOUBT_WIDE line heights a digit written wide: only the widest
    assert sg.doubtful_units(plan, probs, book.pieces).tolist() == [False, False, True]
    probs[plan.single[0], 0] = sg.DOUBT_SURE + 0.02
    probs[plan.single[1], 0] = sg.DOUBT_SURE - 0.02
    assert sg.doubtful_units(plan, probs, book.pieces).tolist() == [False, True, True]


def test_a_short_digit_sitting_high_beside_a_tall_one_is_in_doubt():
    """The top of an 8 whose faint upper stroke broke off reads as a sure 7 half the line's
    height beside the rest ("18" read "187"): short and high beside a tall neighbour, it is in
    doubt, so its merge with the neighbour is read too. The same mark down on the line, one as
    tall as the line, one beside no tall neighbour or one too small to be a digit alone is
    not."""
    def doubt(boxes):
        plan, book = _plan(boxes, line_h=40)
        probs = np.full((len(book.pieces), 11), 0.001, np.float32)
        for p in plan.single:
            probs[p, 7] = 0.99
        return sg.doubtful_units(plan, probs, book.pieces).tolist()

    eight = (10, 5, 24, 40)
    assert doubt([eight, (36, 5, 20, 20)]) == [False, True]             # high, half as tall
    assert doubt([(36, 5, 20, 20), (60, 5, 24, 40)]) == [True, False]   # ... before it
    assert doubt([eight, (36, 22, 20, 20)]) == [False, False]           # low on the line
    assert doubt([eight, (36, 5, 20, 36)]) == [False, False]            # as tall as the line
    assert doubt([(10, 20, 24, 25), (36, 5, 20, 20)]) == [False, False]  # no tall neighbour
    assert doubt([eight, (36, 5, 10, 12)]) == [False, False]            # small: a mark alone


def _eight_and_one():
    """An "8" (two rings) joined to a "1", narrower than the split width -> (comps, box)."""
    mask = np.zeros((60, 60), np.uint8)
    cv2.ellipse(mask, (18, 17), (10, 10), 0, 0, 360, 1, 3)
    cv2.ellipse(mask, (18, 39), (11, 11), 0, 0, 360, 1, 3)
    cv2.line(mask, (37, 6), (37, 50), 1, 3)
    cv2.line(mask, (28, 39), (37, 39), 1, 2)
    comps = cp.find_components(mask.view(bool))
    assert len(comps) == 1
    box = tuple(int(v) for v in comps.boxes[0])
    assert box[2] <= 0.9 * box[3]  # too narrow for the usual cut
    return comps, box


def _eight_and_one_plan(verdict: int, confidence: float):
    """The 8-and-1 unit read whole as `verdict` at `confidence`, with the cuts that reading
    earns -> (plan, book, probs)."""
    comps, box = _eight_and_one()
    x = np.array([float(box[0])])
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0], box[3])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[plan.single[0], verdict] = confidence
    sg.plan_alternatives(book, plan, np.ones(1, bool), x, x + box[2],
                         unsure=sg.unsure_full_height(plan, probs, book.pieces))
    probs = np.vstack([probs, np.full((len(book.pieces) - len(probs), 11), 0.001, np.float32)])
    return plan, book, probs


def test_a_narrow_touching_pair_read_as_not_a_digit_or_unsure_is_cut():
    # only its reading as not-a-digit, or as no sure digit, makes it worth cutting
    assert _eight_and_one_plan(8, 0.99)[0].cuts == {}  # read as a sure digit: left whole
    for verdict, confidence in ((sg.NON_DIGIT, 0.99), (8, 0.47)):
        plan = _eight_and_one_plan(verdict, confidence)[0]
        assert 0 in plan.cuts and len(plan.cuts[0]) >= 2


def test_an_unsure_unit_cut_into_sure_digits_pays_no_fewer_digits_price():
    # read whole as an unsure 8, cut as a sure 8 and a sure 1: with the engine's negative
    # digit bonus the single digit would win without the refund (-0.75 - 1 vs -2)
    plan, book, probs = _eight_and_one_plan(8, 0.47)
    edges = plan.cuts[0]
    last = max(m for _, m, _ in edges)
    pairs = [(p, q) for k, m, p in edges if k == 0 for k2, m2, q in edges if k2 == m and m2 == last]
    assert pairs
    left, right = max(pairs, key=lambda pq: book.pieces[pq[0]].box[2])
    for _, _, piece in edges:
        probs[piece, sg.NON_DIGIT] = 0.99
    probs[left] = 0.001
    probs[left, 8] = 0.99
    probs[right] = 0.001
    probs[right, 1] = 0.99
    assert sg.solve_line(plan, probs, book.pieces, digit_bonus=-1.0) == [left, right]
    # a fairly sure whole reading keeps its price advantage
    probs[plan.single[0], 8] = 0.7
    assert sg.solve_line(plan, probs, book.pieces, digit_bonus=-1.0) == [plan.single[0]]


def test_solve_line_prefers_the_confident_segmentation():
    plan, book = _plan([(10, 20, 30, 30), (25, 8, 20, 6), (80, 8, 25, 42)])
    n = len(book.pieces)
    probs = np.full((n, 11), 0.001, np.float32)
    merged = plan.merges[(0, 2)]
    body, bar, other = plan.single
    probs[merged, 5] = 0.98      # body + bar is clearly a 5
    probs[body, 6] = 0.6         # the body alone is a so-so 6
    probs[bar, 10] = 0.9         # the bar alone is not a digit
    probs[other, 3] = 0.99
    chosen = sg.solve_line(plan, probs, book.pieces)
    assert chosen == [merged, other]
    # and when the parts are two confident digits, they stay two
    probs[merged] = 0.001
    probs[merged, 10] = 0.95
    probs[body, 6] = 0.97
    chosen = sg.solve_line(plan, probs, book.pieces)
    assert chosen[0] == body and chosen[-1] == other


def _stem_apart_and_loop_joined_to_a_zero():
    """(PieceBook, LinePlan with alternatives and joins) of a 6 whose stem stands apart and
    whose loop is joined by a ligature to the 0 after it: units "stem" and "loop + 0"."""
    mask = np.zeros((50, 110), np.uint8)
    cv2.line(mask, (12, 8), (12, 40), 1, 3)                    # the 6's stem, apart
    cv2.ellipse(mask, (28, 31), (9, 9), 0, 0, 360, 1, 2)       # its loop ...
    mask[30:33, 36:48] = 1                                     # ... joined to the next digit
    cv2.ellipse(mask, (60, 24), (12, 16), 0, 0, 360, 1, 2)     # a 0
    comps = cp.find_components(mask.astype(bool), min_area=1)
    book = sg.PieceBook(comps)
    lefts = comps.boxes[:, 0].astype(float)
    rights = lefts + comps.boxes[:, 2]
    plan = sg.plan_line(book, [0, 1], 34)
    sg.plan_alternatives(book, plan, np.ones(2, bool), lefts, rights)
    sg.plan_joins(book, plan, lefts, rights)
    return book, plan


def test_a_digit_across_two_units_is_read_whole_when_its_parts_are_unsure():
    book, plan = _stem_apart_and_loop_joined_to_a_zero()
    cols = plan.cut_cols[1]
    loop_end = next(m for m, c in enumerate(cols) if c == 40)  # the cut through the ligature
    joins = dict(plan.joins[(0, 0)])
    six = joins[loop_end]
    assert book.pieces[six].box[0] == 10 and book.pieces[six].box[2] == 30  # stem + loop
    pieces = {(k, m): p for k, m, p in plan.cuts[1]}
    loop, zero = pieces[(0, loop_end)], pieces[(loop_end, len(cols) - 1)]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    for p, digit, conf in ((six, 6, 0.98), (plan.single[0], 1, 0.5), (loop, 0, 0.3), (zero, 0, 0.99)):
        probs[p] = 0.001
        probs[p, digit], probs[p, sg.NON_DIGIT] = conf, 1 - conf
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [six, zero]
    # two sure digits stay two: a join costs JOIN_COST ...
    stem = plan.single[0]
    probs[stem] = 0.001
    probs[stem, 7], probs[stem, sg.NON_DIGIT] = 0.99, 0.01
    probs[loop, 0], probs[six, 6] = 0.99, 0.999
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [stem, loop, zero]
    # ... except a "1" and a "0" slice much shorter than it: a 6's stem and its loop
    probs[stem, 7], probs[stem, 1] = 0.001, 0.99
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [six, zero]


def test_units_that_overlap_are_not_joined_across_a_cut():
    book, plan = _stem_apart_and_loop_joined_to_a_zero()
    comps = book.comps
    # the stem reaching over the loop's first cut would lose its right part to the join
    comps.boxes[0, 2] = 25
    plan.joins.clear()
    lefts = comps.boxes[:, 0].astype(float)
    sg.plan_joins(book, plan, lefts, lefts + comps.boxes[:, 2])
    assert all(plan.cut_cols[1][m] >= 35 for m, _ in plan.joins[(0, 0)])


def test_of_two_equally_sure_readings_the_one_that_explains_the_mark_wins():
    # a 2 whose base came off: the top alone is a sure 7 and the base a certain mark, the
    # two together a sure 2 (the int8 model's top probabilities): an exact tie
    plan, book = _plan([(10, 34, 32, 8), (24, 10, 22, 28), (80, 8, 25, 42)])
    probs = np.full((len(book.pieces), 11), 0.0, np.float32)
    base, top, other = plan.single
    assert plan.punct_ok[0] and not plan.punct_ok[1]
    merged = plan.merges[(0, 2)]
    probs[top, 7] = probs[merged, 2] = probs[other, 3] = 255 / 256
    probs[base, sg.NON_DIGIT] = 1.0
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [merged, other]
    # ... but a mark beside a digit that together read worse stays a mark
    probs[merged, 2] = 0.9
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [top, other]


def test_two_tall_strokes_side_by_side_are_not_merged_into_one_1():
    # "11" written close: each stroke a sure 1, and the merged crop (one thick stroke) a sure
    # 1 too; with the engine's negative digit bonus one digit would score better than two
    plan, book = _plan([(10, 5, 10, 42), (28, 3, 9, 44), (80, 8, 25, 42)])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    merged = plan.merges[(0, 2)]
    first, second, other = plan.single
    probs[[first, second, merged], 1] = 0.99
    probs[other, 3] = 0.99
    assert sg.solve_line(plan, probs, book.pieces, -0.6) == [first, second, other]
    # a 1 broken across (top and bottom part) is still one 1
    plan, book = _plan([(10, 5, 10, 20), (11, 27, 9, 20), (80, 8, 25, 42)])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    top, bottom, other = plan.single
    merged = plan.merges[(0, 2)]
    probs[[top, bottom, merged], 1] = 0.99
    probs[other, 3] = 0.99
    assert sg.solve_line(plan, probs, book.pieces, -0.6) == [merged, other]


def test_a_1_with_its_flag_apart_is_merged_though_both_parts_are_tall():
    # a cheque's "152" whose 1 has a long flag: the flag (with the 1's top) and the stem are
    # both tall, but the flag alone is not a digit, so this is no "11" ("1152")
    plan, book = _plan([(10, 8, 14, 34), (20, 18, 7, 32), (40, 8, 25, 42)])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    flag, stem, other = plan.single
    merged = plan.merges[(0, 2)]
    probs[flag, 1], probs[flag, sg.NON_DIGIT] = 0.16, 0.76
    probs[stem, 1] = 0.75
    probs[merged, 1] = 0.99
    probs[other, 5] = 0.99
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [merged, other]


def test_a_short_stroke_too_tall_for_punctuation_is_no_1():
    # a cheque's "6000" ends in a bar 0.55 line heights tall: too tall to be punctuation, too
    # short to be a 1; with nothing else on offer for it, it was still read as one ("60001")
    plan, book = _plan([(10, 8, 25, 42), (40, 8, 25, 42), (80, 25, 7, 24)])
    assert not plan.punct_ok[2] and not plan.small[2]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    six, zero, bar = plan.single
    probs[[six, zero], [6, 0]] = 0.99
    probs[bar, 1], probs[bar, sg.NON_DIGIT] = 0.30, 0.68
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [six, zero]
    probs[bar, 1], probs[bar, 4] = 0.001, 0.30  # read as a 4, its height does not matter
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [six, zero, bar]


def test_a_long_comma_read_as_a_sure_1_is_punctuation():
    # "4677,70": the comma, 0.7 line heights tall, hangs below its neighbours' middle and
    # feet and reads as a 1 at 0.99; a 1 of the same size standing on the line stays a 1
    boxes = [(10, 8, 25, 42), (40, 8, 25, 42), (70, 35, 7, 31), (85, 8, 25, 42)]
    for y, expected in ((35, 3), (11, 4)):
        boxes[2] = (70, y, 7, 31)
        plan, book = _plan(boxes)
        assert (2 in plan.hanging) == (expected == 3)
        probs = np.full((len(book.pieces), 11), 0.001, np.float32)
        probs[:, sg.NON_DIGIT] = 0.99  # merges: not a digit
        probs[plan.single] = 0.001
        probs[plan.single, [7, 7, 1, 0]] = 0.99
        probs[plan.single[2], sg.NON_DIGIT] = 0.01
        assert len(sg.solve_line(plan, probs, book.pieces, -1.0)) == expected


def test_a_small_zero_in_two_strokes_is_read_though_each_may_be_a_mark():
    # "50.000": a small zero's two strokes are each short enough to be punctuation and each
    # read as not a digit; merged they are a sure 0, not two marks
    plan, book = _plan([(10, 8, 40, 42), (60, 30, 12, 10), (68, 24, 12, 12), (100, 24, 12, 18)])
    assert plan.punct_ok[1] and plan.punct_ok[2] and (1, 3) in plan.merges
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    five, low, high, zero = plan.single
    probs[[five, zero]] = 0.001
    probs[[five, zero], [5, 0]] = 0.99
    probs[low, sg.NON_DIGIT], probs[high, sg.NON_DIGIT] = 0.99, 0.7
    merged = plan.merges[(1, 3)]
    probs[merged] = 0.001
    probs[merged, 0] = 0.97
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [five, merged, zero]
    probs[merged, 0], probs[merged, sg.NON_DIGIT] = 0.2, 0.75  # merged, no digit either
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [five, zero]


def test_a_flat_stroke_closing_a_line_may_be_a_mark_but_a_small_zero_stays():
    # a cheque's "5580" ends in a dash-like flourish 0.6 line heights tall, read as a weak 1
    # ("55801"); solid boxes have no loop, so the flourish is a closing mark
    plan, book = _plan([(10, 8, 25, 42), (40, 8, 25, 42), (80, 20, 30, 26)])
    assert plan.end_marks == {2} and not plan.punct_ok[2]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    five, eight, flourish = plan.single
    probs[[five, eight], [5, 8]] = 0.99
    probs[flourish, 1], probs[flourish, sg.NON_DIGIT] = 0.29, 0.71
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [five, eight]
    probs[flourish, 1], probs[flourish, sg.NON_DIGIT] = 0.001, 0.71
    probs[flourish, 4] = 0.29  # read as anything but a 1 or a 7, it stays a digit
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [five, eight, flourish]
    # a small flat zero at the end (a ring: it has a loop) is no closing mark, nor one first
    comps_labels = book.comps.labels
    comps_labels[20:46, 80:110] = 0
    cv2.ellipse(comps_labels, (95, 33), (14, 12), 0, 0, 360, 3, 2)
    plan = sg.plan_line(book, [0, 1, 2], 45)
    assert plan.end_marks == set()
    plan, _ = _plan([(10, 20, 30, 26), (50, 8, 25, 42), (80, 8, 25, 42)])
    assert plan.end_marks == set()


def test_a_short_stroke_read_as_1_is_punctuation():
    # "350," : the comma hangs below the baseline, under half a digit tall, and the classifier
    # is sure it is a 1 (and all but sure it is not "not a digit")
    plan, book = _plan([(10, 8, 25, 42), (40, 8, 25, 42), (70, 8, 25, 42), (100, 38, 7, 20)])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99  # merges and cuts: not digits
    digits = plan.single[:3]
    comma = plan.single[3]
    for p, label in zip(digits, (3, 5, 0), strict=True):
        probs[p] = 0.001
        probs[p, label] = 0.99
    probs[comma] = 0.001
    probs[comma, 1], probs[comma, sg.NON_DIGIT] = 0.98, 0.01
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == digits
    # a full-height 1 there is a digit
    plan, book = _plan([(10, 8, 25, 42), (40, 8, 25, 42), (70, 8, 25, 42), (100, 8, 7, 42)])
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    for p, label in zip(plan.single, (3, 5, 0, 1), strict=True):
        probs[p] = 0.001
        probs[p, label] = 0.99
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == plan.single


def _stroke_crop(points, thickness: int = 2) -> np.ndarray:
    """A 28 x 28 crop of one stroke through `points` (x, y in the crop), as normalized."""
    return _strokes_crop([points], thickness)


def _strokes_crop(strokes, thickness: int = 2) -> np.ndarray:
    """A 28 x 28 crop of strokes, each through its points (x, y in the crop)."""
    crop = np.zeros((28, 28), np.uint8)
    cv2.polylines(crop, [np.array(points, np.int32) for points in strokes], False, 255, thickness,
                  cv2.LINE_AA)
    return crop


SLASH = [(9, 24), (19, 4)]          # "/" leaning 27 degrees
UPRIGHT_ONE = [(14, 24), (15, 4)]
OPENING = [(17, 3), (12, 9), (11, 14), (12, 19), (17, 25)]   # "(" bowed left
CLOSING = [(11, 3), (16, 9), (17, 14), (16, 19), (11, 25)]   # ")" bowed right
RING = "ring"                       # any other digit: a ring, upright


def _written(strokes, heights=None, gaps=None, line_h: int = 40) -> list[sg.Piece]:
    """Pieces left to right, each a stroke (points) or RING, `heights` px tall (line_h),
    `gaps` px apart (8)."""
    pieces, x = [], 0
    for j, stroke in enumerate(strokes):
        h = heights[j] if heights else line_h
        crop = (cv2.circle(np.zeros((28, 28), np.uint8), (14, 14), 8, 255, 3) if stroke is RING
                else _stroke_crop(stroke))
        pieces.append(sg.Piece((j + 1,), (x, 0, 20, h), crop))
        x += 20 + (gaps[j] if gaps and j < len(gaps) else 8)
    return pieces


def test_stroke_shape_measures_lean_and_bow():
    slant, bow = sg.stroke_shape(_stroke_crop(SLASH))
    assert slant == pytest.approx(-0.5, abs=0.08) and abs(bow) < sg.SLASH_BOW
    slant, bow = sg.stroke_shape(_stroke_crop(UPRIGHT_ONE))
    assert abs(slant) < 0.1 and abs(bow) < 0.02
    assert sg.stroke_shape(_stroke_crop(OPENING))[1] <= -sg.PAREN_BOW
    assert sg.stroke_shape(_stroke_crop(CLOSING))[1] >= sg.PAREN_BOW
    # a thick blob is no stroke
    assert sg.stroke_shape(cv2.circle(np.zeros((28, 28), np.uint8), (14, 14), 9, 255, -1)) is None
    assert sg.stroke_shape(None) is None


def _runs_of(row) -> list[tuple[int, int]]:
    """(start, past the end) of each run of True in a list, by walking it."""
    runs, start = [], None
    for i, v in enumerate([*row, False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            runs.append((start, i))
            start = None
    return runs


def test_row_run_helpers_agree_with_walking_each_row():
    rng = np.random.default_rng(7)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        mask = rng.random((h, w)) < rng.random()
        runs = [_runs_of(row) for row in mask.tolist()]
        assert sg.runs_per_row(mask).tolist() == [len(r) for r in runs]
        assert sg.runs_per_row(mask.T).tolist() == [len(_runs_of(col)) for col in mask.T.tolist()]
        for last in (False, True):
            ends = [r[-1] if last else r[0] for r in runs if r]
            assert sg.end_run_middles(mask, last) == [(a + b - 1) / 2 for a, b in ends]


def test_fitted_slant_is_the_least_squares_line_through_the_row_middles():
    rng = np.random.default_rng(3)
    for _ in range(100):
        mask = np.zeros((28, 28), bool)
        for r in sorted(rng.choice(28, size=int(rng.integers(3, 28)), replace=False).tolist()):
            a = int(rng.integers(0, 26))
            mask[r, a:a + int(rng.integers(1, 3))] = True
        rows, middles = sg.row_middles(mask)
        ys, xs = np.nonzero(mask)
        assert rows == sorted(set(ys.tolist()))
        assert middles == pytest.approx([xs[ys == r].mean() for r in rows])
        slant, strays = sg.fitted_slant(rows, middles)
        fit = np.polyfit(rows, middles, 1)
        assert slant == pytest.approx(fit[0], abs=1e-9)
        assert strays == pytest.approx(np.asarray(middles) - np.polyval(fit, rows), abs=1e-9)


def _separators(strokes, labels, heights=None, gaps=None) -> list[int]:
    return np.flatnonzero(sg.separator_digits(_written(strokes, heights, gaps), labels, 40)).tolist()


def test_a_dates_slashes_are_separators():
    one, slash = UPRIGHT_ONE, SLASH
    # "12/05/2026": the slashes cut the line into a date's groups and lean more than its 1
    date = [one, RING, slash, RING, RING, slash, RING, RING, RING, RING]
    labels = [1, 2, 1, 0, 5, 1, 2, 0, 2, 6]
    assert _separators(date, labels) == [2, 5]
    # "3/4/26" too; the same strokes elsewhere are no date ("1/2345/6": a 4-digit month)
    assert _separators([RING, slash, RING, slash, RING, RING], [3, 1, 4, 1, 2, 6]) == [1, 3]
    assert _separators([one, slash, RING, RING, RING, RING, slash, RING],
                       [1, 1, 2, 3, 4, 5, 1, 6]) == []
    # a space inside, or slashes shorter than the digits: a number with 1s in it
    assert _separators(date, labels, gaps=[8, 8, 8, 8, 30]) == []
    assert _separators(date, labels, heights=[40, 40, 34, 40, 40, 34, 40, 40, 40, 40]) == []
    # no calendar date ("12/45/2026", "3/4/2615"): a number with 1s in it
    assert _separators(date, [1, 2, 1, 4, 5, 1, 2, 0, 2, 6]) == []
    assert _separators([RING, slash, RING, slash, RING, RING, RING, RING],
                       [3, 1, 4, 1, 2, 6, 1, 5]) == []
    # upright strokes in a date's places are 1s ("12105120")
    assert _separators([one, RING, one, RING, RING, one, RING, RING],
                       [1, 2, 1, 0, 5, 1, 2, 0]) == []
    # ... and so are leaning ones when the writer's other 1s lean as far ("11/11/11" can't tell)
    assert _separators([slash, RING, slash, RING, RING, slash, RING, RING],
                       [1, 2, 1, 0, 5, 1, 2, 0]) == []


TICK = [(5, 14), (10, 24), (22, 3)]   # a check mark: a short arm down, a long one up


def test_a_tick_after_a_number_is_no_1():
    assert sg.tick_shaped(_stroke_crop(TICK)) and not sg.tick_shaped(_stroke_crop(UPRIGHT_ONE))
    # "4096 ✓": the tick apart at the end is left out; close to the number, or anywhere but
    # last, it stays a 1; a 1 of a foot's shape too
    labels = [4, 0, 9, 6, 1]
    assert _separators([RING, RING, RING, RING, TICK], labels, gaps=[8, 8, 8, 40]) == [4]
    assert _separators([RING, RING, RING, RING, TICK], labels) == []
    assert _separators([TICK, RING, RING], [1, 5, 0], gaps=[40, 8]) == []
    assert _separators([RING, UPRIGHT_ONE], [4, 1], gaps=[40]) == []


PLUS = [[(4, 14), (24, 14)], [(14, 4), (14, 24)]]                 # "+"
TURNED_PLUS = [[(4, 16), (24, 12)], [(12, 4), (16, 24)]]          # "+" turned 11 degrees
NOT_PLUS = {
    "T": [[(4, 5), (24, 5)], [(14, 5), (14, 24)]],                 # the bar at the top
    "4": [[(9, 4), (4, 17)], [(4, 17), (23, 17)], [(17, 6), (17, 25)]],
    "crossed 7": [[(5, 5), (22, 5)], [(22, 5), (12, 25)], [(9, 15), (21, 15)]],
    "1 on a foot": [[(14, 4), (14, 24)], [(8, 24), (20, 24)]],
    "x": [[(5, 5), (23, 23)], [(23, 5), (5, 23)]],
}


def test_plus_shaped_is_a_bar_and_a_stem_crossing_in_their_middles():
    assert sg.plus_shaped(_strokes_crop(PLUS)) and sg.plus_shaped(_strokes_crop(TURNED_PLUS))
    for name, strokes in NOT_PLUS.items():
        assert not sg.plus_shaped(_strokes_crop(strokes)), name
    assert not sg.plus_shaped(_stroke_crop(UPRIGHT_ONE)) and not sg.plus_shaped(None)


def test_a_plus_sign_stands_on_the_lines_middle_and_is_shorter_than_its_digits():
    ring = cv2.circle(np.zeros((28, 28), np.uint8), (14, 14), 8, 255, 3)
    plus = _strokes_crop(PLUS)

    def line(plus_top: int, plus_h: int) -> list[sg.Piece]:
        return [sg.Piece((1,), (0, 0, 20, 40), ring), sg.Piece((2,), (28, plus_top, 24, plus_h), plus),
                sg.Piece((3,), (60, 0, 20, 40), ring)]
    read = [5, 7, 3]
    assert sg.plus_signs(line(8, 24), read, 40).tolist() == [False, True, False]
    assert sg.separator_digits(line(8, 24), read, 40).tolist() == [False, True, False]
    assert sg.plus_signs(line(8, 24), [5, 4, 3], 40).tolist() == [False, True, False]
    assert not sg.plus_signs(line(8, 24), [5, 2, 3], 40).any()  # read as a 2: left alone
    assert not sg.plus_signs(line(16, 24), read, 40).any()   # on the baseline: a small digit
    assert not sg.plus_signs(line(0, 40), read, 40).any()    # as tall as the digits
    assert not sg.plus_signs(line(8, 24)[1:2], [7], 40).any()  # alone: no line's middle


def test_few_handwritten_digits_are_plus_shaped(mnist_test_set):
    """The shape test alone, on every MNIST test digit: 4 of 10,000 (all 4s) when written."""
    x, _ = mnist_test_set
    assert sum(sg.plus_shaped(crop) for crop in x) <= 10


def _script_dollar(height: int, font: int = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX) -> np.ndarray:
    """Ink alpha (float 0..1) of a "$" in one of OpenCV's script fonts, `height` px tall."""
    scale = cv2.getFontScaleFromHeight(font, height, 3)
    (width, _), _ = cv2.getTextSize("$", font, scale, 3)
    canvas = np.zeros((2 * height, width + 10), np.uint8)
    cv2.putText(canvas, "$", (5, int(1.5 * height)), font, scale, 255, 3, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255


def test_dollar_shaped_is_an_s_with_its_stem_out_at_both_ends(mnist_test_set):
    from realtime.normalize import normalize_digit

    for font in (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX):
        assert sg.dollar_shaped(normalize_digit((_script_dollar(60, font) * 255).astype(np.uint8)))
    x, y = mnist_test_set
    assert sum(sg.dollar_shaped(crop) for crop in x[y == 5]) == 0  # none of 892 when written
    assert not sg.dollar_shaped(None)


def test_a_dollar_sign_before_a_number_is_left_out(monkeypatch):
    """"$125": the "$" reads as a sure 5; it is left out, and the number read."""
    height = 48
    dollar = _script_dollar(int(1.1 * height))
    ink = np.zeros((3 * height, 8 * height), np.float32)
    ink[:dollar.shape[0], :dollar.shape[1]] = dollar
    render_number("125", height=height, seed=3, ink=ink,
                  origin=(dollar.shape[1] + height // 6, int(1.55 * 1.1 * height)))
    reader = real_reader()
    assert reader.read(on_paper(ink)).lines == ["125"]
    monkeypatch.setattr(sg, "dollar_signs", lambda pieces, labels: np.zeros(len(pieces), bool))
    assert reader.read(on_paper(ink)).lines == ["5125"]  # without the rule


@pytest.mark.parametrize("digits, first, second, is_date", [
    ("1210512026", 2, 5, True),   # "12/05/2026", its slashes read as 1s
    ("3111112", 2, 4, True),      # "31/1/12"
    ("1313112", 2, 4, True),      # "13/3/12" (day and month either way round) ...
    ("13113112", 2, 5, False),    # ... but not "13/13/12"
    ("3213112", 2, 4, False),     # "32/3/12"
    ("711011999", 1, 4, True),    # "7/10/1999"
    ("711012999", 1, 4, False),   # "7/10/2999"
    ("010105", 1, 3, False),      # "0/0/05"
])
def test_calendar_date(digits, first, second, is_date):
    assert sg.calendar_date([int(d) for d in digits], first, second) is is_date


def test_parentheses_round_digits_are_separators():
    opening, closing, one = OPENING, CLOSING, UPRIGHT_ONE
    # "(555) 123"
    phone = [opening, RING, RING, RING, closing, one, RING, RING]
    labels = [1, 5, 5, 5, 1, 1, 2, 3]
    tall = [44, 40, 40, 40, 44, 40, 40, 40]
    assert _separators(phone, labels, tall, gaps=[8, 8, 8, 8, 40]) == [0, 4]
    # a space inside, bowed the wrong way round, nothing between, or no taller than the
    # digits inside: 1s
    assert _separators(phone, labels, tall, gaps=[8, 40]) == []
    assert _separators([closing, RING, opening, one], [1, 5, 1, 1], [44, 40, 44, 40]) == []
    assert _separators([opening, closing, RING], [1, 1, 5], [44, 44, 40]) == []
    assert _separators([opening, RING, closing], [1, 5, 1]) == []
    assert _separators([opening, RING, closing, RING], [1, 5, 1, 3], [44, 40, 44, 40]) == []
    assert _separators([opening, RING, RING, closing], [1, 5, 7, 1], [44, 40, 40, 44]) == [0, 3]
    # one bowed stroke alone is a 1
    assert _separators([opening, RING, RING, one], [1, 5, 5, 1], [44, 40, 40, 40]) == []


def _one_unit_plan(labels: np.ndarray, box: tuple[int, int, int, int], line_h: float):
    """A LinePlan over one hand-drawn component (label 1 in `labels`, inside `box`) with
    every cut the engine would try."""
    x, _, w, _ = box
    comps = cp.Components(labels, np.array([1]), np.array([box], np.int64),
                          np.array([int((labels > 0).sum())]))
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0], line_h)
    sg.plan_alternatives(book, plan, np.ones(1, bool), np.array([float(x)]),
                         np.array([float(x + w)]))
    return plan, book


def test_a_flat_tail_joined_to_touching_digits_is_left_out():
    # two touching digits with a 1-px ligature tail running on to the right: every reading
    # of the unit must cover the tail, which is no digit
    labels = np.zeros((60, 120), np.int32)
    labels[10:50, 10:30] = 1
    labels[10:50, 34:54] = 1
    labels[29:31, 30:34] = 1   # where they touch
    labels[12, 54:90] = 1      # the tail
    plan, book = _one_unit_plan(labels, (10, 10, 80, 40), line_h=40)
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for i, piece in enumerate(book.pieces):
        x, y, w, h = piece.box
        if h >= 30 and 16 <= w <= 24:
            probs[i, 8] = 0.99   # one of the two digits
        else:
            probs[i, sg.NON_DIGIT] = 0.99
    chosen = sg.solve_line(plan, probs, book.pieces, -0.6)
    kept = [book.pieces[p].box for p in chosen]
    assert len(kept) == 2 and all(h >= 30 and x + w <= 56 for x, _, w, h in kept)


def _bars(slant: float, gap: int) -> np.ndarray:
    """Two slanted bars (a "11"), `gap` px apart, joined at the top by a 1-px bridge."""
    mask = np.zeros((40, 40), bool)
    for r in range(40):
        shift = int(round(slant * (20 - r)))
        mask[r, 8 + shift: 13 + shift] = True
        mask[r, 13 + gap + shift: 18 + gap + shift] = True
    mask[0, 8:18 + gap + 1] = True
    return mask


def test_two_touching_ones_are_two_upright_strokes_once_the_slant_is_undone():
    slanted = _bars(0.3, 4)
    skew = sg.unit_skew(slanted)
    assert skew != 0.0
    upright = sg.shear_mask(slanted, skew)
    cols = np.nonzero(upright.any(0))[0]
    upright = upright[:, cols[0]:cols[-1] + 1]
    cuts = sg.cut_positions(upright, 40, max_cuts=2)
    assert any(sg.two_upright_strokes(upright, c) for c in cuts)
    # one thick stroke is not two
    one = np.zeros((40, 20), bool)
    one[:, 5:14] = True
    assert not any(sg.two_upright_strokes(one, c) for c in range(1, 20))


def _caret(join_rows: int, left_rows: int = 40) -> np.ndarray:
    """Two upright strokes 40 rows tall (a "11" leaning together), joined over the top
    `join_rows` rows; the left one ends after `left_rows` rows (a 1's lead-in stroke: fewer)."""
    mask = np.zeros((40, 24), bool)
    mask[:left_rows, 2:7] = True
    mask[:, 14:19] = True
    mask[:join_rows, 2:19] = True
    return mask


def test_two_ones_joined_at_the_top_are_apart_down_to_their_feet():
    caret = _caret(join_rows=15)
    assert not sg.two_upright_strokes(caret, 10)  # (the join fills the valley)
    assert sg.ones_joined_at_top(caret, 10)
    # a 1 whose lead-in stroke ends halfway down, and two strokes joined at the bottom, are not
    assert not sg.ones_joined_at_top(_caret(join_rows=15, left_rows=22), 10)
    assert not sg.ones_joined_at_top(caret[::-1], 10)
    # nor is a cut beside both strokes
    assert not sg.ones_joined_at_top(caret, 20)


def test_a_one_joined_at_the_top_to_another_is_cut_only_when_read_unsurely():
    mask = np.zeros((60, 60), bool)
    mask[10:50, 20:44] = _caret(join_rows=15)
    comps = cp.find_components(mask, min_area=1)
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0], 40.0)
    x, w = float(comps.boxes[0, 0]), float(comps.boxes[0, 2])
    one = np.ones(1, bool)
    for joined, cut in ((None, False), (one, True)):
        plan = sg.plan_line(book, [0], 40.0)
        sg.plan_alternatives(book, plan, one, np.array([x]), np.array([x + w]),
                             narrow_split=one, joined_ones=joined)
        assert (0 in plan.cuts) == cut and (0 in plan.apart) == cut
    probs = np.zeros((len(book.pieces), 11), np.float32)
    probs[:, 1] = 0.8
    assert sg.unsure_ones(plan, probs, book.pieces).all()
    probs[:, 1] = 0.99
    assert not sg.unsure_ones(plan, probs, book.pieces).any()




def test_sheared_piece_is_one_of_the_slanted_strokes():
    mask = _bars(0.3, 4)
    comps = cp.find_components(mask, min_area=1)
    assert len(comps) == 1
    book = sg.PieceBook(comps)
    x, y, w, h = (int(v) for v in comps.boxes[0])
    skew = sg.unit_skew(mask[y:y + h, x:x + w])
    upright = sg.shear_mask(mask[y:y + h, x:x + w], skew)
    first = int(np.nonzero(upright.any(0))[0][0])
    upright = upright[:, first:]
    cut = [c for c in sg.cut_positions(upright, 40, 2) if sg.two_upright_strokes(upright, c)][0]
    left = book.pieces[book.add((int(comps.ids[0]),), (x, y, w, h), (0, first + cut),
                                skew=skew)]
    # the left stroke alone, full height (a straight cut would take a slice of both strokes)
    assert left.box[3] >= 0.9 * h
    left_bar = _bars(0.3, 100)[:, :40]  # the right bar moved out of the picture
    left_bar[0] = False
    from realtime.normalize import normalize_digit
    want = normalize_digit(left_bar).astype(float).ravel()
    straight = book.pieces[book.add((int(comps.ids[0]),), (x, y, w, h), (0, w // 2))]
    similarity = [np.corrcoef(want, p.crop.astype(float).ravel())[0, 1] for p in (left, straight)]
    assert similarity[0] > 0.65 and similarity[0] > similarity[1] + 0.1


def test_grey_glyph_keeps_the_contrast_of_the_strokes_and_a_soft_edge():
    contrast = np.zeros((9, 9), np.uint8)
    contrast[2:7, 4] = [200, 100, 100, 100, 40]   # one stroke, fading out at its foot
    contrast[4, 7] = 250                          # a neighbour's pixel
    mask = contrast > 0
    mask[4, 7] = False
    free = ~mask
    free[4, 7] = False                            # ... that the piece must not spread onto
    glyph = sg.graded_glyph(contrast, mask, free)
    # the piece's median contrast (100) becomes white; brighter saturates; faint stays faint
    assert glyph[3, 4] == 255 and glyph[2, 4] == 255 and glyph[6, 4] < 255
    assert glyph[6, 4] >= sg.GLYPH_FLOOR
    assert glyph[4, 7] == 0 and glyph[0, 0] == 0  # neither the neighbour nor far paper
    ring = (cv2.dilate(mask.view(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~mask
    assert (glyph[ring] == 0).all()  # the soft edge is the contrast there: paper (0) here
    contrast[ring & free] = 50
    glyph = sg.graded_glyph(contrast, mask, free)
    assert (glyph[ring & free] == 128).all()      # 50 / 100 of white


def test_pieces_are_grey_when_the_contrast_map_is_given():
    contrast = np.zeros((40, 40), np.uint8)
    cv2.circle(contrast, (20, 20), 10, 40, 5)   # a soft edge, below the threshold
    cv2.circle(contrast, (20, 20), 10, 120, 3)
    comps = cp.find_components(contrast > 60, min_area=1)
    flat = sg.PieceBook(comps)
    grey = sg.PieceBook(comps, contrast=contrast)
    box = tuple(int(v) for v in comps.boxes[0])
    a = flat.pieces[flat.add((int(comps.ids[0]),), box)].crop
    b = grey.pieces[grey.add((int(comps.ids[0]),), box)].crop
    assert set(np.unique(a)) - {0, 255} and a.max() == 255  # (resampling makes edges grey)
    assert (b > 0).sum() > (a > 0).sum()  # the soft edge widens the strokes


def test_a_line_lost_to_an_unsure_blob_is_read_again_at_no_digit_price():
    # "17" touching: the whole unit is an unsure 0 (0.46), the two cut pieces a fair 1 and 7
    # (under SURE_CUT: no refund of the digit price); at the engine's negative digit bonus
    # the one unsure digit scores better, then falls under the lone-digit confidence and the
    # line would be empty
    from realtime.reader import DigitReader

    labels = np.zeros((60, 120), np.int32)
    labels[10:50, 10:18] = 1
    labels[10:14, 18:50] = 1   # the 7's bar touches the 1
    labels[14:50, 44:48] = 1
    plan, book = _one_unit_plan(labels, (10, 10, 40, 40), line_h=40)
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    probs[plan.single[0], [0, sg.NON_DIGIT]] = 0.46, 0.32
    one = seven = None
    for k, _, p in plan.cuts[0]:
        x, _, w, _ = book.pieces[p].box
        if k == 0 and w <= 10:
            one = p              # the 1 up to the first cut ...
        elif k == 1 and x + w == 50:
            seven = p            # ... and the 7 from there to the end
    assert one is not None and seven is not None
    probs[one], probs[seven] = 0.001, 0.001
    probs[one, 1], probs[seven, 7] = 0.85, 0.85
    assert 0.85 < sg.SURE_CUT
    reader = DigitReader(classifier=object())
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [plan.single[0]]
    assert reader._line_digits(plan, book, probs, -1.0) == []
    plans = [plan]
    lines, _, _ = reader._assemble(plans, book, probs, 0.0, 1.0, labels.shape)
    assert lines == ["17"]


def test_writing_height_is_a_small_units_own_height():
    assert sg.writing_height(23, 49) == 23      # small "00" after a tall figure
    assert sg.writing_height(49, 49) == 49      # a digit of the line
    assert sg.writing_height(70, 49) == 49      # taller than the line: the line's
    assert sg.writing_height(10, 49) == 49      # flat (a dash): the line's


def _joined_rings(n: int, size: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Labels (1) of n rings `size` px across touching side by side (a small "000")."""
    labels = np.zeros((size + 20, n * size + 20), np.uint8)
    for k in range(n):
        cv2.ellipse(labels, (10 + size // 2 + k * (size - 2), 10 + size // 2),
                    (size // 2, size // 2), 0, 0, 360, 1, 2)
    ys, xs = np.nonzero(labels)
    box = (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
    return labels.astype(np.int32), box


def test_small_touching_zeros_are_cut_by_their_own_height_and_read():
    labels, box = _joined_rings(2, 21)
    line_h = 49.0  # the line's tall figures: the pair is narrower than one of them
    assert box[2] < 0.9 * line_h
    plan, book = _one_unit_plan(labels, box, line_h)
    assert 0 in plan.cuts
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    for i, piece in enumerate(book.pieces):
        x, _, w, h = piece.box
        at_an_end = x == box[0] or x + w == box[0] + box[2]
        ring = h >= 20 and 20 <= w <= 25 and at_an_end  # one whole ring
        probs[i, 0 if ring else sg.NON_DIGIT] = 0.99
    chosen = sg.solve_line(plan, probs, book.pieces, -1.0)
    assert len(chosen) == 2 and all(probs[p, 0] > 0.9 for p in chosen)


def _three_units(middle: tuple[int, int, int, int]):
    """A LinePlan of two digits 32 px tall (feet at y = 50) with a mark `middle` between."""
    labels = np.zeros((70, 200), np.int32)
    boxes = [(10, 18, 22, 32), middle, (90, 18, 22, 32)]
    for k, (x, y, w, h) in enumerate(boxes, 1):
        labels[y:y + h, x:x + w] = k
    comps = cp.Components(labels, np.array([1, 2, 3]), np.array(boxes, np.int64),
                          np.array([w * h for _, _, w, h in boxes]))
    return sg.plan_line(sg.PieceBook(comps), [0, 1, 2], 32.0)


def test_a_long_comma_hanging_below_the_digits_may_be_punctuation():
    comma = _three_units((50, 36, 8, 18))     # 0.56 line heights, from below the middle down
    assert comma.punct_ok == [False, True, False]
    raised = _three_units((50, 20, 8, 18))    # the same mark up among the digits: a short "1"
    assert raised.punct_ok == [False, False, False]


def _foot_under_a_ring() -> tuple[np.ndarray, np.ndarray]:
    """(mask, ring pixels): an "L" (a stem and a foot running right) whose foot runs under a
    ring and touches it, so every straight cut between them crosses the ring too."""
    mask = np.zeros((44, 56), np.uint8)
    cv2.rectangle(mask, (8, 2), (11, 40), 1, -1)            # the stem
    cv2.rectangle(mask, (8, 37), (36, 40), 1, -1)           # the foot, under the ring
    ring = np.zeros_like(mask)
    cv2.ellipse(ring, (34, 20), (12, 16), 0, 0, 360, 1, 2)  # down to row 37: touching the foot
    return (mask | ring).astype(bool), ring.astype(bool)


def test_a_curved_cut_separates_a_foot_from_the_ring_above_it():
    mask, ring = _foot_under_a_ring()
    assert len(cp.find_components(mask)) == 1
    col = 24  # a valley between the stem and the ring; straight down it crosses ring and foot
    straight = [col] * mask.shape[0]
    assert sg.strokes_entered(mask, straight) >= 2
    seam = sg.seam_cut(mask, sg.seam_costs(mask), col, reach=8)
    assert seam is not None and sg.strokes_entered(mask, seam) == 1
    left = np.arange(mask.shape[1])[None, :] < np.asarray(seam)[:, None]
    assert not (left & ring).any()                   # the ring is whole on the right ...
    assert left[:, 8:12][mask[:, 8:12]].all()        # ... and the stem on the left


def test_a_straight_cut_through_a_single_joint_is_left_straight():
    mask = np.zeros((40, 40), bool)
    mask[5:35, 5:9] = mask[5:35, 30:34] = True
    mask[20:23, 9:30] = True                         # two bars joined by one bridge
    assert sg.seam_cut(mask, sg.seam_costs(mask), 19, reach=8) is None


def test_a_curved_cut_that_still_enters_two_strokes_is_no_cut_between_digits():
    # three bars, the middle one ending just right of the cut: bending round its end saves a
    # stroke, but a path entering two strokes runs through a loop, not between two digits
    mask = np.zeros((40, 40), bool)
    mask[5:8, :] = mask[32:35, :] = True
    mask[18:21, :23] = True
    assert sg.strokes_entered(mask, [20] * 40) == 3
    assert sg.seam_cut(mask, sg.seam_costs(mask), 20, reach=8) is None


def _leaning_one_beside_ring() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask, bar pixels, ring pixels): a "10" written leaning (a cheque's "1" at 0.5 columns
    per row), the bar joined to the ring by a bridge at mid height. Every upright cut between
    them crosses the top of the bar and the bridge."""
    bar = np.zeros((46, 60), np.uint8)
    cv2.line(bar, (6, 42), (26, 2), 1, 3)
    ring = np.zeros_like(bar)
    cv2.ellipse(ring, (42, 22), (10, 18), 0, 0, 360, 1, 2)
    mask = bar | ring
    mask[21:24, 17:33] = 1                           # the bridge
    return mask.astype(bool), bar.astype(bool), ring.astype(bool)


def test_a_leaning_cut_parts_a_leaning_one_from_the_zero_it_touches():
    mask, bar, ring = _leaning_one_beside_ring()
    assert len(cp.find_components(mask)) == 1
    col = 24
    assert sg.strokes_entered(mask, [col] * mask.shape[0]) >= 2  # the bar's top and the bridge
    assert sg.writing_slant(bar) == 0.5
    (path, *_), = sg.slant_cuts(mask, [col], sg.writing_slant(mask), margin=6)
    assert sg.strokes_entered(mask, path) == 1       # only the bridge
    left = np.arange(mask.shape[1])[None, :] < np.asarray(path)[:, None]
    assert left[bar].all() and not left[ring].any()  # the whole 1 on the left, the 0 right


def test_a_leaning_cut_stays_inside_the_unit():
    mask, _, _ = _leaning_one_beside_ring()
    assert sg.slant_cuts(mask, [24], 0.5, margin=6)
    assert sg.slant_cuts(mask, [24], 0.5, margin=19) == [[]]  # each would come closer


def test_a_leaning_one_and_its_zero_are_read_from_a_leaning_cut():
    mask, bar, ring = _leaning_one_beside_ring()
    book, plan = _plan_of(mask, 44)
    assert plan.leaning
    # the 1 alone (the bar and a stub of the bridge) and the ring with the rest of the bridge
    one = [p for _, _, p in plan.cuts[0] if p in plan.leaning and book.pieces[p].box[0] < 8]
    zero = [p for _, _, p in plan.cuts[0] if p in plan.leaning and book.pieces[p].box[0] > 8]
    assert one and zero
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    for p in one:
        probs[p] = 0.001
        probs[p, 1] = 0.99
    for p in zero:
        probs[p] = 0.001
        probs[p, 0] = 0.99
    chosen = sg.solve_line(plan, probs, book.pieces, -1.0)
    assert [int(np.argmax(probs[p])) for p in chosen] == [1, 0]


def test_an_upright_cut_wins_an_exact_tie_with_a_leaning_one():
    mask, _, _ = _leaning_one_beside_ring()
    book, plan = _plan_of(mask, 44)
    edges = {(k, m): p for k, m, p in plan.cuts[0]}
    last = max(m for _, m in edges)
    cols = plan.cut_cols[0]

    def two_slices(node):
        return (edges.get((0, node)), edges.get((node, last)))

    # a leaning node met first on the way (left of an upright one), both splitting the unit
    # into two slices
    lean = next(n for n in range(1, last) if cols[n] is None and None not in two_slices(n)
                and set(two_slices(n)) <= plan.leaning)
    upright = next(n for n in range(lean + 1, last)
                   if cols[n] is not None and None not in two_slices(n))
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    for p in (*two_slices(lean), *two_slices(upright)):  # int8 tops out: the same 0.99 each
        probs[p] = 0.001
        probs[p, 1] = 0.99
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == list(two_slices(upright))


def _leaning_zeros_sharing_a_side() -> np.ndarray:
    """Two leaning zeros whose loops share a slanted side: the top outline dips at one end
    of it, the bottom outline rises at the other."""
    mask = np.zeros((40, 64), np.uint8)
    for cx in (18, 40):
        cv2.ellipse(mask, (cx, 20), (11, 17), 20, 0, 360, 1, 2)
    return mask.astype(bool)


def test_zeros_sharing_a_side_each_keep_it():
    book, plan = _plan_of(_leaning_zeros_sharing_a_side(), 36)
    edges = {}
    for k, m, p in plan.cuts[0]:
        edges.setdefault((k, m), []).append(p)
    cols = plan.cut_cols[0]
    last = len(cols) - 1
    # the two junctions (at the ends of the shared side) are cut positions k1 < k2
    k1, k2 = (n for n in range(1, last) if 27 <= cols[n] <= 31)
    first, second = edges[(0, k2)][0], edges[(k1, last)][0]  # each zero with the side
    assert second in edges[(k2, last)]  # ... and the second may follow the first
    x0, _, w0, _ = book.pieces[first].box
    x1, _, _, _ = book.pieces[second].box
    assert x1 < x0 + w0  # they overlap: both hold the side
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    for p, conf in [(first, 0.95), (second, 0.95), (edges[(0, k1)][0], 0.6),
                    (edges[(k2, last)][0], 0.6)]:  # (without the side: open, unsure)
        probs[p] = 0.001
        probs[p, 0] = conf
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [first, second]


def test_two_junctions_without_loops_on_both_sides_share_nothing():
    edges = [(0, 1, 10), (0, 2, 11), (1, 3, 12), (2, 3, 13)]
    at, bounds = [0, 20, 24, 50], [0, 20, 24, 50]
    assert sg.shared_side_edges(edges, at, bounds, [20, 24], 3, 36, [(2, 21), (23, 48)]) == [
        (2, 3, 12)]
    assert sg.shared_side_edges(edges, at, bounds, [20, 24], 3, 36, [(2, 21)]) == []
    assert sg.shared_side_edges(edges, at, bounds, [20, 24], 3, 36, []) == []


def _one_beside_zero(bridge_row: int = 20) -> np.ndarray:
    """A "10": an upright bar and a ring, touching by a 1-px bridge."""
    mask = np.zeros((40, 34), np.uint8)
    mask[0:40, 0:4] = 1
    cv2.ellipse(mask, (20, 20), (12, 18), 0, 0, 360, 1, 3)
    mask[bridge_row, 4:8] = 1
    return mask > 0


def test_a_one_leaning_on_a_digit_is_a_stroke_beside_it():
    mask = _one_beside_zero()
    cuts = sg.side_valleys(mask)
    assert 4 <= min(cuts) <= 7  # between the bar and the 3
    assert any(sg.stroke_beside(mask, c) for c in cuts)
    assert any(sg.stroke_beside(mask[:, ::-1], c) for c in sg.side_valleys(mask[:, ::-1]))  # "01"
    # a 1 whose top is below its neighbour's: it spans 82 % of the rows ("13", the 3 taller)
    low = mask.copy()
    low[:7, :4] = False
    assert any(sg.stroke_beside(low, c) for c in sg.side_valleys(low))
    # a 0 cut anywhere is two arcs, not a 1 beside a digit
    ring = np.zeros((40, 30), np.uint8)
    cv2.ellipse(ring, (15, 20), (12, 18), 0, 0, 360, 1, 3)
    assert not any(sg.stroke_beside(ring > 0, c) for c in range(1, 30))
    # a 6: its stem rises far above the loop beside it
    six = np.zeros((40, 30), np.uint8)
    six[0:30, 2:6] = 1
    cv2.ellipse(six, (15, 30), (12, 9), 0, 0, 360, 1, 3)
    assert not any(sg.stroke_beside(six > 0, c) for c in range(1, 30))


def test_side_valleys_and_stroke_beside_give_the_same_answers_with_a_shared_projection():
    rng = np.random.default_rng(7)
    masks = [_one_beside_zero(), _one_beside_zero()[:, ::-1], _one_beside_zero(30)]
    masks += [rng.random((int(rng.integers(3, 50)), int(rng.integers(3, 60)))) < p
              for p in rng.random(300)]
    for mask in masks:
        proj = sg.middle_projection(mask)
        assert proj.tolist() == middle_rows_sum(mask)
        assert sg.side_valleys(mask, proj) == sg.side_valleys(mask)
        for c in range(0, mask.shape[1] + 1):
            assert sg.stroke_beside(mask, c, proj) == sg.stroke_beside(mask, c)
    assert any(sg.stroke_beside(m, c, sg.middle_projection(m)) for m in masks[:3]
               for c in sg.side_valleys(m))


def middle_rows_sum(mask: np.ndarray) -> list[int]:
    return sg.middle_rows(mask).sum(0).tolist()


def test_a_sure_digit_with_a_one_beside_it_is_cut_and_pays_to_stay_whole():
    labels = np.zeros((60, 60), np.int32)
    labels[10:50, 10:44][_one_beside_zero()] = 1
    box = (10, 10, 34, 40)
    comps = cp.Components(labels, np.array([1]), np.array([box], np.int64),
                          np.array([int((labels > 0).sum())]))
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0], 40)
    probs = np.zeros((1, 11), np.float32)
    probs[0, 0] = 1.0  # read whole as a sure 0: not in doubt
    beside = sg.one_beside(plan, probs, book)
    assert beside.tolist() == [True]
    assert not sg.doubtful_units(plan, probs, book.pieces).any()
    sg.plan_alternatives(book, plan, np.zeros(1, bool), np.array([10.0]), np.array([44.0]),
                         beside=beside)
    assert plan.apart == {0}
    widths = [book.pieces[p].box[2] for _, _, p in plan.cuts[0]]
    assert min(widths) <= 6  # the bar alone is a piece
    # the same unit read whole as a 4 is not asked: an open 4's arm is a stroke beside a
    # stroke ("4" cut into "17")
    probs[0, 0], probs[0, 4] = 0.0, 1.0
    assert sg.one_beside(plan, probs, book).tolist() == [False]
    # a sure 0 of the same size gets no cut
    ring = np.zeros((60, 60), np.int32)
    cv2.ellipse(ring, (28, 30), (16, 19), 0, 0, 360, 1, 3)
    comps = cp.Components(ring, np.array([1]), np.array([(12, 11, 33, 39)], np.int64),
                          np.array([int((ring > 0).sum())]))
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0], 40)
    probs = np.zeros((1, 11), np.float32)
    probs[0, 0] = 1.0
    sg.plan_alternatives(book, plan, np.zeros(1, bool), np.array([12.0]), np.array([45.0]),
                         beside=sg.one_beside(plan, probs, book))
    assert not plan.cuts and not plan.apart


def _stroke_piece(points, size=(40, 30), box=(0, 0, 6, 40)) -> sg.Piece:
    """A piece whose crop is the polyline `points` drawn 3 px wide, normalized as the engine
    does."""
    from realtime.normalize import normalize_digit

    glyph = np.zeros(size, np.uint8)
    cv2.polylines(glyph, [np.array(points, np.int32)], False, 255, 3)
    ys, xs = np.nonzero(glyph)
    return sg.Piece((1,), box, normalize_digit(glyph[ys.min():ys.max() + 1, xs.min():xs.max() + 1]))


def test_a_tall_straight_stroke_is_a_one_by_its_shape():
    slanted_one = _stroke_piece([(18, 2), (10, 37)])
    assert sg.upright_one(slanted_one, 40)
    assert not sg.upright_one(slanted_one, 60)            # shorter than the line's digits
    seven = _stroke_piece([(2, 3), (26, 3), (12, 37)], box=(0, 0, 26, 40))
    assert not sg.upright_one(seven, 40)                  # a bar and a stem: not one stroke
    curve = _stroke_piece([(20, 2), (8, 12), (6, 24), (14, 37)], box=(0, 0, 14, 40))
    assert not sg.upright_one(curve, 40)                  # an arc (a "(") is not straight
    slash = _stroke_piece([(28, 2), (4, 37)], box=(0, 0, 24, 40))
    assert not sg.upright_one(slash, 40)                  # a date's slash leans too far


def _zero_and_stroke(stroke_rows: tuple[int, int]):
    """A line of a ring (a sure 0) and a 3-px upright stroke over `stroke_rows`, the stroke
    read as "not a digit" at 0.93 (1 at 0.07) -> (plan, book, probs)."""
    labels = np.zeros((60, 100), np.int32)
    ring = cv2.ellipse(np.zeros((40, 30), np.uint8), (15, 20), (12, 18), 0, 0, 360, 1, 3)
    labels[10:50, 10:40][ring > 0] = 1
    top, bottom = stroke_rows
    labels[top:bottom, 60:63] = 2
    comps = cp.Components(labels, np.array([1, 2]),
                          np.array([(10, 10, 30, 40), (60, top, 3, bottom - top)], np.int64),
                          np.array([int((labels == k).sum()) for k in (1, 2)]))
    book = sg.PieceBook(comps)
    plan = sg.plan_line(book, [0, 1], 40)
    probs = np.zeros((len(book.pieces), 11), np.float32)
    probs[plan.single[0], 0] = 1.0
    if plan.single[1] is not None:
        probs[plan.single[1], [1, sg.NON_DIGIT]] = 0.07, 0.93
    return plan, book, probs


def test_a_one_the_classifier_calls_no_digit_is_kept_by_its_shape():
    from realtime.reader import DigitReader

    reader = DigitReader(classifier=object())
    plan, book, probs = _zero_and_stroke((10, 50))           # a thin upright 1
    assert [k[0] for k in reader._line_digits(plan, book, probs, -1.0)] == [0, 1]
    # a stroke of that reading that is no taller than a dash stays out
    plan, book, probs = _zero_and_stroke((30, 42))
    assert [k[0] for k in reader._line_digits(plan, book, probs, -1.0)] == [0]


# ------------------------------------------------------------------ overlay (the CLI's --annotate)

def _tag_pixels(image: np.ndarray) -> np.ndarray:
    """Where the blue line tag ("L1") is drawn (labels and boxes carry no blue)."""
    b, g, r = (image[..., k].astype(int) for k in range(3))
    return (b > 120) & (g < 120) & (r < 60)


def _one_line(boxes) -> Reading:
    return Reading(lines=["1" * len(boxes)],
                   digits=[Digit(1, 0.99, box, 0) for box in boxes])


def test_the_line_tag_never_covers_the_lines_first_digit():
    # the line starts at the image's left edge: the tag goes right of its last digit
    out = draw(np.full((80, 300, 3), 255, np.uint8), _one_line([(0, 20, 30, 40), (40, 20, 30, 40)]))
    tag = _tag_pixels(out)
    assert tag.any() and not tag[:, :75].any()
    # with room on the left, it is there
    out = draw(np.full((80, 300, 3), 255, np.uint8), _one_line([(60, 20, 30, 40)]))
    tag = _tag_pixels(out)
    assert tag.any() and not tag[:, 60:].any()
    # a lone line as wide as the image (a cheque amount) gets no tag
    out = draw(np.full((80, 100, 3), 255, np.uint8), _one_line([(0, 20, 45, 40), (50, 20, 50, 40)]))
    assert not _tag_pixels(out).any()


# ---- order statistics (numpy's, without its per-call cost) -------------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float64])
def test_order_stats_give_numpys_median_and_percentiles(dtype):
    from realtime import order_stats
    rng = np.random.default_rng(7)
    for n in list(range(1, 12)) + [57, 200, 1281]:
        values = (rng.random(n) * 255).astype(dtype)
        assert order_stats.median(values) == float(np.median(values))
        for q in (0, 10, 25, 50, 75, 90, 99.5, 100):
            assert order_stats.percentile(values, q) == float(np.percentile(values, q)), (n, q)
    # two bright pixels: their sum would wrap in uint8
    assert order_stats.median(np.array([200, 250], np.uint8)) == 225.0


def test_order_stats_line_fits_match_polyfit():
    from realtime import order_stats
    rng = np.random.default_rng(3)
    xs = np.sort(rng.choice(1280, 400, replace=False)).astype(np.int64)
    ys = 300 + 0.1 * xs - 4e-5 * (xs - 640.0) ** 2 + rng.normal(0, 1, xs.size)
    assert order_stats.slope(xs, ys) == pytest.approx(np.polyfit(xs, ys, 1)[0], rel=1e-9)
    at = np.arange(0, 1280)
    for degree in (1, 2):
        expected = np.polyval(np.polyfit(xs, ys, degree), at)
        assert np.allclose(order_stats.fit_at(xs, ys, degree, at), expected, rtol=0, atol=1e-9)


def _zero_with_closing_tail() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A cheque's last zero whose pen runs on into a closing tail: an ellipse outline and a
    stroke rising from its foot up and to the right (ORAND a_car_001059: "90000" read "90008")."""
    labels = np.zeros((50, 80), np.int32)
    cv2.ellipse(labels, (22, 30), (14, 11), 0, 0, 360, 1, 3)
    cv2.line(labels, (34, 38), (56, 14), 1, 3)
    ys, xs = np.nonzero(labels)
    return labels, (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)


def test_a_closing_tail_after_the_last_zero_is_left_out():
    labels, box = _zero_with_closing_tail()
    line_h = 32.0
    plan, book = _one_unit_plan(labels, box, line_h)
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[:, sg.NON_DIGIT] = 0.99
    probs[plan.single[0]] = 0.05
    probs[plan.single[0], 8] = 0.47  # the zero and its tail read whole: an unsure 8
    right = box[0] + box[2]
    zero = tail = None
    for k, _, p in plan.cuts[0]:
        x, _, w, _ = book.pieces[p].box
        if k == 0 and abs(x + w - 40) <= 2:
            zero = p
        elif x + w == right and abs(x - 40) <= 2:
            tail = p
    assert zero is not None and tail is not None
    probs[zero] = 0.0
    probs[zero, 0] = 1.0
    probs[tail] = 0.01
    probs[tail, sg.NON_DIGIT] = 0.87
    assert sg.closing_tails(plan, probs, book.pieces) == {tail}
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [zero]
    # a slice that is no tail (a 7 with its bar, read as "not a digit" when cut off a sure 0)
    # keeps its price: the whole unit's reading stands
    probs[tail, sg.NON_DIGIT] = 0.5
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [plan.single[0]]


def test_a_box_side_in_the_image_corner_is_dropped_but_ones_are_kept():
    """A cheque cropped from its box keeps a stub of the box's side: a ruled vertical line
    from the image's top edge at its left side (ORAND a_car_001203, read as a leading 1)."""
    mask = np.zeros((63, 182), np.uint8)
    mask[0:55, 2:4] = 1          # the box's side: 2 px wide, from the top edge, in the corner
    mask[10:56, 20:26] = 1       # a pen's 1 near the side: 6 px wide
    mask[0:50, 90:92] = 1        # a thin line from the top edge, mid-image: no corner
    comps = cp.find_components(mask.astype(bool), min_area=1)
    kept = bz.drop_frame_sides(comps, mask.shape)
    assert sorted(int(b[0]) for b in kept.boxes) == [20, 90]
    assert len(bz.drop_frame_sides(kept, mask.shape)) == 2
    # a region cropped tightly around thin 1s: each touches the top and bottom edges, and the
    # first one the left edge too; they are digits, alone or not
    crop = np.zeros((40, 12), bool)
    crop[:, 0:2] = True
    alone = cp.find_components(crop, min_area=1)
    assert len(bz.drop_frame_sides(alone, crop.shape)) == 1
    crop[:, 9:11] = True
    pair = cp.find_components(crop, min_area=1)
    assert len(bz.drop_frame_sides(pair, crop.shape)) == 2


def _two_then_one(one_h=40):
    """A 2 (unit 0) and a 1 beside it (unit 1), close enough to be merged; probabilities: the 2
    and the 1 each sure alone, the merge read as a 2 a little less surely -> (plan, book, probs)."""
    plan, book = _plan([(10, 5, 26, 45), (40, 5 + 45 - one_h, 6, one_h)])
    merged = plan.merges[(0, 2)]
    probs = np.full((len(book.pieces), 11), 0.001, np.float32)
    probs[plan.single[0], 2] = probs[plan.single[1], 1] = 0.99
    probs[merged, 2] = 0.9
    return plan, book, probs, merged


def test_a_merge_that_reads_as_one_of_its_parts_swallows_the_others_sure_digit():
    plan, book, probs, merged = _two_then_one()
    assert sg.swallowed_digits(plan, 0, 2, merged, probs, book.pieces) == 1
    # the merge pays for the digit it hides: "21" stays two digits, as the classifier read them
    # (without that price one unsure digit beat two sure ones: ORAND "22142" read "92142")
    assert sg.solve_line(plan, probs, book.pieces, -1.0) == [plan.single[0], plan.single[1]]


def test_a_merge_read_as_a_new_digit_or_with_a_short_tail_swallows_nothing():
    plan, book, probs, merged = _two_then_one()
    probs[merged] = 0.001
    probs[merged, 4] = 0.99  # (a broken 4's parts read as something else alone)
    assert sg.swallowed_digits(plan, 0, 2, merged, probs, book.pieces) == 0
    # a zero's closing tail, read a sure 1 but shorter than a 1 may be, is no digit it hides
    plan, book, probs, merged = _two_then_one(one_h=15)
    assert sg.swallowed_digits(plan, 0, 2, merged, probs, book.pieces) == 0


# ---- small lines read again, twice as large (reader.SMALL_LINE_H) ---------------------------

def _digit(label: int, x: int, y: int, w: int = 10, h: int = 18, line: int = 0,
           confidence: float = 0.99) -> Digit:
    return Digit(label, confidence, (x, y, w, h), line)


def test_only_a_small_line_with_a_digit_in_doubt_is_read_again():
    small = [_digit(1, 10, 10), _digit(2, 25, 10, confidence=0.6)]
    assert rd.small_line_in_doubt(small, 1.0)
    assert not rd.small_line_in_doubt([replace(d, confidence=0.99) for d in small], 1.0)
    tall = [replace(d, box=(d.box[0], d.box[1], 20, 40)) for d in small]
    assert not rd.small_line_in_doubt(tall, 1.0)
    # heights are judged in working pixels: a large input shrunk to the working size
    assert rd.small_line_in_doubt(tall, 0.5)
    assert not rd.small_line_in_doubt([], 1.0)


def test_bands_of_small_lines_that_overlap_are_read_as_one():
    band = rd.SMALL_LINE_BAND
    first = [_digit(1, 10, 100)]                       # rows 100-118
    second = [_digit(2, 10, 100 + 18 + band)]          # its band overlaps the first's
    far = [_digit(3, 10, 600)]
    bands = rd.line_bands([far, first, second], [7, 0, 1], 1.0, 1000)
    assert bands == [((100 - band, 100 + 18 + band + 18 + band), [0, 1]),
                     ((600 - band, 618 + band), [7])]
    # clipped to the image, and in working pixels
    assert rd.line_bands([[_digit(1, 10, 4)]], [0], 0.5, 20) == [((0, 20), [0])]


def test_a_line_read_again_is_found_and_kept_to_its_course():
    first = [_digit(1, 100, 50), _digit(7, 115, 50), _digit(0, 160, 52)]
    # read again: the same line (one digit more, another read better), a digit of the line
    # below caught in the band, and one far along the band beyond the line's end
    # and one off its course (another line's, joined to it in the band)
    again = [_digit(1, 100, 50), _digit(1, 113, 50), _digit(2, 121, 50), _digit(8, 140, 95),
             _digit(6, 160, 52), _digit(9, 400, 50), _digit(5, 130, 90, line=1)]
    text, kept = rd.line_again(first, ["1128 6 9", "5"], again)
    assert text == "112 6"
    assert [d.label for d in kept] == [1, 1, 2, 6]
    # nothing of the first reading's line in the second: no line
    assert rd.line_again(first, ["5"], [_digit(5, 130, 90)]) is None
    # a digit fewer than the first reading: it is kept
    assert rd.line_again(first, ["12"], again[:1] + again[2:3]) is None


def test_digits_left_out_of_a_line_take_an_emptied_group_with_them():
    assert rd.without_digits("12 3 45", [True, False, False, True, True]) == "1 45"
    assert rd.without_digits("12 3 45", [True] * 5) == "12 3 45"
    assert rd.without_digits("7", [False]) == ""

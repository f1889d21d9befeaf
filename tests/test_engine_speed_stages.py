"""The engine's faster stage implementations give what the plain ones give (engine-speed work)."""
import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realtime import binarize as bz
from realtime import components as cp
from realtime import light
from realtime import lines as ln
from realtime import reader as rd
from realtime import segment as sg
from tests.engine_helpers import render_number


def _as_set(comps: cp.Components) -> set:
    """Components as a set of (box, area, pixel-set hash): independent of label values/order."""
    out = set()
    for i, box in enumerate(comps.boxes):
        x, y, w, h = (int(v) for v in box)
        pix = np.nonzero(comps.labels[y:y + h, x:x + w] == comps.ids[i])
        out.add((x, y, w, h, int(comps.areas[i]), hash((pix[0].tobytes(), pix[1].tobytes()))))
    return out


def _ruled_page() -> np.ndarray:
    """Digits standing on and crossing two tilted ruled lines, a box, and loose digits."""
    ink = render_number("2741", 50, canvas=(320, 700), origin=(60, 110))
    render_number("905", 40, canvas=(320, 700), origin=(300, 250), ink=ink, seed=3)
    render_number("38", 40, canvas=(320, 700), origin=(560, 180), ink=ink, seed=5)
    mask = ink > 0.5
    m8 = mask.view(np.uint8)
    cv2.line(m8, (0, 112), (699, 96), 1, 2)
    cv2.line(m8, (0, 252), (699, 240), 1, 3)
    cv2.rectangle(m8, (540, 120), (690, 200), 1, 2)
    return mask


def test_strip_lines_gives_the_components_of_a_full_relabelling():
    mask = _ruled_page()
    comps = bz.strip_lines(cp.find_components(mask, min_area=1), typical_height=50)
    reference = cp.find_components(comps.mask(), min_area=3)
    assert len(comps) == len(reference) > 5
    assert _as_set(comps) == _as_set(reference)


def test_strip_lines_new_labels_do_not_clash_with_kept_ones():
    comps = bz.strip_lines(cp.find_components(_ruled_page(), min_area=1), typical_height=50)
    assert len(set(comps.ids.tolist())) == len(comps)
    for i in range(len(comps)):  # every box holds its own label, and only inside the box
        x, y, w, h = (int(v) for v in comps.boxes[i])
        inside = np.count_nonzero(comps.labels[y:y + h, x:x + w] == comps.ids[i])
        assert inside == comps.areas[i] == np.count_nonzero(comps.labels == comps.ids[i])


def test_strip_lines_orders_components_top_then_left():
    comps = bz.strip_lines(cp.find_components(_ruled_page(), min_area=1), typical_height=50)
    keys = [(int(b[1]), int(b[0])) for b in comps.boxes]
    assert keys == sorted(keys)


def test_relabel_stripped_drops_pieces_under_min_area():
    labels = np.zeros((10, 20), np.int32)
    labels[2:4, 2:18] = 5
    comps = cp.Components(labels, np.array([5]), np.array([[2, 2, 16, 2]]), np.array([32]))
    rest = np.zeros((2, 16), bool)
    rest[:, :4] = True      # a piece of 8 pixels stays
    rest[0, 10] = True      # a 1-pixel crumb is not a component
    labels[2:4, 2:18][~rest] = 0
    out = bz.relabel_stripped(comps, [(0, rest)])
    assert len(out) == 1 and out.areas[0] == 8 and tuple(out.boxes[0]) == (2, 2, 4, 2)
    assert out.ids[0] != 5


def _column_runs_reference(roi: np.ndarray):
    """Per column, the plain way: ink count, span from first to last ink row, centre row."""
    h, w = roi.shape
    count, span, centre = np.zeros(w, np.int64), np.zeros(w, np.int64), np.zeros(w)
    for x in range(w):
        rows = np.nonzero(roi[:, x])[0]
        count[x] = len(rows)
        if len(rows):
            span[x] = rows[-1] - rows[0] + 1
            centre[x] = (rows[0] + rows[-1]) / 2
        else:
            centre[x] = (0 + h - 1) / 2  # no ink: argmax says first row 0, last row h-1
    return count, span, centre


def test_column_runs_matches_the_plain_column_scan():
    rng = np.random.default_rng(4)
    for h, w in ((1, 1), (3, 40), (57, 301), (260, 90)):
        roi = rng.random((h, w)) < 0.05
        roi[:, ::7] = False  # empty columns too
        for got, want in zip(bz.column_runs(roi), _column_runs_reference(roi), strict=True):
            assert np.array_equal(got, want)


def test_noise_map_is_the_full_map_sampled_at_every_second_pixel():
    from realtime import light

    rng = np.random.default_rng(5)
    for dark in (True, False):
        for shape in ((31, 47), (40, 64), (1, 1)):
            gray = rng.integers(0, 256, shape, dtype=np.uint8)
            bg = rng.integers(0, 256, shape, dtype=np.uint8)
            ink, noise = light.contrast_maps(gray, bg, dark)
            assert np.array_equal(ink, light.ink_map(gray, bg, dark))
            assert np.array_equal(noise, light.opposite_map(gray, bg, dark)[::2, ::2])
            assert not np.array_equal(ink, light.opposite_map(gray, bg, dark))


def test_percentiles_from_counts_equal_numpy_percentile():
    from realtime.light import percentiles_from_counts

    rng = np.random.default_rng(6)
    qs = [0, 0.5, 33.3, 50, 90, 99.5, 100]
    for n in (1, 2, 3, 10, 1001, 20000):
        values = np.clip(np.rint(rng.standard_normal(n) * rng.uniform(1, 60)), -255, 255).astype(np.int16)
        counts = np.bincount((values + 255).astype(np.intp), minlength=511)
        got = percentiles_from_counts(counts, qs, offset=-255)
        assert np.array_equal(got, np.percentile(values, qs)), n  # bit for bit, not just close


FAULTS_PER_FRESH_ARRAY = """
import resource, sys
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from realtime import image
if sys.argv[1] == "default":  # glibc's own setting back (a fixed 128 KiB mmap threshold)
    import ctypes
    ctypes.CDLL(None).mallopt(-3, 128 * 1024)
np.ones(3 << 18, np.float32)  # warm up
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    np.ones(3 << 18, np.float32)  # a 3 MiB array (under numpy's huge-page size), filled, freed
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _faults_per_array(mode: str) -> float:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FAULTS_PER_FRESH_ARRAY, mode], capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def test_freed_page_size_arrays_are_reused_without_page_faults():
    import pytest

    from realtime import image as im

    if not im.keep_freed_memory():
        pytest.skip("no glibc mallopt here")
    assert _faults_per_array("default") > 500  # 768 fresh 4 KiB pages each time
    assert _faults_per_array("engine") < 50


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_lower_quartile_equals_numpy_percentile_25(values):
    # equal as numbers (numpy may return -0.0 where this gives 0.0; space_after clips at 0)
    assert ln.lower_quartile(values) == float(np.percentile(np.array(values), 25))


def test_lower_quartile_interpolates_between_neighbours():
    assert ln.lower_quartile([0.0, 10.0]) == 2.5
    assert ln.lower_quartile([4.0, 0.0, 8.0, 100.0, 12.0]) == 4.0


def test_ids_mask_equals_np_isin():
    labels = np.random.default_rng(0).integers(0, 6, (40, 50)).astype(np.int32)
    for ids in ((3,), (1, 4), (0, 2, 5), (7, 1)):
        assert np.array_equal(sg.ids_mask(labels, ids), np.isin(labels, ids))


def test_box_centres_are_box_middles():
    kept = [(3, 0.9, (10, 20, 4, 6)), (5, 0.8, (0, 0, 1, 1))]
    assert np.array_equal(rd.box_centres(kept), [[12.0, 23.0], [0.5, 0.5]])


def test_line_order_by_one_derotation_per_line_equals_per_digit_derotation():
    # the assemble stage sorts lines by the median de-rotated y of their digits' centres
    rng = np.random.default_rng(1)
    for _ in range(50):
        tilt = float(rng.uniform(-0.26, 0.26))
        kept = [(0, 1.0, tuple(int(v) for v in rng.integers(1, 300, 4))) for _ in range(7)]
        per_digit = np.median([ln.derotate(np.array([[x + w / 2, y + h / 2]]), tilt)[0, 1]
                               for _, _, (x, y, w, h) in kept])
        assert float(np.median(ln.derotate(rd.box_centres(kept), tilt)[:, 1])) == per_digit


def _paths(spans, end, max_pieces):
    """All paths (lists of spans) from 0 to `end` of at most `max_pieces` spans (brute force)."""
    out, stack = [], [(0, [])]
    while stack:
        pos, path = stack.pop()
        if pos == end:
            out.append(path)
            continue
        if len(path) < max_pieces:
            stack.extend((m, path + [(k, m)]) for k, m in spans if k == pos)
    return out


@st.composite
def _cut_graphs(draw):
    end = draw(st.integers(1, 7))
    pairs = [(k, m) for k in range(end) for m in range(k + 1, end + 1) if (k, m) != (0, end)]
    spans = [s for s in pairs if draw(st.booleans())]
    return spans, end, draw(st.integers(1, 6))


@settings(max_examples=300, deadline=None)
@given(_cut_graphs())
def test_useful_spans_are_those_on_some_short_enough_path(graph):
    spans, end, max_pieces = graph
    kept = sg.useful_spans(spans, end, max_pieces)
    if not any(m == end for _, m in spans):
        assert kept == spans
        return
    on_paths = {s for path in _paths(spans, end, max_pieces) for s in path}
    assert kept == [s for s in spans if s in on_paths]


@settings(max_examples=300, deadline=None)
@given(_cut_graphs(), st.lists(st.floats(-8, 1), min_size=40, max_size=40))
def test_best_cut_path_is_the_same_over_the_useful_spans_only(graph, scores):
    spans, end, max_pieces = graph
    if not spans:
        return
    edges = [(k, m, i) for i, (k, m) in enumerate(spans)]
    useful = set(sg.useful_spans(spans, end, max_pieces))
    kept = [e for e in edges if (e[0], e[1]) in useful]
    full = sg.best_cut_path(edges, scores.__getitem__, max_pieces)
    pruned = sg.best_cut_path(kept, scores.__getitem__, max_pieces) if kept else (-np.inf, [])
    assert pruned == full


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_median_of_equals_numpy_median(values):
    # equal as numbers (numpy may give 0.0 for -0.0: the values are sort keys and heights)
    assert ln.median_of(values) == float(np.median(np.array(values)))


def test_sparse_labelling_of_a_ruled_lines_leftover_gives_opencvs_statistics():
    # what is left of a page-wide rule: a row of digits' feet, ~1200 x 60 px (sparse path
    # since 2026-12-05; OpenCV's own statistics pass cost 0.3-0.5 ms on it)
    rest = np.zeros((60, 1200), np.uint8)
    for k, x in enumerate(range(20, 1180, 70)):
        cv2.line(rest, (x, 5 + k % 7), (x + 25, 55), 1, 3)
    n, labels, stats, runs = cp.label_components(rest)
    assert runs is not None
    n_cv, labels_cv, stats_cv, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    assert n == n_cv == 18 and np.array_equal(labels, labels_cv)
    assert np.array_equal(stats[1:], stats_cv[1:])


def _joins_by_opencv_statistics(part, n, roi, box):
    """joins_side_by_side as first written, with OpenCV's statistics of every stroke."""
    k, strokes, stats, _ = cv2.connectedComponentsWithStats(roi.view(np.uint8), connectivity=8)
    out = np.zeros(n, bool)
    near = strokes[box]
    for label in range(1, n):
        touched = set()
        for y, x in zip(*np.nonzero(part == label), strict=True):
            window = near[max(0, y - 1):y + 2, max(0, x - 1):x + 2]
            touched |= set(window[window > 0].tolist())
        if len(touched) < 2:
            continue
        a, b = max(touched), min(touched)
        top = min(stats[a, 1], stats[b, 1])
        bottom = max(stats[a, 1] + stats[a, 3], stats[b, 1] + stats[b, 3])
        out[label] = min(stats[a, 3], stats[b, 3]) >= bz.DOT_JOIN_TALL * (bottom - top)
    return out


def test_joins_side_by_side_judges_the_strokes_a_blob_touches_by_their_own_rows():
    roi = np.zeros((60, 200), bool)
    roi[5:50, 20:24] = True      # a tall stroke ...
    roi[8:50, 30:34] = True      # ... beside another as tall: a blob between joins them
    roi[30:50, 100:104] = True   # a short stroke (a 6's stem cut short) beside a tall one
    roi[4:50, 110:114] = True
    roi[10:50, 170:174] = True   # a lone stroke: nothing to join
    blobs = np.zeros((60, 200), np.uint8)
    blobs[46:50, 24:30] = 1      # between the two tall strokes
    blobs[46:50, 104:110] = 1    # between the short and the tall one
    blobs[46:50, 175:180] = 1    # beside the lone stroke
    box = np.s_[0:60, 0:200]
    n, part = cv2.connectedComponents(blobs, connectivity=8)
    got = bz.joins_side_by_side(part, n, roi, box)
    assert got.tolist() == _joins_by_opencv_statistics(part, n, roi, box).tolist()
    assert got.tolist() == [False, True, False, False]


def test_a_cut_piece_reads_the_same_whether_or_not_its_whole_unit_was_added_first():
    # (PieceBook shares a unit's box masks between the unit whole and its cuts)
    ink = render_number("47", 40, canvas=(80, 120), origin=(10, 20))
    comps = cp.find_components(ink > 0.5)
    contrast = (ink * 255).astype(np.uint8)
    i = int(np.argmax(comps.boxes[:, 2]))
    ids, box = (int(comps.ids[i]),), tuple(int(v) for v in comps.boxes[i])
    cols = (0, box[2] // 2)
    shared = sg.PieceBook(comps, 0.1, contrast)
    whole = shared.add(ids, box)
    cut = shared.add(ids, box, cols)
    alone = sg.PieceBook(comps, 0.1, contrast)
    only = alone.add(ids, box, cols)
    assert np.array_equal(shared.pieces[cut].crop, alone.pieces[only].crop)
    assert shared.pieces[cut].box == alone.pieces[only].box
    assert not np.array_equal(shared.pieces[whole].crop, shared.pieces[cut].crop)


@pytest.mark.parametrize("factor", [3, 5, 7])
def test_shrink_by_an_exact_odd_step_is_the_area_resize(factor):
    """light._shrink takes an exact odd step (a 1280 x 720 page by 5) from a box filter: the
    same pixels as OpenCV's area resize, on noise, flat grey and hard black-and-white."""
    rng = np.random.default_rng(factor)
    h, w = 24 * factor, 40 * factor
    for gray in (rng.integers(0, 256, (h, w), dtype=np.uint8),
                 np.full((h, w), 137, np.uint8),
                 (rng.integers(0, 2, (h, w)) * 255).astype(np.uint8)):
        small, got = light._shrink(gray, 21 * factor + 1)
        assert got == factor
        expected = cv2.resize(gray, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
        assert np.array_equal(small, expected)


def test_shrink_of_a_size_the_step_does_not_divide_is_the_area_resize():
    gray = np.random.default_rng(0).integers(0, 256, (101, 203), dtype=np.uint8)
    small, factor = light._shrink(gray, 5 * 21 + 1)
    assert factor == 5 and small.shape == (20, 40)
    assert np.array_equal(small, cv2.resize(gray, (40, 20), interpolation=cv2.INTER_AREA))


def _long_runs_by_loop(flags, min_run):
    """long_runs as first written: each run of True, kept when it is min_run long or more."""
    out = np.zeros_like(flags)
    start = None
    for i, f in enumerate([*flags.tolist(), False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if i - start >= min_run:
                out[start:i] = True
            start = None
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.booleans(), max_size=80), st.integers(1, 10))
def test_long_runs_keeps_the_runs_a_loop_over_them_keeps(flags, min_run):
    flags = np.array(flags, bool)
    assert np.array_equal(bz.long_runs(flags, min_run), _long_runs_by_loop(flags, min_run))


def test_a_ruled_line_alone_is_erased_whole_as_its_band_and_thin_columns_would_be():
    # (a line with nothing on it skips the band fit: every inked column is thin and goes)
    roi = np.zeros((40, 900), np.uint8)
    cv2.line(roi, (0, 12), (899, 27), 1, 3)
    mask = roi.view(bool).copy()
    assert bz.strip_horizontal_line(mask)
    assert not mask.any()
    with_digit = roi.copy()
    cv2.circle(with_digit, (450, 10), 8, 1, 2)  # a small 0 standing on it
    mask = with_digit.view(bool).copy()
    assert bz.strip_horizontal_line(mask)
    assert mask[:8].any() and mask.sum() < with_digit.sum() / 4


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 120), st.floats(-0.2, 0.2))
def test_group_lines_is_the_same_whether_spans_are_compared_one_by_one_or_at_once(seed, n, tilt):
    # a few lines or hundreds of one-speck lines: both ways of finding the overlapped ones
    rng = np.random.default_rng(seed)
    centres = np.stack([rng.uniform(0, 1280, n), rng.uniform(0, 720, n)], axis=1)
    heights = rng.choice([3.0, 8.0, 30.0, 45.0], n) * rng.uniform(0.8, 1.2, n)
    widths = heights * rng.uniform(0.3, 1.2, n)
    ways = []
    for few in (0, 10**9):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ln, "FEW_LINES", few)
            ways.append([g.tolist() for g in ln.group_lines(centres, heights, tilt, widths=widths)])
    assert ways[0] == ways[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 2000), st.integers(1, 300),
                          st.integers(1, 300)), min_size=1, max_size=6))
def test_union_box_of_a_list_or_an_array_is_numpys(boxes):
    arr = np.array(boxes, np.int64)
    x0, y0 = arr[:, 0].min(), arr[:, 1].min()
    expected = (int(x0), int(y0), int((arr[:, 0] + arr[:, 2]).max() - x0),
                int((arr[:, 1] + arr[:, 3]).max() - y0))
    assert sg.union_box(arr) == sg.union_box(boxes) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 20)), min_size=1, max_size=12),
       st.lists(st.tuples(st.integers(0, 120), st.integers(0, 15)), max_size=45))
def test_free_gaps_are_the_same_marks_one_by_one_or_all_at_once(gaps, marks):
    # (whole numbers, so that marks end exactly where gaps start)
    starts = np.array([a for a, _ in gaps], np.float64)
    ends = starts + np.array([w for _, w in gaps], np.float64)
    marks = np.array([(a, a + w) for a, w in marks], np.float64).reshape(-1, 2)
    ways = []
    for few in (0, 10**9):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ln, "FEW_MARKS", few)
            ways.append(ln.free_gaps(starts, ends, marks))
    assert np.array_equal(ways[0], ways[1])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(0, 150), st.integers(0, 100),
       st.integers(8, 120), st.integers(8, 80))
def test_labelling_the_ink_box_alone_gives_the_whole_images_labels(seed, x, y, w, h):
    # strokes in a box at any (odd or even) offset of a sparse mask: the same label numbers,
    # statistics and runs as labelling the whole image
    rng = np.random.default_rng(seed)
    mask = np.zeros((240, 320), np.uint8)
    for _ in range(int(rng.integers(1, 12))):
        x0, y0 = int(rng.integers(x, x + w)), int(rng.integers(y, y + h))
        x1, y1 = int(rng.integers(x, x + w)), int(rng.integers(y, y + h))
        cv2.line(mask, (x0, y0), (x1, y1), 1, int(rng.integers(1, 3)))
    mask[y + h:, :] = 0  # (thick lines stay in the box)
    mask[:, x + w:] = 0
    n, labels, stats, runs = cp.label_components(mask)
    n_cv, labels_cv, stats_cv, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    assert n == n_cv and np.array_equal(labels, labels_cv)
    assert np.array_equal(stats[1:], stats_cv[1:])
    assert np.array_equal(runs.flat, np.flatnonzero(mask))
    assert np.array_equal(runs.labels, labels.ravel()[runs.flat[runs.starts]])


def test_the_ink_box_is_labelled_alone_only_when_it_is_small():
    mask = np.zeros((240, 320), np.uint8)
    cv2.circle(mask, (101, 77), 20, 1, 2)
    _, _, box = cp.labels_in_ink_box(mask)
    x, y, w, h = cv2.boundingRect(mask)
    assert box[0] % 2 == 0 and box[1] % 2 == 0 and box[0] <= x and box[1] <= y
    assert box[0] + box[2] == x + w and box[1] + box[3] == y + h
    mask[0, 0] = mask[-1, -1] = 1  # ink in opposite corners: the whole image
    assert cp.labels_in_ink_box(mask)[2] == (0, 0, 320, 240)

"""Classifier training crops mined from the reading engine's own segmentation candidates.

The reader cuts wide components and merges neighbouring ones into candidate pieces, and lets
the classifier choose between them (realtime/segment.py). So the classifier has to read the
right pieces and say "not a digit" to the wrong ones: two touching digits taken as one, half a
digit, a digit with a neighbour's stroke. Generated look-alikes (training/nondigits.py) cover
part of that; these are the real thing. We run the engine's candidate generation with every
alternative switched on, on

- ORAND-CAR-A *training-split* images (truth: labelled digit boxes), and
- synthetic camera pages (realtime/synth.py) written with MNIST *training* digits (truth: each
  digit's ink, carried through the page transform),

and label each candidate crop from the truth: a digit when it holds nearly all of one digit's
ink and next to nothing else; "not a digit" when it holds much of two digits, or is a fragment
of one (not of a 1, whose fragments still look like a 1), or is mostly ink of no digit; the
unclear ones are left out. The crops are the engine's own (`PieceBook`, `normalize_digit`).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from realtime import components as cp
from realtime import image as im
from realtime import reader as rd
from realtime import segment as sg

NONDIGIT = 10
# labelling thresholds (shares of ink)
POSITIVE_SHARE = 0.9      # a digit piece holds >= this share of its digit's ink ...
POSITIVE_PURITY = 0.92    # ... and this share of the piece's ink is that digit's
MERGE_SHARE = 0.4         # two digits each with >= this share of their ink: two digits merged
FRAGMENT_SHARE = 0.45     # < this share of one digit (and mostly that digit): a fragment
FRAGMENT_MIN_ASPECT = 0.8 # ... and about as wide as tall (thinner fragments look like 1s and 7s)
STRAY_SHARE = 0.8         # >= this share of the piece's ink belongs to no digit: not a digit
# ORAND's boxes as truth: wide fragments are left out, since a box often holds a ligature or a
# neighbour's stroke and a whole digit can then look like a fragment of its box. (Tried calling
# them, and pieces with < 75 % of one digit and >= 25 % of a neighbour, not-a-digit: the engine
# read 81.0 instead of 81.3 % of the ORAND training images, 60.0 instead of 63.5 % of the
# synthetic tuning pages, and MNIST test fell to 99.38 %.)
ORAND_FRAGMENTS = False
ID_GROW_PX = 2            # truth ink maps grown by this much (the engine's strokes are bolder)


class _NoClassifier:
    """Stands in for the classifier: mining needs only the segmentation stages."""

    def probabilities(self, crops):  # pragma: no cover - never called
        raise AssertionError("mining reads no crops")


@dataclass
class Candidates:
    """Every candidate piece of one image, with what is needed to label it."""

    crops: np.ndarray        # N x 28 x 28 uint8, exactly as the engine classifies them
    masks: list              # per piece (x, y, bool mask of its ink in its box), working px
    ink: np.ndarray          # bool working-size mask of all kept strokes
    scale: float             # input px -> working px


def engine_components(image: np.ndarray, settings: rd.Settings | None = None):
    """The reading engine's stroke components of `image`, as it reads them (working size,
    ruled lines out, specks dropped) -> (a reader with no classifier, components, the ink
    contrast map, input px -> working px scale), or None when there are none."""
    s = settings or rd.Settings()
    reader = rd.DigitReader(classifier=_NoClassifier(), **{**vars(s), "drop_words": False})
    gray = im.to_gray(image)
    if min(gray.shape) < 4:
        return None
    scale = im.working_scale(gray.shape, s.max_side)
    work = im.to_working(gray, scale)
    dark = rd.ink_is_dark(work, s.polarity)
    comps, typical, contrast = reader._ink_components(work, dark, rd._Clock({}))
    comps = cp.drop_specks(comps, typical)
    if len(comps) == 0:
        return None
    return reader, comps, contrast, scale


def candidate_pieces(image: np.ndarray, settings: rd.Settings | None = None) -> Candidates | None:
    """All the crops the engine could classify for `image`: each unit, every merge of close
    neighbours and every cut of every unit wide enough to hold two digits (the engine makes
    only those around doubtful units)."""
    s = settings or rd.Settings()
    found = engine_components(image, s)
    if found is None:
        return None
    reader, comps, contrast, scale = found
    clock = rd._Clock({})

    def every_alternative(book, plan, lefts, rights):
        unit_w = comps.boxes[plan.units, 2]
        # narrow units get the engine's "two touching 1s" cut (it keeps only two upright strokes)
        narrow = (unit_w > 0.45 * plan.line_h) & (unit_w <= s.split_ratio * plan.line_h)
        sg.plan_alternatives(book, plan, np.ones(len(plan.units), bool), lefts, rights,
                             s.split_ratio, narrow_split=narrow)

    book, _, _, _ = reader._plan_lines(comps, clock, extend=every_alternative, contrast=contrast)
    crops, masks = [], []
    for (ids, box, cols, skew), index in book.keyed():
        if book.pieces[index].crop is None:
            continue
        crops.append(book.pieces[index].crop)
        masks.append((box[0], box[1], sg.piece_mask(comps.labels, ids, box, cols, skew)))
    if not crops:
        return None
    return Candidates(np.stack(crops), masks, comps.mask(), scale)


def label_pieces(cands: Candidates, truth_ids: np.ndarray, truth_labels: list[int],
                 fragments: bool = True) -> np.ndarray:
    """Per candidate: its digit (0-9), NONDIGIT, or -1 (unclear: left out). `truth_ids` is a
    working-size int map, k + 1 on digit k's ink (or box), 0 elsewhere. `fragments=False`
    labels no piece a fragment: with boxes for truth (ORAND), a box often holds a ligature or a
    neighbour's stroke too, and a whole digit then looks like a fragment of its box."""
    n_ids = len(truth_labels) + 1
    totals = np.bincount(truth_ids[cands.ink], minlength=n_ids).astype(np.float64)
    out = np.full(len(cands.masks), -1, np.int64)
    for i, (x, y, mask) in enumerate(cands.masks):
        h, w = mask.shape
        cols, rows = np.nonzero(mask.any(0))[0], np.nonzero(mask.any(1))[0]
        ink_w = cols[-1] - cols[0] + 1 if cols.size else 0
        ink_h = rows[-1] - rows[0] + 1 if rows.size else 0
        counts = np.bincount(truth_ids[y:y + h, x:x + w][mask], minlength=n_ids).astype(np.float64)
        total = counts.sum()
        if total == 0:
            continue
        if n_ids == 1:  # an image without digits: every piece is not a digit
            out[i] = NONDIGIT
            continue
        share = np.zeros(n_ids)
        share[1:] = counts[1:] / np.maximum(totals[1:], 1.0)
        order = np.argsort(share[1:])[::-1] + 1
        best, second = order[0], (order[1] if len(order) > 1 else 0)
        purity = counts[best] / total
        label = truth_labels[best - 1]
        if counts[0] >= STRAY_SHARE * total:
            out[i] = NONDIGIT
        elif share[best] >= POSITIVE_SHARE and purity >= POSITIVE_PURITY:
            out[i] = label
        elif second and share[second] >= MERGE_SHARE and share[best] >= MERGE_SHARE:
            out[i] = NONDIGIT
        elif (fragments and share[best] < FRAGMENT_SHARE and purity >= 0.8 and label != 1
              and ink_w >= FRAGMENT_MIN_ASPECT * ink_h):
            out[i] = NONDIGIT  # (a thin sliver of any digit looks just like a 1: left out)
    return out


def grow_ids(ids: np.ndarray, px: int = ID_GROW_PX) -> np.ndarray:
    """Truth ink map grown by `px` into unmarked pixels (marked pixels keep their digit)."""
    if px <= 0:
        return ids
    grown = cv2.dilate(ids.astype(np.float32), np.ones((2 * px + 1, 2 * px + 1), np.uint8))
    return np.where(ids > 0, ids, grown.astype(np.int32))


def to_working_ids(ids: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return ids
    h, w = ids.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(ids.astype(np.float32), size, interpolation=cv2.INTER_NEAREST).astype(np.int32)


def box_ids(shape: tuple[int, int], boxes: list[list[int]]) -> np.ndarray:
    """Int map of labelled boxes, k + 1 inside box k; where boxes overlap, the box whose centre
    column is nearer."""
    h, w = shape
    ids = np.zeros((h, w), np.int32)
    dist = np.full((h, w), np.inf)
    cols = np.arange(w, dtype=np.float64)
    for k, (x, y, bw, bh) in enumerate(boxes):
        x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + bw), min(h, y + bh)
        if x1 <= x0 or y1 <= y0:
            continue
        d = np.abs(cols[x0:x1] - (x + bw / 2))[None, :].repeat(y1 - y0, 0)
        region = dist[y0:y1, x0:x1]
        nearer = d < region
        region[nearer] = d[nearer]
        ids[y0:y1, x0:x1][nearer] = k + 1
    return ids


def mine_image(image: np.ndarray, truth_ids: np.ndarray, truth_labels: list[int],
               grow: int = ID_GROW_PX, fragments: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(crops, labels) of one image's clearly labelled candidates; truth_ids in input px."""
    cands = candidate_pieces(image)
    if cands is None:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    ids = grow_ids(to_working_ids(truth_ids, cands.scale), grow)
    labels = label_pieces(cands, ids, truth_labels, fragments)
    keep = labels >= 0
    return cands.crops[keep], labels[keep]


def mine_orand(records: list[dict], orand_dir) -> tuple[np.ndarray, np.ndarray]:
    """Candidates of ORAND-CAR-A images, labelled from their digit boxes."""
    from realtime.imageio import load_image
    xs, ys = [], []
    for rec in records:
        image = load_image(orand_dir / rec["file"])
        boxes = [d["box"] for d in rec["digits"]]
        ids = box_ids(image.shape[:2], boxes)
        x, y = mine_image(image, ids, [int(d["digit"]) for d in rec["digits"]], grow=0,
                          fragments=ORAND_FRAGMENTS)
        xs.append(x)
        ys.append(y)
    return _stack(xs, ys)


def mine_synth(seeds, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidates of synthetic pages written with the given MNIST digits (training digits:
    never the test set), labelled from each digit's ink."""
    from realtime.synth import by_label_index, render_page
    source = by_label_index(images, labels)
    xs, ys = [], []
    for seed in seeds:
        page = render_page(int(seed), source=source, with_ids=True)
        x, y = mine_image(page.image, page.digit_ids, page.digit_labels)
        xs.append(x)
        ys.append(y)
    return _stack(xs, ys)


def _stack(xs, ys) -> tuple[np.ndarray, np.ndarray]:
    if not xs:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    return np.concatenate(xs).reshape(-1, 28, 28).astype(np.uint8), np.concatenate(ys)

"""Synthetic camera pages of handwritten numbers, with their ground truth, for tests and benchmarks.

Real MNIST *test* digits (never train digits) written on paper in 1-5 lines: random sizes
(15-120 px), spacing, group gaps (a space in the truth), touching pairs, punctuation that is not
part of the truth (full stops, commas, dashes), ruled lines and underlines, ink colours (pencil
and blackboard too), uneven light and hard shadows, page tilt up to +-12 deg, mild perspective,
blur, noise and JPEG.

    from realtime.synth import make_page
    bgr, lines = make_page(seed)        # deterministic in the seed

`python -m realtime.synth N OUT.png` saves a contact sheet of pages 0..N-1.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import cv2
import numpy as np

PAGE_SIZES = ((1280, 720),) * 6 + ((1024, 768), (800, 600), (720, 960), (1280, 960))
MIN_DIGIT_H, MAX_DIGIT_H = 15, 120
MAX_TILT_DEG = 12.0
# Changes whenever a seed's page changes (caches of pages, e.g. bench_speed's, are keyed by it).
# 2: lines that ran off the canvas are moved back inside (2026-12-03).
GENERATOR_VERSION = 2

_MNIST: dict[str, object] = {}


def mnist_test_digits() -> tuple[np.ndarray, list[np.ndarray]]:
    """MNIST test images and, per label, the indices of its images (cached)."""
    if "images" not in _MNIST:
        from training import mnist

        images, labels = mnist.load("test")
        _MNIST["images"] = images
        _MNIST["by_label"] = [np.nonzero(labels == d)[0] for d in range(10)]
    return _MNIST["images"], _MNIST["by_label"]


@dataclass
class Page:
    image: np.ndarray           # H x W x 3 BGR uint8
    lines: list[str]            # ground truth, top to bottom, groups separated by one space
    tilt_deg: float
    # with render_page(..., with_ids=True): H x W int32, k + 1 where digit k's ink is (0 elsewhere;
    # the later digit where two overlap), through the same page transform; digit_labels[k] is its
    # label. For mining classifier training crops (training/mine_pieces.py).
    digit_ids: np.ndarray | None = None
    digit_labels: list[int] | None = None


def by_label_index(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """(images, per label the indices of its images): a digit source for render_page."""
    return images, [np.nonzero(labels == d)[0] for d in range(10)]


def digit_glyph(rng: np.random.Generator, label: int, height: int, source=None) -> np.ndarray:
    """A random MNIST image of `label` cropped to its ink and scaled to `height` px (0..1); from
    the test set unless `source` (see by_label_index) says otherwise."""
    images, by_label = source if source is not None else mnist_test_digits()
    img = images[by_label[label][rng.integers(len(by_label[label]))]]
    ys, xs = np.nonzero(img > 40)
    img = img[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255.0
    scale = height / img.shape[0]
    w = max(1, round(img.shape[1] * scale))
    glyph = cv2.resize(img, (w, height), interpolation=cv2.INTER_CUBIC)
    if height > 50 and rng.random() < 0.5:  # thinner pen on big digits
        k = max(1, round(height / 45))
        glyph = cv2.erode(glyph, np.ones((k, k), np.uint8))
    # crisp the soft upscaled edges into a pen stroke
    return np.clip((glyph - 0.25) * 2.0, 0, 1)


def punctuation_glyph(rng: np.random.Generator, kind: str, h: float) -> tuple[np.ndarray, float]:
    """A full stop, comma or dash for digits `h` px tall -> (alpha, vertical offset of its top
    below the digits' top, as a fraction of h)."""
    stroke = max(2, round(h * rng.uniform(0.07, 0.12)))
    if kind == "-":
        w = max(4, round(h * rng.uniform(0.3, 0.55)))
        g = np.zeros((stroke + 2, w + 2), np.float32)
        cv2.line(g, (1, stroke // 2 + 1), (w, stroke // 2 + 1 + int(rng.integers(-1, 2))), 1.0,
                 stroke, cv2.LINE_AA)
        return g, rng.uniform(0.4, 0.6)
    if kind == ".":
        r = max(1, round(stroke * rng.uniform(0.6, 1.0)))
        g = np.zeros((2 * r + 3, 2 * r + 3), np.float32)
        cv2.circle(g, (r + 1, r + 1), r, 1.0, -1, cv2.LINE_AA)
        return g, 1.0 - g.shape[0] / h
    # comma: a dot with a short tail
    r = max(1, round(stroke * 0.8))
    tail = max(3, round(h * rng.uniform(0.12, 0.2)))
    g = np.zeros((2 * r + tail + 3, 2 * r + 4), np.float32)
    cv2.circle(g, (r + 2, r + 1), r, 1.0, -1, cv2.LINE_AA)
    cv2.line(g, (r + 2, r + 1), (r, 2 * r + tail), 1.0, max(1, stroke // 2), cv2.LINE_AA)
    return g, 1.0 - (2 * r + 2) / h


def overlap(canvas_shape, glyph_shape, x: int, y: int):
    """(canvas slices, glyph slices) where a glyph placed at (x, y) lies on the canvas, or None."""
    H, W = canvas_shape
    h, w = glyph_shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return None
    return np.s_[y0:y1, x0:x1], np.s_[y0 - y:y1 - y, x0 - x:x1 - x]


def paste_max(canvas: np.ndarray, glyph: np.ndarray, x: int, y: int) -> None:
    """canvas = max(canvas, glyph) at (x, y), clipped to the canvas."""
    where = overlap(canvas.shape, glyph.shape, x, y)
    if where is not None:
        region = canvas[where[0]]
        np.maximum(region, glyph[where[1]], out=region)


def paste_id(ids: np.ndarray, mark: np.ndarray, value: int, x: int, y: int) -> None:
    """ids = value where `mark` (a glyph-sized bool mask) is true, at (x, y), clipped."""
    where = overlap(ids.shape, mark.shape, x, y)
    if where is not None:
        ids[where[0]][mark[where[1]]] = value


def line_overflow(placed: list, W: int, margin_x: float) -> int:
    """Pixels to move a line's glyphs (glyph, x, y, ...) left so that none passes the canvas's
    right side: then half a margin from it, but never so far that the first one comes nearer
    the left side than that. 0 for a line on the canvas (its page stays as it was)."""
    if not placed:
        return 0
    right = max(gx + glyph.shape[1] for glyph, gx, *_ in placed)
    if right <= W:
        return 0
    left = min(gx for _, gx, *_ in placed)
    over = right - int(W - 0.5 * margin_x)
    return max(0, min(over, left - int(0.5 * margin_x)))


def layout_line(rng: np.random.Generator, h: float, max_width: float) -> list:
    """Plan one line: returns [('digit', label, height, gap_before) | ('punct', kind, gap_before)]
    and the truth string; groups separated by wide gaps."""
    n_digits = int(rng.integers(1, 13))
    group_sizes = []
    while sum(group_sizes) < n_digits:
        group_sizes.append(int(rng.integers(1, 6)))
    group_sizes[-1] -= sum(group_sizes) - n_digits
    if group_sizes[-1] <= 0:
        group_sizes.pop()
    items, width = [], 0.0
    for g, size in enumerate(group_sizes):
        for k in range(size):
            if k == 0:
                gap = 0.0 if g == 0 else rng.uniform(1.1, 2.0) * h
            elif rng.random() < 0.12:
                gap = -rng.uniform(0.02, 0.1) * h  # touching pair
            else:
                gap = rng.uniform(0.06, 0.3) * h
            if k > 0 and rng.random() < 0.08:  # thousands separator inside the group
                items.append(("punct", rng.choice([".", ","]), rng.uniform(0.04, 0.12) * h))
                gap = rng.uniform(0.04, 0.12) * h
            dh = h * rng.uniform(0.88, 1.08)
            items.append(("digit", int(rng.integers(10)), dh, gap))
            width += gap + 0.7 * dh
        if width > max_width:
            break
    if rng.random() < 0.12:
        items.append(("punct", rng.choice(["-", "."]), rng.uniform(0.15, 0.4) * h))
    # trim to the width available
    while True:
        est = sum(it[-1] + (0.7 * it[2] if it[0] == "digit" else 0.3 * h) for it in items)
        n_dig = sum(1 for it in items if it[0] == "digit")
        if est <= max_width or n_dig <= 1:
            break
        items.pop()
    while items and items[-1][0] == "punct" and items[-1][1] in ".,":
        items.pop()  # a trailing separator would only be a full stop; keep it simple
    return items


def render_ink(rng: np.random.Generator, W: int, H: int, source=None, ids=None,
               id_labels=None):
    """Ink alpha, ruled-line alpha and truth lines on an upright W x H canvas. When `ids` (an
    H x W int32 canvas) is given, each digit's ink is marked there and its label appended to
    `id_labels` (no extra random draws: the page is the same either way)."""
    ink = np.zeros((H, W), np.float32)
    rules = np.zeros((H, W), np.float32)
    n_lines = int(rng.integers(1, 6))
    margin_x, margin_y = 0.08 * W, 0.08 * H
    avail_h = H - 2 * margin_y
    while True:
        max_h = min(MAX_DIGIT_H, avail_h / (n_lines * 2.0))
        if max_h >= MIN_DIGIT_H or n_lines == 1:
            break
        n_lines -= 1
    heights = np.exp(rng.uniform(math.log(MIN_DIGIT_H), math.log(max(MIN_DIGIT_H + 1, max_h)),
                                 n_lines))
    # blank space between lines: relative to the taller neighbour, as people write
    gaps = [rng.uniform(0.5, 1.0) * max(heights[i - 1], heights[i]) for i in range(1, n_lines)]
    total = float(heights.sum() + sum(gaps))
    y = margin_y + rng.uniform(0, max(0.0, avail_h - total))
    pitches = [heights[i] + gaps[i] for i in range(n_lines - 1)] + [2 * heights[-1]]
    truth, baselines = [], []
    ruled = rng.random() < 0.35
    for li, h in enumerate(heights):
        max_width = W - 2 * margin_x
        items = layout_line(rng, h, max_width * 0.95)
        est = sum(it[-1] + (0.7 * it[2] if it[0] == "digit" else 0.3 * h) for it in items)
        x = margin_x + rng.uniform(0, max(0.0, max_width - est))
        baseline = y + h
        text, started = [], False
        wave_amp, wave_len = rng.uniform(0, 0.06) * h, rng.uniform(4, 12) * h
        placed = []  # (glyph, x, y top, label or None for punctuation)
        for it in items:
            x += it[-1] if started else 0.0
            started = True
            if it[0] == "digit":
                _, label, dh, gap = it
                glyph = digit_glyph(rng, label, max(MIN_DIGIT_H - 3, round(dh)), source)
                jitter = rng.normal(0, 0.03) * h + wave_amp * math.sin(x / wave_len * 2 * math.pi)
                placed.append((glyph, round(x), round(baseline - glyph.shape[0] + jitter), label))
                if text and gap > 0.9 * h:
                    text.append(" ")
                text.append(str(label))
                x += glyph.shape[1]
            else:
                glyph, top = punctuation_glyph(rng, it[1], h)
                placed.append((glyph, round(x), round(baseline - h + top * h), None))
                x += glyph.shape[1]
        # the width estimate can fall short: a line running off the canvas is moved back
        # inside, or the truth would hold digits that are partly or wholly cut off (until
        # 2026-12-03 3 of the benchmark's 200 pages had one; same random draws either way)
        shift = line_overflow(placed, W, margin_x)
        for glyph, gx, gy, label in placed:
            paste_max(ink, glyph, gx - shift, gy)
            if ids is not None and label is not None:
                id_labels.append(label)
                paste_id(ids, glyph > 0.3, len(id_labels), gx - shift, gy)
        x -= shift
        truth.append("".join(text))
        baselines.append(baseline)
        if not ruled and rng.random() < 0.1:  # an underline in the ink itself
            u = np.zeros_like(ink)
            yy = round(baseline + rng.uniform(0.05, 0.2) * h)
            cv2.line(u, (round(margin_x * 0.5), yy), (round(x + 0.3 * h), yy), 1.0,
                     max(1, round(h * 0.06)), cv2.LINE_AA)
            np.maximum(ink, u, out=ink)
        y += pitches[li]
    if ruled:
        # writing sits on the rules; the blank rules above and below the text are spaced like
        # the text lines (never crossing the digits)
        pitch = max(1.5 * float(heights.max()), float(np.median(pitches)))
        thickness = int(rng.integers(1, 4))
        offset = rng.uniform(-0.02, 0.08) * heights.min()
        ys = {round(b + offset) for b in baselines}
        yy = min(ys) - max(pitch, 1.3 * heights[0])
        while yy > 0:
            ys.add(round(yy))
            yy -= pitch
        yy = max(ys) + pitch
        while yy < H:
            ys.add(round(yy))
            yy += pitch
        for yy in ys:
            cv2.line(rules, (0, yy), (W - 1, yy), 1.0, thickness, cv2.LINE_AA)
    return ink, rules, truth


def page_transform(rng: np.random.Generator, W: int, H: int, ink: np.ndarray) -> tuple[np.ndarray, float]:
    """Rotation + mild perspective homography that keeps all ink inside the frame."""
    tilt = rng.uniform(-MAX_TILT_DEG, MAX_TILT_DEG)
    ys, xs = np.nonzero(ink > 0.1)
    if xs.size:
        box = np.float32([[xs.min(), ys.min()], [xs.max(), ys.min()],
                          [xs.max(), ys.max()], [xs.min(), ys.max()]])
    else:
        box = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
    corners = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
    jitter = rng.uniform(-0.03, 0.03, (4, 2)).astype(np.float32) * np.float32([W, H])
    persp = cv2.getPerspectiveTransform(corners, corners + jitter)
    cx, cy = W / 2, H / 2
    for shrink in (1.0, 0.92, 0.85, 0.78, 0.7, 0.62, 0.55):
        rot = cv2.getRotationMatrix2D((cx, cy), tilt, shrink)
        M = persp @ np.vstack([rot, [0, 0, 1]])
        moved = cv2.perspectiveTransform(box[None], M)[0]
        if (moved[:, 0].min() >= 4 and moved[:, 1].min() >= 4 and moved[:, 0].max() <= W - 5
                and moved[:, 1].max() <= H - 5):
            return M, tilt
    return M, tilt


def lighting(rng: np.random.Generator, W: int, H: int) -> np.ndarray:
    """Illumination field: gradient + soft blob + (sometimes) a hard shadow."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    gx, gy = rng.uniform(-1, 1, 2)
    field = 1.0 + 0.25 * (gx * (xx / W - 0.5) + gy * (yy / H - 0.5))
    bx, by = rng.uniform(0, W), rng.uniform(0, H)
    field += 0.15 * np.exp(-((xx - bx) ** 2 + (yy - by) ** 2) / (2 * (0.4 * W) ** 2))
    field *= rng.uniform(0.65, 1.0) / field.max()
    if rng.random() < 0.35:  # a hard shadow: one side of a random line
        angle = rng.uniform(0, 2 * math.pi)
        px, py = rng.uniform(0.2 * W, 0.8 * W), rng.uniform(0.2 * H, 0.8 * H)
        side = (xx - px) * math.cos(angle) + (yy - py) * math.sin(angle)
        edge = rng.uniform(0.5, 4.0)
        shade = 1.0 - rng.uniform(0.3, 0.55) / (1.0 + np.exp(np.clip(-side / edge, -50, 50)))
        field *= shade.astype(np.float32)
    return field


INK_COLOURS = {  # BGR
    "black": (30, 30, 30), "blue": (140, 50, 20), "dark blue": (90, 30, 10),
    "red": (40, 40, 170), "green": (40, 110, 30), "pencil": (95, 95, 95),
}


def make_page(seed: int) -> tuple[np.ndarray, list[str]]:
    """Deterministic synthetic camera page -> (BGR uint8 image, truth lines)."""
    page = render_page(seed)
    return page.image, page.lines


def render_page(seed: int, source=None, with_ids: bool = False) -> Page:
    """The page of `seed`; `source` (by_label_index) replaces the MNIST test digits, `with_ids`
    also returns where each digit's ink is (Page.digit_ids)."""
    rng = np.random.default_rng([seed, 20261125])
    W, H = PAGE_SIZES[rng.integers(len(PAGE_SIZES))]
    ids = np.zeros((H, W), np.int32) if with_ids else None
    id_labels: list[int] = []
    ink, rules, truth = render_ink(rng, W, H, source, ids, id_labels)

    blackboard = rng.random() < 0.08
    if blackboard:
        paper = np.float32([rng.uniform(30, 60), rng.uniform(50, 80), rng.uniform(30, 50)])
        ink_col = np.float32([rng.uniform(210, 250)] * 3)
        rule_col = paper + 40
        ink_alpha = rng.uniform(0.75, 0.95)
    else:
        tint = rng.uniform(-12, 6, 3)
        base = rng.uniform(215, 250)
        if rng.random() < 0.15:  # yellow notepad
            tint = np.array([-45, -5, 0])
        paper = np.float32(np.clip(base + tint, 0, 255))
        name = list(INK_COLOURS)[rng.integers(len(INK_COLOURS))]
        ink_col = np.float32(INK_COLOURS[name]) + rng.uniform(-15, 15, 3).astype(np.float32)
        ink_alpha = rng.uniform(0.45, 0.7) if name == "pencil" else rng.uniform(0.85, 1.0)
        rule_col = np.float32([rng.uniform(150, 210), rng.uniform(140, 190), rng.uniform(110, 170)])
    canvas = np.empty((H, W, 3), np.float32)
    canvas[:] = paper
    canvas += rng.normal(0, 2.0, (H, W, 1)).astype(np.float32)  # paper grain
    r = rules[:, :, None]
    canvas = canvas * (1 - r) + rule_col * r
    a = (ink * ink_alpha)[:, :, None]
    canvas = canvas * (1 - a) + ink_col * a

    img, M, tilt = photograph(rng, canvas, ink)
    if ids is not None:
        ids = cv2.warpPerspective(ids.astype(np.float32), M, (W, H), flags=cv2.INTER_NEAREST,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(np.int32)
    return Page(img, truth, float(tilt), ids, id_labels if with_ids else None)


def photograph(rng: np.random.Generator, canvas: np.ndarray, ink: np.ndarray):
    """The camera on an upright page (H x W x 3 float32, changed): tilt and mild perspective
    that keep `ink` (H x W alpha) in frame, uneven light and shadows, blur, noise, JPEG ->
    (BGR uint8 image, the page homography, tilt in degrees)."""
    H, W = canvas.shape[:2]
    M, tilt = page_transform(rng, W, H, ink)
    canvas = cv2.warpPerspective(canvas, M, (W, H), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
    canvas *= lighting(rng, W, H)[:, :, None]
    if rng.random() < 0.6:
        sigma = rng.uniform(0.3, 1.2)
        canvas = cv2.GaussianBlur(canvas, (0, 0), sigma)
    canvas += rng.normal(0, rng.uniform(1.0, 6.0), canvas.shape).astype(np.float32)
    img = np.clip(canvas, 0, 255).astype(np.uint8)
    if rng.random() < 0.8:
        q = int(rng.integers(35, 91))
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return img, M, tilt


# Printed words written beside numbers on forms, meters and labels (some letters in them look
# like digits: o, l, t, a). For `labelled_number`, a measure of what the engine makes of words.
LABEL_WORDS = ("kWh", "Km", "NET", "Amount", "Total", "No.", "Tel", "Fax", "Max", "Min", "Room",
               "Sum", "Item", "Weight", "Mean", "Rev", "Ref", "Nr", "Ave", "Hex", "Week", "Mark",
               "Km/h", "Vat", "EUR")
LABEL_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_DUPLEX,
               cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL)


def write_number(rng: np.random.Generator, ink: np.ndarray, labels, x: int, base: int,
                 digit_h: int) -> int:
    """Write MNIST test digits `labels`, `digit_h` px tall, on `ink` from column `x` along the
    baseline `base`, a random small gap after each -> the column after the last gap."""
    for label in labels:
        glyph = digit_glyph(rng, label, digit_h)
        paste_max(ink, glyph, x, base - digit_h)
        x += glyph.shape[1] + int(rng.integers(digit_h // 8, digit_h // 3))
    return x


def plain_sheet_photo(rng: np.random.Generator, paper: np.ndarray, ink: np.ndarray,
                      pen: int) -> np.ndarray:
    """Ink alpha on a plain grey sheet (`paper`, float) in pen grey `pen`, slightly blurred and
    noisy -> BGR uint8 (the words' and signs' sets, simpler than make_page's camera)."""
    img = paper * (1 - ink) + pen * ink
    img = cv2.GaussianBlur(img, (0, 0), 0.8) + rng.normal(0, 4, img.shape)
    return cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def put_text(ink: np.ndarray, text: str, x: int, base: int, font: int, scale: float,
             thickness: int) -> int:
    """Print `text` onto the float ink map `ink` (0..1, changed in place), its baseline at
    `base` and its left at `x`, anti-aliased -> the x just past it."""
    printed = np.zeros(ink.shape, np.uint8)  # (putText draws on 8-bit images only)
    cv2.putText(printed, text, (x, base), font, scale, 255, thickness, cv2.LINE_AA)
    np.maximum(ink, printed / np.float32(255), out=ink)
    return x + cv2.getTextSize(text, font, scale, thickness)[0][0]


def labelled_number(seed: int, gap: tuple[float, float] | None = None
                    ) -> tuple[np.ndarray, str, str]:
    """A printed word (LABEL_WORDS) before or after a handwritten number of 2-5 MNIST test
    digits, on plain grey paper -> (BGR image, the number: the truth, the word). The gap
    between them is 0.5-2 digit heights, or `gap` (low, high) digit heights: (0.1, 0.3) is a
    number written right after its label."""
    rng = np.random.default_rng([seed, 20261205])
    h, w = 220, 1000
    paper = int(rng.integers(200, 250))
    img = np.full((h, w), paper, np.float32)
    digit_h = int(rng.integers(30, 70))
    labels = [int(d) for d in rng.integers(0, 10, int(rng.integers(2, 6)))]
    word = str(LABEL_WORDS[rng.integers(len(LABEL_WORDS))])
    font = int(LABEL_FONTS[rng.integers(len(LABEL_FONTS))])
    thickness = int(rng.integers(2, 5))
    scale = cv2.getFontScaleFromHeight(font, digit_h, thickness)
    base = 140
    ink = np.zeros((h, w), np.float32)

    def put_word(x: int) -> int:
        return put_text(ink, word, x, base, font, scale, thickness)

    def put_number(x: int) -> int:
        return write_number(rng, ink, labels, x, base, digit_h)

    def space() -> int:  # (drawn after what stands before it: the seeds' images stay as they were)
        if gap is not None:
            return int(rng.uniform(*gap) * digit_h)
        return int(rng.integers(digit_h // 2, 2 * digit_h))

    if rng.random() < 0.6:
        put_number(put_word(30) + space())
    else:
        put_word(put_number(30) + space())
    return plain_sheet_photo(rng, img, ink, 40), "".join(map(str, labels)), word


def label_pairs(seed: int, printed: bool = False) -> tuple[np.ndarray, list[str]]:
    """A line of two labels, each with its value after it ("Room 12   Floor 3": LABEL_WORDS in
    one of OpenCV's faces, 30-60 px; a value of 1-4 MNIST test digits as tall as the capitals,
    0.5-1 digit heights after its label, or with `printed` set in the label's font), the pairs
    1.5-3 digit heights apart, on plain grey paper -> (BGR image, truth: one line, the two
    values with a space between)."""
    rng = np.random.default_rng([seed, 4242])
    h, w = 220, 1400
    paper = int(rng.integers(200, 250))
    img = np.full((h, w), paper, np.float32)
    digit_h = int(rng.integers(30, 60))
    font = int(LABEL_FONTS[rng.integers(len(LABEL_FONTS))])
    thickness = int(rng.integers(2, 4))
    scale = cv2.getFontScaleFromHeight(font, digit_h, thickness)
    ink = np.zeros((h, w), np.float32)
    x, values = 30, []
    for _ in range(2):
        word = str(LABEL_WORDS[rng.integers(len(LABEL_WORDS))])
        x = put_text(ink, word, x, 140, font, scale, thickness) + int(rng.uniform(0.5, 1.0) * digit_h)
        labels = [int(d) for d in rng.integers(0, 10, int(rng.integers(1, 5)))]
        values.append("".join(map(str, labels)))
        x = (put_text(ink, values[-1], x, 140, font, scale, thickness) if printed
             else write_number(rng, ink, labels, x, 140, digit_h))
        x += int(rng.uniform(1.5, 3) * digit_h)
    return plain_sheet_photo(rng, img, ink, 40), [" ".join(values)]


def printed_number(seed: int) -> tuple[np.ndarray, str, str]:
    """A printed label and a printed number on one line, set in one font with a typed space
    between ("Total 480", "Qty: 12", "250 kWh"; LABEL_WORDS in OpenCV's Hershey faces), on
    plain grey paper -> (BGR image, the number: the truth, the printed text). A receipt's,
    meter's or form's own print: its figures are read, its word is not. The typed space is
    far narrower than a handwritten one, so word and number make one group of "digits"."""
    rng = np.random.default_rng([seed, 20261207])
    h, w = 220, 1000
    paper = int(rng.integers(200, 250))
    img = np.full((h, w), paper, np.float32)
    text_h = int(rng.integers(20, 70))
    number = "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, 6))))
    word = str(LABEL_WORDS[rng.integers(len(LABEL_WORDS))])
    text = f"{word}{':' if rng.random() < 0.3 else ''} {number}" if rng.random() < 0.7 \
        else f"{number} {word}"
    font = int(LABEL_FONTS[rng.integers(len(LABEL_FONTS))])
    thickness = int(rng.integers(1, 4))
    scale = cv2.getFontScaleFromHeight(font, text_h, thickness)
    (text_w, _), _ = cv2.getTextSize(text, font, scale, thickness)
    if text_w > w - 60:  # (a long label in a big face: smaller, to fit the sheet)
        scale *= (w - 60) / text_w
    ink = np.zeros((h, w), np.float32)
    put_text(ink, text, 30, 140, font, scale, thickness)
    return plain_sheet_photo(rng, img, ink, int(rng.integers(20, 60))), number, text


# What a printed form says above or before the numbers written on it (no figures: printed digits
# are read, as they should be). For `form_page`, a measure of how much of a form's text is read as
# digits; OpenCV's Hershey faces, which the letter detector never saw.
FORM_TEXT = ("Please write the amount in the box below", "Customer reference number",
             "Date of the last reading", "Signature of the inspector", "Meter serial and location",
             "Total amount due this month", "Account holder", "Enter your phone number",
             "Number of items delivered", "Reading taken by", "Previous reading",
             "Office use only", "Room and floor", "Quantity ordered", "Postal code",
             "Amount paid in cash", "Write clearly in ink", "Batch and lot", "Patient weight",
             "Hours worked this week", "Odometer at the start", "Invoice total",
             "Order reference", "Bank sort code", "Membership number", "Tick one box only",
             "Score for each round", "Total to pay", "Member since", "Notes")
FORM_PRINT_H = (12, 36)   # printed text height (px, capitals)
FORM_DIGIT_H = (22, 70)   # handwritten digit height (px), never under the text's
FORM_SAME_LINE = 0.35     # share of numbers written on their text's line, after it


def form_page(seed: int, with_hand: bool = False):
    """A photographed form: 1-4 printed sentences (FORM_TEXT), each with a handwritten number of
    2-7 MNIST test digits below it or after it on its line -> (BGR image, truth: the numbers,
    top to bottom). The printed text is no part of the truth. Same camera as make_page.
    `with_hand`: also the handwriting's ink (H x W float 0..1) through the same camera."""
    rng = np.random.default_rng([seed, 20261206])
    W, H = PAGE_SIZES[rng.integers(len(PAGE_SIZES))]
    printed = np.zeros((H, W), np.uint8)  # (putText draws on 8-bit images only)
    hand = np.zeros((H, W), np.float32)
    font = int(LABEL_FONTS[rng.integers(len(LABEL_FONTS))])
    text_h = int(rng.integers(*FORM_PRINT_H))
    thickness = int(rng.integers(1, 3))
    scale = cv2.getFontScaleFromHeight(font, text_h, thickness)
    margin_x, margin_y = round(0.06 * W), round(0.06 * H)
    top = margin_y + int(rng.integers(0, H // 8 + 1))  # where the next block may start
    truth: list[str] = []
    for _ in range(int(rng.integers(1, 5))):
        sentence = str(FORM_TEXT[rng.integers(len(FORM_TEXT))])
        digit_h = int(rng.integers(max(FORM_DIGIT_H[0], text_h), FORM_DIGIT_H[1] + 1))
        labels = [int(d) for d in rng.integers(0, 10, int(rng.integers(2, 8)))]
        glyphs = [digit_glyph(rng, label, digit_h) for label in labels]
        steps = [int(rng.integers(digit_h // 8, digit_h // 3)) for _ in labels]
        (text_w, _), _ = cv2.getTextSize(sentence, font, scale, thickness)
        x = margin_x + int(rng.integers(0, W // 20 + 1))
        width = sum(g.shape[1] for g in glyphs) + sum(steps)
        after = x + text_w + int(rng.uniform(0.8, 2.0) * digit_h)
        same_line = rng.random() < FORM_SAME_LINE and after + width <= W - margin_x
        below_gap = int(rng.uniform(0.4, 1.0) * digit_h)
        if same_line:  # the number's foot near the text's baseline
            y = top + digit_h
            nx, base = after, y + int(rng.uniform(-0.05, 0.1) * digit_h)
        else:  # below it, indented
            y = top + text_h
            nx, base = x + int(rng.uniform(0, 0.3) * W), y + below_gap + digit_h
        if base + margin_y > H or nx + width > W - margin_x:
            if truth:
                break
            # the first block is drawn whatever (a form's first line), its number under the
            # text's start and only as many digits as fit (the truth holds no digit cut off)
            nx = nx if same_line else x
            while len(glyphs) > 2 and nx + width > W - margin_x:
                width -= glyphs[-1].shape[1] + steps[-1]
                del glyphs[-1], labels[-1], steps[-1]
        cv2.putText(printed, sentence, (x, y), font, scale, 255, thickness, cv2.LINE_AA)
        for glyph, step in zip(glyphs, steps, strict=True):
            paste_max(hand, glyph, nx, base - glyph.shape[0] + round(rng.normal(0, 0.03) * digit_h))
            nx += glyph.shape[1] + step
        truth.append("".join(map(str, labels)))
        top = base + int(rng.uniform(0.6, 2.5) * max(text_h, digit_h // 2))
    paper = np.float32(np.clip(rng.uniform(215, 250) + rng.uniform(-12, 6, 3), 0, 255))
    name = list(INK_COLOURS)[rng.integers(len(INK_COLOURS))]
    pen = np.float32(INK_COLOURS[name]) + rng.uniform(-15, 15, 3).astype(np.float32)
    pen_alpha = rng.uniform(0.45, 0.7) if name == "pencil" else rng.uniform(0.85, 1.0)
    canvas = np.empty((H, W, 3), np.float32)
    canvas[:] = paper
    canvas += rng.normal(0, 2.0, (H, W, 1)).astype(np.float32)  # paper grain
    text = (printed.astype(np.float32) * np.float32(rng.uniform(0.8, 1.0) / 255))[:, :, None]
    canvas = canvas * (1 - text) + np.float32(rng.uniform(15, 60)) * text  # printer's black
    a = (hand * pen_alpha)[:, :, None]
    canvas = canvas * (1 - a) + pen * a
    img, M, _ = photograph(rng, canvas, np.maximum(hand, printed / np.float32(255)))
    if with_hand:
        return img, truth, cv2.warpPerspective(hand, M, (W, H), flags=cv2.INTER_LINEAR)
    return img, truth


# Signs written beside numbers: "25%", "#12", "25°", "€25". For `signed_number`, a measure of
# what the engine makes of them (read as digits, they turned "25%" into "2590", "#12" into
# "7712", "25°" into "250" and "€25" into "625").
SIGNS = ("%", "#", "°", "€")
BEFORE_NUMBER = ("#", "€", "£")  # (the others are written after it)
# (x the digit height) a word's space between a sign and its number (signed_number's `spaced`;
# a degree sign stays at the number's top right)
SIGN_SPACE = (0.5, 1.0)
TIMES = "x"  # a times sign between two numbers ("3x4", "20 x 30": times_number)
POUND = "£"  # a pound sign before a number: signed_number(seed, POUND) only (not among SIGNS,
# so the seeds' other signs stay as they were)


def wobbly_stroke(rng: np.random.Generator, start, end, size: float, points: int = 6) -> np.ndarray:
    """A hand-drawn straight stroke from `start` to `end` (x, y): points bowed off the line by
    ~2 % of `size`, most in the middle."""
    t = np.linspace(0, 1, points)[:, None]
    line = (1 - t) * np.asarray(start, np.float64) + t * np.asarray(end, np.float64)
    return line + rng.normal(0, 0.02 * size, line.shape) * np.sin(np.pi * t)


def hand_ring(rng: np.random.Generator, centre, rx: float, ry: float, points: int = 24) -> np.ndarray:
    """A hand-drawn small loop: an uneven ellipse from a random start, closed or a little over."""
    a = rng.uniform(0, 2 * np.pi) + np.linspace(0, 2 * np.pi * rng.uniform(1.0, 1.12), points)
    r = 1 + rng.normal(0, 0.05, points)
    return np.stack([centre[0] + rx * r * np.cos(a), centre[1] + ry * r * np.sin(a)], 1)


def sign_glyph(rng: np.random.Generator, kind: str, h: float) -> np.ndarray:
    """A hand-drawn percent ("%"), number ("#"), euro ("€"), pound ("£") or times sign ("x")
    about `h` px tall, or a degree sign ("°") for digits `h` px tall: alpha 0..1, cut to its
    ink. The percent sign's loops touch its slash or stand a little apart; the number sign leans
    up to a quarter of its height; the euro sign's bars stick out left of its C and end about
    its middle; the pound sign's stem hooks over to the right at its top, with a bar across it
    and a foot; the times sign's two strokes cross, their ends a little off its box's corners;
    the degree sign is a ring 0.2-0.36 of `h` across."""
    if kind not in SIGNS + (TIMES, POUND):
        raise ValueError(f"unknown sign {kind!r}; expected one of {SIGNS + (TIMES, POUND)}")
    s = 4  # drawn at 4x, then shrunk: smooth pen edges
    H = h * s
    stroke = max(2, round(h * rng.uniform(0.07, 0.13))) * s
    g = np.zeros((int(H * 1.3) + 4 * stroke, int(H * 1.2) + 4 * stroke), np.uint8)
    ox = oy = 2 * stroke
    strokes = []
    if kind == "%":
        tall = H * rng.uniform(0.8, 1.05)
        wide = tall * rng.uniform(0.5, 0.8)
        strokes.append(wobbly_stroke(rng, (ox, oy + tall), (ox + wide, oy), tall))
        r = tall * rng.uniform(0.12, 0.2)
        gap = rng.uniform(-0.3, 0.5) * r  # (under 0: the loops touch the slash)
        strokes.append(hand_ring(rng, (ox + r + 0.3 * gap, oy + r + 0.2 * gap), r * rng.uniform(0.8, 1.1), r))
        strokes.append(hand_ring(rng, (ox + wide - r - 0.3 * gap, oy + tall - r - 0.2 * gap),
                                 r * rng.uniform(0.8, 1.1), r))
    elif kind == TIMES:  # (two strokes crossing, their ends a little off the box's corners)
        tall = H * rng.uniform(0.8, 1.0)
        wide = tall * rng.uniform(0.6, 1.0)
        def off() -> float:
            return rng.uniform(-0.08, 0.08) * tall
        for (x0, y0), (x1, y1) in (((0, 0), (wide, tall)), ((wide, 0), (0, tall))):
            strokes.append(wobbly_stroke(rng, (ox + x0 + off(), oy + y0 + off()),
                                         (ox + x1 + off(), oy + y1 + off()), tall))
    elif kind == POUND:  # (a stem hooked over to the right at its top, a bar across it, a foot)
        tall = H * rng.uniform(0.85, 1.0)
        wide = tall * rng.uniform(0.6, 0.8)
        path = np.array([(0.85, 0.18), (0.75, 0.03), (0.55, 0.0), (0.4, 0.08), (0.33, 0.3),
                         (0.33, 0.55), (0.3, 0.78), (0.18, 0.95), (0.05, 1.0)])
        path = np.stack([ox + path[:, 0] * wide, oy + path[:, 1] * tall], 1)
        path += rng.normal(0, 0.02 * tall, path.shape)
        t, along = np.linspace(0, 1, len(path)), np.linspace(0, 1, 40)
        strokes.append(np.stack([np.interp(along, t, path[:, 0]), np.interp(along, t, path[:, 1])], 1))
        strokes.append(wobbly_stroke(rng, (ox + 0.05 * wide, oy + tall * rng.uniform(0.97, 1.0)),
                                     (ox + wide * rng.uniform(0.9, 1.0), oy + tall * rng.uniform(0.92, 1.0)),
                                     tall))
        strokes.append(wobbly_stroke(rng, (ox + 0.08 * wide, oy + tall * rng.uniform(0.5, 0.6)),
                                     (ox + wide * rng.uniform(0.6, 0.75), oy + tall * rng.uniform(0.5, 0.6)),
                                     tall))
    elif kind == "°":
        r = H * rng.uniform(0.1, 0.18)
        strokes.append(hand_ring(rng, (ox + r, oy + r), r * rng.uniform(0.85, 1.15), r))
    elif kind == "€":
        r = H / 2
        cx, cy = ox + 0.3 * H + r, oy + r
        a = np.linspace(np.radians(rng.uniform(35, 60)), np.radians(rng.uniform(300, 325)), 20)
        strokes.append(np.stack([cx + 0.85 * r * np.cos(a), cy - r * np.sin(a)], 1)
                       + rng.normal(0, 0.01 * H, (20, 2)))
        for f in (0.4, 0.6):
            y = oy + f * H
            strokes.append(wobbly_stroke(rng, (ox, y), (cx + rng.uniform(-0.4, 0.1) * r, y), H))
    else:
        tall = H * rng.uniform(0.75, 1.0)
        wide = tall * rng.uniform(0.6, 0.9)
        lean = tall * rng.uniform(0.0, 0.25)
        for f in (0.3, 0.7):
            x = ox + lean + f * wide
            strokes.append(wobbly_stroke(rng, (x, oy), (x - lean, oy + tall), tall))
        for f in (0.33, 0.67):
            y = oy + f * tall
            strokes.append(wobbly_stroke(rng, (ox, y), (ox + wide + lean, y - rng.uniform(-0.05, 0.05) * tall),
                                         tall))
    for points in strokes:
        cv2.polylines(g, [np.round(points).astype(np.int32)], False, 255, stroke, cv2.LINE_AA)
    ys, xs = np.nonzero(g)
    g = g[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    g = cv2.resize(g, (max(1, g.shape[1] // s), max(1, g.shape[0] // s)), interpolation=cv2.INTER_AREA)
    return g.astype(np.float32) / 255


def signed_number(seed: int, kind: str | None = None,
                  spaced: bool = False) -> tuple[np.ndarray, str, str]:
    """A handwritten number of 1-5 MNIST test digits with a hand-drawn sign (`kind`, else one of
    SIGNS at random): a percent sign after it, a number, euro or pound ("£", asked for by name
    only) sign before it, or a degree sign at its top right; on plain grey paper -> (BGR image,
    the number: the truth, the sign). `spaced`: a word's space (SIGN_SPACE digit heights) between the sign and the
    number ("25 %", "€ 25"); the page is otherwise the same as without it."""
    rng = np.random.default_rng([seed, 20261206])
    # (its own stream: the other draws, and so the page, stay those of the unspaced seed)
    space = np.random.default_rng([seed, 20261206, 1]).uniform(*SIGN_SPACE) if spaced else 0.0
    kind = kind or SIGNS[int(rng.integers(len(SIGNS)))]
    if kind not in SIGNS + (POUND,):
        raise ValueError(f"unknown sign {kind!r}; expected one of {SIGNS + (POUND,)}")
    h, w = 220, 800
    paper = int(rng.integers(190, 250))
    img = np.full((h, w), paper, np.float32)
    digit_h = int(rng.integers(25, 80))
    labels = [int(d) for d in rng.integers(0, 10, int(rng.integers(1, 6)))]
    base = 150
    ink = np.zeros((h, w), np.float32)

    def put_sign(x: int) -> int:
        if kind == "°":  # (raised: its top about the digits' top)
            glyph = sign_glyph(rng, kind, digit_h)
            paste_max(ink, glyph, x - digit_h // 10, base - digit_h - int(rng.integers(0, max(1, digit_h // 8))))
            return x + glyph.shape[1]
        glyph = sign_glyph(rng, kind, digit_h * rng.uniform(0.7, 1.05))
        paste_max(ink, glyph, x, base - glyph.shape[0] - int(rng.integers(0, max(1, digit_h // 8))))
        return x + glyph.shape[1] + int(rng.integers(digit_h // 8, digit_h // 3))

    gap = int(round(space * digit_h)) if kind != "°" else 0
    x = write_number(rng, ink, labels, put_sign(30) + gap if kind in BEFORE_NUMBER else 30, base,
                     digit_h)
    if kind not in BEFORE_NUMBER:
        put_sign(x + gap)
    return plain_sheet_photo(rng, img, ink, int(rng.integers(20, 90))), "".join(map(str, labels)), kind


TIMES_PLACES = ("between", "before", "after")


def times_number(seed: int, where: str = "between") -> tuple[np.ndarray, str]:
    """Two handwritten numbers of 1-4 MNIST test digits with a hand-drawn times sign between
    them ("3x4", "20 x 30"): a small x standing on the line (0.45-0.7 of the digits' height)
    or, one time in three, a capital X as tall as them; written on to both numbers or, one time
    in three, a space away from each; on plain grey paper -> (BGR image, the truth: the two
    numbers with a space between). `where` "before" or "after": one number, the x before it
    ("x3") or after it ("2x"); the truth is the number."""
    if where not in TIMES_PLACES:
        raise ValueError(f"where must be one of {TIMES_PLACES}, got {where!r}")
    rng = np.random.default_rng([seed, 20261207])
    h, w = 220, 900
    paper = int(rng.integers(190, 250))
    img = np.full((h, w), paper, np.float32)
    digit_h = int(rng.integers(25, 70))
    numbers = [[int(d) for d in rng.integers(0, 10, int(rng.integers(1, 5)))] for _ in range(2)]
    base = 150
    ink = np.zeros((h, w), np.float32)
    size = rng.uniform(0.8, 1.0) if rng.random() < 1 / 3 else rng.uniform(0.45, 0.7)
    space = int(rng.uniform(*SIGN_SPACE) * digit_h) if rng.random() < 1 / 3 else 0
    if where == "before":
        numbers = numbers[1:]
    elif where == "after":
        numbers = numbers[:1]
    x = 30 if where == "before" else write_number(rng, ink, numbers[0], 30, base, digit_h) + space
    glyph = sign_glyph(rng, TIMES, digit_h * size)
    paste_max(ink, glyph, x, base - glyph.shape[0] - int(rng.integers(0, max(1, digit_h // 10))))
    x += glyph.shape[1] + int(rng.integers(digit_h // 8, digit_h // 3)) + space
    if where != "after":
        write_number(rng, ink, numbers[-1], x, base, digit_h)
    truth = " ".join("".join(map(str, n)) for n in numbers)
    return plain_sheet_photo(rng, img, ink, int(rng.integers(20, 90))), truth


def contact_sheet(seeds, tile_w: int = 480, cols: int = 3, annotate=None) -> np.ndarray:
    """Pages side by side with their truth (and `annotate(page_image) -> image` if given)."""
    tiles = []
    for seed in seeds:
        img, lines = make_page(seed)
        if annotate is not None:
            img = annotate(img)
        th = round(img.shape[0] * tile_w / img.shape[1])
        tile = cv2.resize(img, (tile_w, th), interpolation=cv2.INTER_AREA)
        label = np.full((20 * max(1, len(lines)) + 8, tile_w, 3), 255, np.uint8)
        for i, line in enumerate(lines):
            cv2.putText(label, f"{seed}: {line}", (4, 18 + 20 * i), cv2.FONT_HERSHEY_SIMPLEX,
                        0.5, (0, 0, 200), 1, cv2.LINE_AA)
        tiles.append(np.vstack([tile, label]))
    rows = []
    for i in range(0, len(tiles), cols):
        row = tiles[i:i + cols]
        h = max(t.shape[0] for t in row)
        row = [np.vstack([t, np.full((h - t.shape[0], tile_w, 3), 255, np.uint8)]) for t in row]
        row += [np.full((h, tile_w, 3), 255, np.uint8)] * (cols - len(row))
        rows.append(np.hstack(row))
    return np.vstack(rows)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    out = sys.argv[2] if len(sys.argv) > 2 else "synth_pages.png"
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    cv2.imwrite(out, contact_sheet(range(first, first + n)))
    print(out)

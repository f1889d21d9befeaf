"""Render a digit the way our segmenter will hand it to the classifier.

A 28x28 MNIST digit is scaled up to the size a real digit has in a photo (15-120 px tall),
distorted (rotation, shear, aspect, elastic, stroke thickness), degraded (blur, noise, low
contrast, JPEG), optionally given fragments of neighbours at the crop edge, then usually
binarized (the engine works on a 0/255 ink mask), and finally passed through THE shared
`normalize_digit`. Every function takes an explicit `rng` so results are reproducible.

All images here are white ink on black, uint8, like the engine's masks.
"""
from __future__ import annotations

import cv2
import numpy as np

from realtime.normalize import ink_bbox, normalize_digit

# --- augmentation strengths (probabilities and ranges) -----------------------------------------
HEIGHT_RANGE = (15, 120)       # rendered digit height in px (log-uniform)
ROTATION_DEG = 15.0
SHEAR = 0.35                   # x += SHEAR * y, both directions
ASPECT = (0.75, 1.3)           # width stretch
P_ELASTIC = 0.5
P_THICKNESS = 0.5
P_BLUR = 0.4
P_NOISE = 0.4
P_LOW_CONTRAST = 0.3
P_JPEG = 0.3
P_FRAGMENT = 0.2               # a bit of a neighbour at the left/right crop edge
P_BINARIZE = 0.8               # share binarized; the rest keeps its grey ink (Otsu-cut)
# Tried (2026-12-02, "v5"): half binarized, and the grey half made by the engine's own
# segment.graded_glyph, since the engine's crops are grey now: MNIST test 99.39 %, ORAND
# held-out crops 96.7 %, but the engine read 81.0 instead of 82.4 % of the ORAND training images
# and 67.3 instead of 67.7 % of the synthetic tuning pages 5000-5299 than with v4: not kept.


def ink_crop(img: np.ndarray, pad: int = 0) -> np.ndarray:
    """Tight crop of the ink (pixels >= 1), with `pad` black pixels around it."""
    bbox = ink_bbox(img)
    if bbox is None:
        return np.zeros((1, 1), np.uint8)
    x, y, w, h = bbox
    crop = img[y:y + h, x:x + w]
    return cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)


def upscale_to_height(img: np.ndarray, height: int) -> np.ndarray:
    """Resize a (small) glyph so its height is `height`, keeping the aspect ratio."""
    h, w = img.shape
    scale = height / h
    size = (max(1, round(w * scale)), max(1, height))
    return cv2.resize(img, size, interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)


def random_affine(img: np.ndarray, rng: np.random.Generator, rotation: float = ROTATION_DEG,
                  shear: float = SHEAR, aspect: tuple[float, float] = ASPECT) -> np.ndarray:
    """Rotate, shear and stretch around the centre on a canvas big enough to keep every stroke."""
    h, w = img.shape
    angle = np.deg2rad(rng.uniform(-rotation, rotation))
    sh = rng.uniform(-shear, shear)
    sx = rng.uniform(*aspect)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    lin = rot @ np.array([[1.0, sh], [0.0, 1.0]]) @ np.array([[sx, 0.0], [0.0, 1.0]])
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float) - [w / 2, h / 2]
    mapped = corners @ lin.T
    out_w = int(np.ceil(np.ptp(mapped[:, 0]))) + 4
    out_h = int(np.ceil(np.ptp(mapped[:, 1]))) + 4
    offset = np.array([out_w / 2, out_h / 2]) - lin @ np.array([w / 2, h / 2])
    m = np.hstack([lin, offset[:, None]]).astype(np.float32)
    return cv2.warpAffine(img, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=0)


def elastic(img: np.ndarray, rng: np.random.Generator, alpha_frac: float = 0.06,
            sigma_frac: float = 0.12) -> np.ndarray:
    """Smooth random displacement field (Simard et al.), scaled to the glyph size."""
    h, w = img.shape
    size = max(h, w)
    sigma = max(1.0, sigma_frac * size)
    alpha = rng.uniform(0.3, 1.0) * alpha_frac * size
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    # normalize so alpha is the typical displacement in px, independent of sigma
    dx *= alpha / (np.abs(dx).max() + 1e-6)
    dy *= alpha / (np.abs(dy).max() + 1e-6)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=0)


def stroke_thickness(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thin or thicken strokes by a radius proportional to the glyph height."""
    h = img.shape[0]
    radius = max(1, round(rng.uniform(0.02, 0.07) * h))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if rng.random() < 0.5:
        return cv2.dilate(img, kernel)
    thinner = cv2.erode(img, kernel)
    # never erase the digit: keep the original when erosion removes most of the ink
    return thinner if thinner.sum() > 0.35 * img.sum() else img


def photo_degrade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur, low contrast, sensor noise and JPEG, as a camera would."""
    out = img.astype(np.float32)
    if rng.random() < P_LOW_CONTRAST:
        lo = rng.uniform(0, 80)
        hi = rng.uniform(lo + 60, 255)
        out = lo + out * (hi - lo) / 255.0
    if rng.random() < P_BLUR:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 0.04 * img.shape[0] + 0.5))
    if rng.random() < P_NOISE:
        out = out + rng.normal(0, rng.uniform(4, 30), out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < P_JPEG and min(out.shape) >= 8:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 80))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out


def binarize(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """0/255 ink mask by a random global threshold, Otsu, or an adaptive threshold."""
    kind = rng.random()
    if kind < 0.4:
        lo, hi = int(img.min()), int(img.max())
        level = lo + rng.uniform(0.3, 0.65) * max(hi - lo, 1)
        return np.where(img > level, 255, 0).astype(np.uint8)
    if kind < 0.7:
        _, mask = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        return mask
    h, w = img.shape
    block = int(max(3, (max(h, w) // 2) | 1))
    padded = cv2.copyMakeBorder(img, block, block, block, block, cv2.BORDER_CONSTANT, value=0)
    mask = cv2.adaptiveThreshold(padded, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                 block, -float(rng.uniform(5, 25)))
    return mask[block:block + h, block:block + w]


def keep_grey_ink(img: np.ndarray) -> np.ndarray:
    """Grey ink with the background set to 0 (Otsu level), for the un-binarized share."""
    level, _ = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.where(img > level, img, 0).astype(np.uint8)


def edge_fragment(donor: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray:
    """A thin vertical slice of another glyph, `height` tall: what is left of a neighbour."""
    donor = upscale_to_height(ink_crop(donor), height)
    w = donor.shape[1]
    slice_w = max(1, int(rng.uniform(0.06, 0.2) * height))
    if w <= slice_w:
        return donor
    x0 = 0 if rng.random() < 0.5 else w - slice_w
    return donor[:, x0:x0 + slice_w]


def add_edge_fragment(img: np.ndarray, donor: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Put a small neighbour fragment just left or right of the glyph (a gap of 0-3 px)."""
    h, w = img.shape
    frag = edge_fragment(donor, h, rng)
    # keep the fragment a minor part of the ink, otherwise it is a different crop altogether
    if frag.sum() > 0.2 * max(int(img.sum()), 1):
        keep = max(1, int(rng.uniform(0.25, 0.5) * h))
        y0 = int(rng.integers(0, h - keep + 1))
        frag = frag.copy()
        frag[:y0] = 0
        frag[y0 + keep:] = 0
    gap = int(rng.integers(0, 4))
    canvas = np.zeros((h, w + gap + frag.shape[1]), np.uint8)
    if rng.random() < 0.5:
        canvas[:, :w] = img
        canvas[:, w + gap:] = frag
    else:
        canvas[:, :frag.shape[1]] = frag
        canvas[:, frag.shape[1] + gap:] = img
    return canvas


def render_glyph(glyph28: np.ndarray, rng: np.random.Generator, height: int | None = None) -> np.ndarray:
    """MNIST-style 28x28 glyph -> a distorted, larger grey glyph (white on black, not normalized)."""
    if height is None:
        height = int(np.exp(rng.uniform(np.log(HEIGHT_RANGE[0]), np.log(HEIGHT_RANGE[1]))))
    big = upscale_to_height(ink_crop(glyph28, pad=1), height)
    big = cv2.copyMakeBorder(big, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0)
    big = random_affine(big, rng)
    if rng.random() < P_ELASTIC:
        big = elastic(big, rng)
    if rng.random() < P_THICKNESS:
        big = stroke_thickness(big, rng)
    return big


def photographed(img: np.ndarray, rng: np.random.Generator, p_binarize: float = P_BINARIZE) -> np.ndarray:
    """Through a camera (photo_degrade), then as the engine sees it: binarized, or (1 - p_binarize
    of the time) its grey ink kept."""
    img = photo_degrade(img, rng)
    return binarize(img, rng) if rng.random() < p_binarize else keep_grey_ink(img)


def augment_digit(glyph28: np.ndarray, rng: np.random.Generator,
                  donor28: np.ndarray | None = None) -> np.ndarray:
    """One training sample: MNIST glyph -> what `normalize_digit` returns in the engine."""
    big = photographed(render_glyph(glyph28, rng), rng)
    if donor28 is not None and rng.random() < P_FRAGMENT:
        donor = donor28 if big.max() < 255 else np.where(donor28 > 100, 255, 0).astype(np.uint8)
        big = add_edge_fragment(big, donor, rng)
    out = normalize_digit(big)
    # a degraded glyph can vanish entirely; fall back to the clean one rather than teach blanks
    return out if out.any() else normalize_digit(glyph28)

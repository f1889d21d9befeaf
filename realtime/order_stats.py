"""numpy's median, percentile and least-squares line (or parabola) fits for the short 1-D
arrays and lists the engine takes them of (a component's columns, a piece's pixels, a line's
gaps), giving the same floats (the fits to rounding) without numpy's per-call overhead:
np.median ~10 us, np.percentile ~30-50 us, np.polyfit ~60-100 us, against ~1-25 us here. On a
page of ruled lines these calls were a third of the line removal's time.
"""
from __future__ import annotations

import math

import numpy as np


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's _lerp: from the nearer end, so that t = 0 or 1 gives the end value exactly."""
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def median(values: np.ndarray) -> float:
    """np.median of a non-empty 1-D array: the middle value, or the mean of the two middle
    ones (numpy's own arithmetic: their sum halved)."""
    n = values.size
    half = n // 2
    if n % 2:
        return float(np.partition(values, half)[half])
    part = np.partition(values, (half - 1, half))
    return (float(part[half - 1]) + float(part[half])) / 2  # (as floats: uint8 would wrap)


def percentile(values: np.ndarray, q: float) -> float:
    """np.percentile(values, q) of a non-empty 1-D array, numpy's default (linear) method."""
    n = values.size
    virtual = (n - 1) * (q / 100)  # (numpy divides q first)
    below = int(np.floor(virtual))
    above = min(below + 1, n - 1)
    part = np.partition(values, (below, above)) if above != below else np.partition(values, below)
    return _lerp(float(part[below]), float(part[above]), virtual - below)


def median_of(values: list[float]) -> float:
    """np.median of a short list (sorting a list beats converting it to an array)."""
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[half])
    return float((ordered[half - 1] + ordered[half]) / 2)


def lower_quartile(values: list[float]) -> float:
    """np.percentile(values, 25) of a short list, bit for bit (numpy's call overhead, ~50 us,
    was most of lines.space_after's cost)."""
    ordered = sorted(values)
    virtual = (len(ordered) - 1) * 0.25
    below = math.floor(virtual)
    return _lerp(ordered[below], ordered[min(below + 1, len(ordered) - 1)], virtual - below)


def slope(xs: np.ndarray, ys: np.ndarray) -> float:
    """Least-squares slope of ys against xs (np.polyfit(xs, ys, 1)[0], to rounding); xs must
    hold at least two distinct values."""
    x = xs - xs.mean()
    return float(np.dot(x, ys - ys.mean()) / np.dot(x, x))


def fit_at(xs: np.ndarray, ys: np.ndarray, degree: int, at: np.ndarray) -> np.ndarray:
    """np.polyval(np.polyfit(xs, ys, degree), at) for degree 1 or 2, to rounding (~1e-12),
    at a quarter of the cost: least squares in x centred and scaled to about -1 .. 1, where the
    normal equations are well conditioned (their sums by dot products, a 3 x 3 solve at most).
    xs must hold more than `degree` distinct values."""
    centre = float(xs.mean())
    scale = max(1.0, float(np.abs(xs - centre).max()))
    u = (xs - centre) / scale
    v = (np.asarray(at, np.float64) - centre) / scale
    n, s1, s2 = float(u.size), float(u.sum()), float(np.dot(u, u))
    t0, t1 = float(ys.sum()), float(np.dot(u, ys))
    if degree == 1:
        rise = (n * t1 - s1 * t0) / (n * s2 - s1 * s1)
        return (t0 - rise * s1) / n + rise * v
    u2 = u * u
    s3, s4, t2 = float(np.dot(u2, u)), float(np.dot(u2, u2)), float(np.dot(u2, ys))
    # Cramer's rule on the symmetric 3 x 3 system (np.linalg.solve's call costs more)
    m00, m01, m02 = s2 * s4 - s3 * s3, s1 * s4 - s2 * s3, s1 * s3 - s2 * s2
    det = n * m00 - s1 * m01 + s2 * m02
    c0 = (t0 * m00 - s1 * (t1 * s4 - s3 * t2) + s2 * (t1 * s3 - s2 * t2)) / det
    c1 = (n * (t1 * s4 - s3 * t2) - t0 * m01 + s2 * (s1 * t2 - t1 * s2)) / det
    c2 = (n * (s2 * t2 - t1 * s3) - s1 * (s1 * t2 - t1 * s2) + t0 * m02) / det
    return c0 + v * (c1 + v * c2)

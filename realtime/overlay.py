"""Draw a Reading onto a copy of its image: boxes coloured by confidence, labels, line numbers.

Called on every video frame, so it is a handful of OpenCV calls per digit and nothing per pixel
beyond one copy (and a gray->BGR conversion when needed).
"""
from __future__ import annotations

import cv2
import numpy as np

from realtime.image import to_uint8
from realtime.reading import Reading

FONT = cv2.FONT_HERSHEY_SIMPLEX
WORD_COLOUR = (160, 160, 160)  # BGR grey: a printed word the engine left out


def draw_words(image: np.ndarray, boxes, thickness: int = 1) -> np.ndarray:
    """Grey boxes IN PLACE around the printed words a reading left out (Reading.words)."""
    for x, y, w, h in boxes:
        cv2.rectangle(image, (int(x), int(y)), (int(x + w - 1), int(y + h - 1)), WORD_COLOUR,
                      thickness)
    return image


def confidence_colour(conf: float) -> tuple[int, int, int]:
    """BGR from red (unsure) through yellow to green (sure)."""
    c = float(min(1.0, max(0.0, (conf - 0.5) / 0.5)))
    if c < 0.5:
        return (0, int(255 * c * 2), 255)
    return (0, 255, int(255 * (1 - (c - 0.5) * 2)))


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A BGR uint8 copy of any gray/BGR/BGRA image."""
    img = to_uint8(np.asarray(image))
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return img.copy()


def _free(spot: tuple[int, int, int, int], taken, own: tuple, image_h: int) -> bool:
    """Is the rectangle inside the image and clear of every rectangle in `taken` but `own`?"""
    x, top, tw, th = spot
    if top < 0 or top + th > image_h:
        return False
    bottom, right = top + th, x + tw
    # (a plain loop: a few dozen rectangles, on every video frame, where numpy's per-call
    # overhead costs more)
    return not any(ox < right and x < ox + ow and oy < bottom and top < oy + oh
                   for ox, oy, ow, oh in taken if (ox, oy, ow, oh) != own)


def label_spots(boxes: list[tuple[int, int, int, int]], sizes: list[tuple[int, int]],
                lines: list[int], image_h: int) -> list[tuple[int, int]]:
    """Where each digit's label goes -> text origins (x, baseline y), one per box.

    A label must cover no other digit's box and no label placed before it (a label put below
    line 1 for want of room above sat on line 2's labels). A line's labels all go above its
    boxes, else all below them, so they read as a row; where neither fits the whole line, each
    goes inside its box's top-left corner."""
    boxes = [tuple(int(v) for v in b) for b in boxes]
    taken = list(boxes)
    spots: list[tuple[int, int] | None] = [None] * len(boxes)
    by_line: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_line.setdefault(line, []).append(i)

    def rect(i: int, where: str) -> tuple[int, int, int, int]:
        x, y, _w, h = boxes[i]
        tw, th = sizes[i]
        return (x, y - 3 - th, tw, th) if where == "above" else (x, y + h + 3, tw, th)

    for members in by_line.values():
        for where in ("above", "below"):
            rects = [rect(i, where) for i in members]
            if all(_free(r, taken + rects[:k], boxes[i], image_h)
                   for k, (i, r) in enumerate(zip(members, rects, strict=True))):
                break
        else:  # neither row fits the whole line: each label inside its box, top left
            rects = [(boxes[i][0] + 2, boxes[i][1] + 2, *sizes[i]) for i in members]
        taken += rects
        for i, (x, top, _tw, th) in zip(members, rects, strict=True):
            spots[i] = (x, top + th)
    return spots


def draw(image: np.ndarray, reading: Reading, show_lines: bool = True) -> np.ndarray:
    """Annotated BGR copy of `image` (the input of `reading`)."""
    out = as_bgr(image)
    h_img, w_img = out.shape[:2]
    thick = max(1, round(min(h_img, w_img) / 400))
    draw_words(out, reading.words, thick)
    if not reading.digits:
        return out
    line_first: dict[int, tuple[int, int, int, int]] = {}  # leftmost box of each line
    line_last: dict[int, tuple[int, int, int, int]] = {}   # ... and rightmost
    scales = [max(0.35, min(2.0, d.box[3] / 40)) for d in reading.digits]
    sizes = [cv2.getTextSize(str(d.label), FONT, scale, thick + 2)[0]
             for d, scale in zip(reading.digits, scales, strict=True)]
    spots = label_spots([d.box for d in reading.digits], sizes,
                        [d.line for d in reading.digits], h_img)
    for d, scale, (tx, ty) in zip(reading.digits, scales, spots, strict=True):
        x, y, w, h = d.box
        colour = confidence_colour(d.confidence)
        cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), colour, thick)
        cv2.putText(out, str(d.label), (tx, ty), FONT, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(out, str(d.label), (tx, ty), FONT, scale, colour, thick, cv2.LINE_AA)
        if d.line not in line_first or x < line_first[d.line][0]:
            line_first[d.line] = d.box
        if d.line not in line_last or x + w > line_last[d.line][0] + line_last[d.line][2]:
            line_last[d.line] = d.box
    if show_lines:
        for line, (x, y, _w, h) in line_first.items():
            scale = max(0.4, min(1.5, h / 50))
            tag = f"L{line + 1}"
            (tw, _), _ = cv2.getTextSize(tag, FONT, scale, thick)
            # left of the line's first digit; where the line starts at the image's edge, right
            # of its last one (a tag drawn over the first digit hid it); a lone line as wide as
            # the image (a cheque amount) goes untagged
            lx, _, lw, _ = line_last[line]
            if x - tw - 6 >= 0:
                px = x - tw - 6
            elif lx + lw + 6 + tw <= w_img:
                px = lx + lw + 6
            elif len(line_first) == 1:
                continue
            else:
                px = 0
            py = y + h // 2 + int(8 * scale)
            cv2.putText(out, tag, (px, py), FONT, scale, (255, 255, 255), thick + 2, cv2.LINE_AA)
            cv2.putText(out, tag, (px, py), FONT, scale, (200, 60, 0), thick, cv2.LINE_AA)
    return out

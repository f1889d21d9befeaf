"""Printed words beside handwritten numbers, and the reading engine's units of them, labelled.

Forms and meters print labels next to where people write ("Date", "Qty", "kWh"); the engine
must not read such a word as digits. This makes the training data of the printed-letter
detector (training/train_letters.py): lines with a printed word (TrueType fonts drawn with
Pillow) before or after a number, handwritten (MNIST *training* digits) or printed; each
unit (stroke component) the engine finds is labelled "letter" when nearly all its ink is the
word's and at least half of it letters no digit looks like (not LOOKALIKES), "not a letter"
when nearly all of it is the number's or no truth's (noise, paper), and left out otherwise. The crops are the engine's own (`PieceBook`, `normalize_digit`).

The benchmark's and evaluate's lines (`realtime.synth.labelled_number`) use other words
(`LABEL_WORDS`) in other fonts (OpenCV's Hershey faces), so they measure what was not trained.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from realtime import reader as rd
from realtime.synth import LABEL_WORDS, digit_glyph, paste_max
from training.mine_pieces import engine_components

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"),
             Path("/usr/share/fonts/truetype/liberation2"))
# Label words of forms, meters and price tags; none of them is in realtime.synth.LABEL_WORDS
# (checked in tests). Random strings of letters are drawn too, so that it learns letters, not words.
TRAIN_WORDS = ("Date", "Name", "Price", "Qty", "Units", "Volt", "Meter", "Reading", "Serial",
               "Code", "Page", "Floor", "Phone", "Order", "Invoice", "Balance", "Paid", "Due",
               "Hours", "Gas", "Water", "Liter", "Speed", "Temp", "Height", "Width", "Depth",
               "Cost", "Tax", "Sub", "Box", "Lot", "Batch", "Model", "Type", "Level", "Zone",
               "Area", "Bay", "Seat", "Gate", "Line", "Step", "Day", "Month", "Year", "Age",
               "Size", "kg", "cm", "mm", "psi", "bar", "rpm", "Hz", "kVA", "USD", "GBP", "Pay",
               "Account", "Client", "Station", "Desk", "Unit", "Cash", "Card", "Change", "Time",
               "Start", "End", "Kcal", "Pulse", "Dose", "Lab", "Test", "Score", "Grade", "Class")
P_RANDOM_WORD = 0.35      # a random string of letters instead of a word
P_PRINTED_NUMBER = 0.25   # the number printed in a font too (a meter's or a form's figures)
P_TOUCHING = 0.3          # handwritten digits written touching (units of two digits: not letters)
# A form's printed sentence instead of one word (2-5 words of TRAIN_WORDS), and small print
# (SMALL_TEXT_H px, whose letters run together into blobs) instead of text about as tall as the
# number. Off (0: no extra random draws, the committed model's lines). Tried 2026-12-05 at 0.3
# each ("E", 8.5 min): printed forms 5000-5299 78.7 -> 81.0 %, but 2 right pages of the 2,400
# fresh handwritten ones lost a group to a single "letter" among unsure digits (none with the
# committed model), and the check forms 10000-10199 read 78.0 -> 77.5 % (CER 8.7 -> 7.5 %):
# not kept (docs/engine-history.md).
P_SENTENCE = 0.0
SENTENCE_WORDS = (2, 6)   # [low, high) words
P_SMALL_TEXT = 0.0
SMALL_TEXT_H = (9, 19)    # [low, high) px
# Letters that look like some handwritten digit or part of one (o/O/D/Q: 0; I/l/i/j/J/L/T: 1 and
# 7; Z/z: 2; S/s: 5; b/G: 6; B: 8; g/q/a/P: 9; r: a flagged 1; C/c/U/u/Y/y/t/f/d/p/h: open or
# partial digits; the set training/nondigits.py leaves out of its letters). A unit made mostly of
# them is left out of training: called a letter, a handwritten 0, 5 or 1 would be too.
LOOKALIKES = set("oODQIlijJLTZzSsbGBgqaPrCcUuYytfdph")
LETTER_SHARE = 0.8        # a unit with at least this share of its ink the word's ...
CLEAR_LETTER_SHARE = 0.5  # ... and this share of letters no digit looks like: a letter
OTHER_SHARE = 0.8         # at least this share the number's or no truth's: not a letter
LETTER, NOT_LETTER, UNCLEAR = 1, 0, -1


@lru_cache(maxsize=1)
def font_files() -> tuple[Path, ...]:
    """The TrueType fonts training draws words with (sorted; may be empty)."""
    return tuple(sorted(p for d in FONT_DIRS if d.is_dir() for p in d.glob("*.ttf")
                        if "Math" not in p.name))  # (a maths font: letters as symbols)


@lru_cache(maxsize=256)
def _font(path: str, size: int):
    from PIL import ImageFont
    if not path:  # no TrueType fonts installed: Pillow's own (Aileron, Pillow >= 10.1)
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)


def draw_text(text: str, font_path: str, height: int) -> tuple[np.ndarray, np.ndarray]:
    """`text` in white on black, cap height about `height` px, cropped to its ink -> (float
    0..1 ink, the ink of its LOOKALIKES letters alone), each character drawn at its advance."""
    from PIL import Image, ImageDraw
    font = _font(font_path, max(6, int(round(height * 1.4))))
    x0, y0, x1, y1 = font.getbbox(text)
    size = (x1 - x0 + 8, y1 - y0 + 8)
    ink = np.zeros(size[::-1], np.float32)
    lookalike = np.zeros_like(ink)
    for i, ch in enumerate(text):
        canvas = Image.new("L", size, 0)
        ImageDraw.Draw(canvas).text((4 - x0 + font.getlength(text[:i]), 4 - y0), ch, font=font,
                                    fill=255)
        layer = np.asarray(canvas, np.float32) / 255.0
        np.maximum(ink, layer, out=ink)
        if ch in LOOKALIKES:
            np.maximum(lookalike, layer, out=lookalike)
    ys, xs = np.nonzero(ink > 0.1)
    if not len(xs):
        return np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32)
    box = np.s_[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    return ink[box], lookalike[box]


def random_word(rng: np.random.Generator) -> str:
    if rng.random() < P_RANDOM_WORD:
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return "".join(rng.choice(list(letters), int(rng.integers(2, 8))))
    word = str(TRAIN_WORDS[rng.integers(len(TRAIN_WORDS))])
    case = rng.random()
    return word.upper() if case < 0.2 else word.lower() if case < 0.35 else word


def random_text(rng: np.random.Generator) -> str:
    """A word (random_word) or, one time in 1 / P_SENTENCE, a sentence of form words."""
    if not (P_SENTENCE and rng.random() < P_SENTENCE):
        return random_word(rng)
    words = [str(TRAIN_WORDS[i]).lower()
             for i in rng.integers(len(TRAIN_WORDS), size=int(rng.integers(*SENTENCE_WORDS)))]
    words[0] = words[0].capitalize()
    return " ".join(words)


def text_height(rng: np.random.Generator, digit_h: int) -> int:
    """The printed text's cap height: small print one time in 1 / P_SMALL_TEXT, else about the
    number's height."""
    if P_SMALL_TEXT and rng.random() < P_SMALL_TEXT:
        return int(rng.integers(*SMALL_TEXT_H))
    return int(digit_h * rng.uniform(0.6, 1.1))


def word_line(rng: np.random.Generator, source) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """One line: a printed word before or after a number -> (gray uint8 image, word ink map,
    the word's LOOKALIKES ink, number ink map) (float 0..1, the image's size). `source`: MNIST
    digits (see realtime.synth.by_label_index); never the test set."""
    fonts = font_files()
    font = str(fonts[rng.integers(len(fonts))]) if fonts else ""
    h, w = 240, 1100
    digit_h = int(rng.integers(18, 80))
    word, word_lookalike = draw_text(random_text(rng), font, text_height(rng, digit_h))
    labels = [int(d) for d in rng.integers(0, 10, int(rng.integers(1, 7)))]
    if rng.random() < P_PRINTED_NUMBER:
        digits = [draw_text("".join(map(str, labels)), font, digit_h)[0]]
    else:
        digits = [digit_glyph(rng, label, digit_h, source) for label in labels]
    touching = rng.random() < P_TOUCHING
    word_ink = np.zeros((h, w), np.float32)
    lookalike_ink = np.zeros((h, w), np.float32)
    number_ink = np.zeros((h, w), np.float32)
    base = int(rng.integers(digit_h + 20, h - 20))

    def put_word(x: int) -> int:
        if word.shape[1] + x < w:
            paste_max(word_ink, word, x, base - word.shape[0])
            paste_max(lookalike_ink, word_lookalike, x, base - word.shape[0])
        return x + word.shape[1]

    def put_number(x: int) -> int:
        for glyph in digits:
            if glyph.shape[1] + x < w:
                paste_max(number_ink, glyph, x, base - glyph.shape[0])
            step = (-int(rng.integers(0, max(1, digit_h // 8))) if touching
                    else int(rng.integers(digit_h // 8, digit_h // 3)))
            x += glyph.shape[1] + step
        return x

    gap = int(rng.integers(digit_h // 3, 2 * digit_h))
    if rng.random() < 0.6:
        put_number(put_word(int(rng.integers(10, 80))) + gap)
    else:
        put_word(put_number(int(rng.integers(10, 80))) + gap)
    angle = float(rng.uniform(-6, 6))
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    word_ink = cv2.warpAffine(word_ink, turn, (w, h))
    lookalike_ink = cv2.warpAffine(lookalike_ink, turn, (w, h))
    number_ink = cv2.warpAffine(number_ink, turn, (w, h))
    ink = np.maximum(word_ink, number_ink)
    paper = float(rng.uniform(150, 250))
    shade = np.linspace(0, 1, w, dtype=np.float32)[None, :] * float(rng.uniform(-60, 20))
    img = (paper + shade) * (1 - ink) + float(rng.uniform(10, 90)) * ink
    img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.3, 1.6)))
    img = img + rng.normal(0, float(rng.uniform(1, 10)), img.shape)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 90))])
        out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else out
    return out, word_ink, lookalike_ink, number_ink


def engine_units(image: np.ndarray):
    """The engine's units of `image` (whole stroke components, as a line's plan holds them) ->
    (crops N x 28 x 28 uint8, component masks as (x, y, bool box mask) in working px, scale)."""
    found = engine_components(image)
    crops, masks, scale = [], [], 1.0
    if found is not None:
        reader, comps, contrast, scale = found
        book, plans, _, _ = reader._plan_lines(comps, rd._Clock({}), contrast=contrast)
        for plan in plans:
            for u, piece in zip(plan.units, plan.single, strict=True):
                if piece is None or book.pieces[piece].crop is None:
                    continue
                x, y = (int(v) for v in comps.boxes[u, :2])
                crops.append(book.pieces[piece].crop)
                masks.append((x, y, comps.own_mask(u)))
    stacked = np.stack(crops) if crops else np.zeros((0, 28, 28), np.uint8)
    return stacked, masks, scale


def label_units(masks, word_ink: np.ndarray, lookalike_ink: np.ndarray, number_ink: np.ndarray,
                scale: float) -> np.ndarray:
    """LETTER / NOT_LETTER / UNCLEAR per unit, from the truth ink maps (input px, float)."""
    grow = np.ones((5, 5), np.uint8)  # the engine's strokes are bolder than the truth's

    def region(ink):
        if scale != 1.0:
            size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
            ink = cv2.resize(ink, size, interpolation=cv2.INTER_AREA)
        return cv2.dilate((ink > 0.2).astype(np.uint8), grow) > 0

    is_word, is_number = region(word_ink), region(number_ink)
    is_lookalike = region(lookalike_ink)
    out = np.full(len(masks), UNCLEAR, np.int64)
    for i, (x, y, mask) in enumerate(masks):
        h, w = mask.shape
        box = np.s_[y:y + h, x:x + w]
        n = mask.sum()
        word = is_word[box][mask] & ~is_number[box][mask]
        words = np.count_nonzero(word)
        clear = np.count_nonzero(word & ~is_lookalike[box][mask])
        if words >= LETTER_SHARE * n:
            out[i] = LETTER if clear >= CLEAR_LETTER_SHARE * n else UNCLEAR
        elif n - words >= OTHER_SHARE * n:
            out[i] = NOT_LETTER
    return out


def mine_word_lines(seeds, source) -> tuple[np.ndarray, np.ndarray]:
    """(crops, LETTER / NOT_LETTER labels) of the clearly labelled units of word lines."""
    xs, ys = [], []
    for seed in seeds:
        rng = np.random.default_rng([int(seed), 20261206])
        image, word_ink, lookalike_ink, number_ink = word_line(rng, source)
        crops, masks, scale = engine_units(image)
        labels = label_units(masks, word_ink, lookalike_ink, number_ink, scale)
        keep = labels != UNCLEAR
        xs.append(crops[keep])
        ys.append(labels[keep])
    return _stack(xs, ys)


def mine_other_units(images) -> tuple[np.ndarray, np.ndarray]:
    """(crops, NOT_LETTER labels) of every unit of images without printed words (handwritten
    cheques, synthetic pages of handwritten digits)."""
    xs = [engine_units(image)[0] for image in images]
    crops = np.concatenate(xs) if xs else np.zeros((0, 28, 28), np.uint8)
    return crops, np.full(len(crops), NOT_LETTER, np.int64)


def _stack(xs, ys) -> tuple[np.ndarray, np.ndarray]:
    if not xs:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    return np.concatenate(xs).reshape(-1, 28, 28).astype(np.uint8), np.concatenate(ys)


def disjoint_from_benchmark() -> bool:
    """No training word is one of the benchmark's label words (case-insensitively)."""
    return not ({w.lower() for w in TRAIN_WORDS} & {w.lower() for w in LABEL_WORDS})

"""Helpers for the engine tests: the shared reader and clean rendered numbers."""
from __future__ import annotations

import functools
import threading

import cv2
import numpy as np

from realtime.synth import digit_glyph, paste_max


@functools.lru_cache(maxsize=1)
def real_reader():
    """The engine with the committed model (one instance for all tests)."""
    from realtime.reader import DigitReader

    return DigitReader()


def render_number(text: str, height: int = 48, seed: int = 0, gap: float = 0.25,
                  touching: tuple[int, ...] = (), canvas: tuple[int, int] | None = None,
                  origin: tuple[int, int] | None = None, ink: np.ndarray | None = None) -> np.ndarray:
    """Ink alpha (float 0..1) of `text` written with MNIST test digits; ' ' is a wide gap, '.'
    a full stop. `touching` lists indices i where digit i and i+1 overlap so they touch."""
    rng = np.random.default_rng(seed)
    width = int(len(text) * height * 1.3 + 2 * height)
    H, W = canvas if canvas else (int(height * 2.2), width)
    out = ink if ink is not None else np.zeros((H, W), np.float32)
    x, base = origin if origin else (height // 2, int(height * 1.5))
    digit_index = 0
    prev_was_digit = False
    for ch in text:
        if ch == " ":
            x += int(1.3 * height)
            prev_was_digit = False
            continue
        if ch == ".":
            r = max(2, height // 12)
            cv2.circle(out, (x + r + 2, base - r), r, 1.0, -1, cv2.LINE_AA)
            x += 2 * r + int(0.15 * height)
            prev_was_digit = False
            continue
        if prev_was_digit and digit_index - 1 in touching:
            x -= int((gap + 0.08) * height)
        glyph = digit_glyph(rng, int(ch), height)
        paste_max(out, glyph, x, base - glyph.shape[0])
        x += glyph.shape[1] + int(gap * height)
        digit_index += 1
        prev_was_digit = True
    return out


def render_separated(text: str, height: int = 48, seed: int = 0, lean_deg: float = 30.0,
                     bow: float = 0.15) -> np.ndarray:
    """Ink alpha of `text` written with MNIST test digits and drawn separators: "/" a straight
    slash leaning `lean_deg` from upright, "(" and ")" arcs bowed `bow` x their height, "+" two
    strokes 0.6 x the height crossing on the line's middle (the bar turned `lean_deg` / 10), ' '
    a wide gap."""
    rng = np.random.default_rng(seed)
    out = np.zeros((int(height * 3), int(len(text) * height * 1.1 + 3 * height)), np.float32)
    x, base = height, 2 * height
    thick = max(2, round(0.09 * height))
    for ch in text:
        if ch.isdigit():
            glyph = digit_glyph(rng, int(ch), height)
            paste_max(out, glyph, x, base - glyph.shape[0])
            x += glyph.shape[1] + int(0.2 * height)
        elif ch == "/":
            tall = 1.1 * height
            dx = tall * np.tan(np.radians(lean_deg))
            top = base - height - 0.05 * height
            cv2.line(out, (x, round(top + tall)), (round(x + dx), round(top)), 1.0, thick,
                     cv2.LINE_AA)
            x += round(dx + 0.2 * height)
        elif ch in "()":
            tall = 1.2 * height
            u = np.linspace(-1, 1, 13)
            arc = bow * tall * (1 - u ** 2)  # 0 at its ends, `bow` x its height at its middle
            xs = x + (arc if ch == ")" else bow * tall - arc)
            ys = base - height / 2 + u * tall / 2
            points = np.round(np.stack([xs, ys], 1) * 4).astype(np.int32)
            cv2.polylines(out, [points], False, 1.0, thick, cv2.LINE_AA, shift=2)
            x += round(bow * tall + 0.2 * height)
        elif ch == "+":
            arm = 0.3 * height
            cx, cy = x + arm, base - height / 2
            turn = np.tan(np.radians(lean_deg / 10))
            cv2.line(out, (round(cx - arm), round(cy + turn * arm)),
                     (round(cx + arm), round(cy - turn * arm)), 1.0, thick, cv2.LINE_AA)
            cv2.line(out, (round(cx - turn * arm), round(cy - arm)),
                     (round(cx + turn * arm), round(cy + arm)), 1.0, thick, cv2.LINE_AA)
            x += round(2 * arm + 0.25 * height)
        elif ch == " ":
            x += height
    return out


def on_paper(ink: np.ndarray, paper: int = 235, pen: int = 30) -> np.ndarray:
    """Ink alpha -> gray uint8 photo-like page (dark pen on light paper)."""
    return np.clip(paper * (1 - ink) + pen * ink, 0, 255).astype(np.uint8)


def run_in_threads(work, n: int) -> list[Exception]:
    """work(k) for k in range(n), each in its own thread, all at once -> what they raised."""
    errors: list[Exception] = []

    def guarded(k):
        try:
            work(k)
        except Exception as e:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


class AnswerReader:
    """A stand-in reader that reads each image as a fixed answer for it: its lines, or one
    string as a single line (for testing the scoring of evaluate's runners)."""

    def __init__(self, answers: dict[bytes, str | list[str]]):
        self.answers = answers

    def read(self, image):
        from realtime.reading import Reading

        answer = self.answers[image.tobytes()]
        return Reading(lines=[answer] if isinstance(answer, str) else list(answer))

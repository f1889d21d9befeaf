"""Command line: `python -m realtime read IMAGE... [--json] [--annotate DIR] [--crop x,y,w,h]`.

Prints each image's lines (or, with --json, one JSON object per image on one line). A file that
cannot be read gets one line on stderr naming it and the reason; the others are still read, and
the exit code is 1 when any failed (2 for bad arguments or an unusable model).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path


def parse_crop(text: str) -> tuple[int, int, int, int]:
    """'x,y,w,h' -> ints (w, h > 0, x, y >= 0)."""
    try:
        x, y, w, h = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--crop wants x,y,w,h integers, got {text!r}") from None
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        raise argparse.ArgumentTypeError(f"--crop wants x,y >= 0 and w,h > 0, got {text!r}")
    return x, y, w, h


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m realtime",
                                 description="Read handwritten digits in images, line by line.")
    sub = ap.add_subparsers(dest="command", required=True)
    rd = sub.add_parser("read", help="read the digits in image files")
    rd.add_argument("images", nargs="+", metavar="IMAGE")
    rd.add_argument("--json", action="store_true", help="one JSON object per image per line")
    rd.add_argument("--annotate", metavar="DIR", help="write an annotated copy of each image here")
    rd.add_argument("--crop", type=parse_crop, metavar="x,y,w,h", help="read only this region")
    rd.add_argument("--model", default=None, help="model path (default: the committed model)")
    rd.add_argument("--min-confidence", type=float, default=None)
    return ap


def load(path: str):
    """File -> BGR ndarray, or raise ValueError/OSError with a one-line reason."""
    from realtime.imageio import load_image

    return load_image(path)


def crop_image(image, crop):
    x, y, w, h = crop
    H, W = image.shape[:2]
    if x >= W or y >= H:
        raise ValueError(f"crop {x},{y},{w},{h} is outside the {W}x{H} image")
    return image[y:min(H, y + h), x:min(W, x + w)]


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence what native code writes to fd 2 (LiteRT's "Created TensorFlow Lite XNNPACK
    delegate" banner), so that stderr holds only our one line per bad file."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded / captured): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def read_command(args) -> int:
    import cv2
    import numpy as np

    from realtime.classifier import ModelLoadError
    from realtime.overlay import draw
    from realtime.reader import DigitReader

    settings = {}
    if args.min_confidence is not None:
        settings["min_confidence"] = args.min_confidence
    try:
        with quiet_native_stderr():
            reader = DigitReader(args.model, **settings)
            reader.read(np.zeros((8, 8), np.uint8))  # some runtimes log on the first invoke
    except ModelLoadError as e:  # missing/corrupt model: one line at start-up, no traceback
        print(f"error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    out_dir = Path(args.annotate) if args.annotate else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in args.images:
        try:
            image = load(name)
            if args.crop:
                image = crop_image(image, args.crop)
            reading = reader.read(image)
        except (OSError, ValueError) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            if name not in msg:
                msg = f"{name}: {msg}"
            print(msg, file=sys.stderr)
            failed += 1
            continue
        if args.json:
            print(json.dumps({"file": name, **reading.to_dict()}), flush=True)
        else:
            text = "\n".join(reading.lines) if reading.lines else "(no digits)"
            print(f"{name}:\n{text}" if len(args.images) > 1 else text, flush=True)
        if out_dir is not None:
            target = out_dir / (Path(name).stem + ".annotated.png")
            cv2.imwrite(str(target), draw(image, reading))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "read":
        return read_command(args)
    return 2

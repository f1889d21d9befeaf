"""Command line: `python -m realtime read IMAGE... [--json] [--annotate DIR] [--crop x,y,w,h]`.

An IMAGE may be a folder: the image files directly in it are read, in name order. Prints each
image's lines (or, with --json, one JSON object per image on one line). A file that
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


def parse_confidence(text: str) -> float:
    """A probability in [0, 1]: anything else would silently read nothing (or everything)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"wants a number between 0 and 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m realtime",
                                 description="Read handwritten digits in images, line by line.")
    sub = ap.add_subparsers(dest="command", required=True)
    rd = sub.add_parser("read", help="read the digits in image files")
    rd.add_argument("images", nargs="+", metavar="IMAGE",
                    help="image files, or folders: the image files directly in each")
    rd.add_argument("--json", action="store_true", help="one JSON object per image per line")
    rd.add_argument("--annotate", metavar="DIR", help="write an annotated copy of each image here")
    rd.add_argument("--crop", type=parse_crop, metavar="x,y,w,h", help="read only this region")
    rd.add_argument("--model", default=None, help="model path (default: the committed model)")
    rd.add_argument("--min-confidence", type=parse_confidence, default=None, metavar="P",
                    help="drop digits read with a confidence below P (0-1)")
    rd.add_argument("--keep-words", action="store_true",
                    help="read printed words as digits too (by default printed words, like a "
                         "form's labels and sentences, are left out)")
    rd.add_argument("--read-once", action="store_true",
                    help="read small writing once (by default a small line with a digit in doubt "
                         "is read again twice as large: more often right, up to ~3x the time)")
    return ap


def load(path: str):
    """File -> BGR ndarray, or raise ValueError/OSError with a one-line reason."""
    from realtime.imageio import load_image

    return load_image(path)


def expand_inputs(names: list[str]) -> list[tuple[str, str]]:
    """Command-line inputs -> what to do, in order: ("file", path) to read, ("note", line) or
    ("error", line) for stderr. A folder stands for the image files directly in it (by
    extension, in name order); its other entries are named in a note, not read; a folder
    without image files is an error. Anything else is passed on as a file (the loader reports
    what is wrong with it)."""
    from realtime.imageio import UPLOAD_EXTENSIONS

    out: list[tuple[str, str]] = []
    for name in names:
        folder = Path(name)
        if not folder.is_dir():
            out.append(("file", name))
            continue
        try:
            entries = sorted(folder.iterdir())
        except OSError as e:
            out.append(("error", f"{name}: cannot list this folder: {e.strerror or e}"))
            continue
        images = [e for e in entries
                  if e.is_file() and e.suffix.lower().lstrip(".") in UPLOAD_EXTENSIONS]
        if not images:
            out.append(("error", f"{name}: no image files in this folder "
                                 f"({', '.join(UPLOAD_EXTENSIONS)})"))
            continue
        others = [e.name for e in entries if e not in images]
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            out.append(("note", f"{name}: {len(others)} entries not read (not image files): "
                                f"{shown}"))
        out += [("file", str(e)) for e in images]
    return out


def annotation_paths(names: list[str], out_dir: Path) -> dict[str, Path]:
    """One output file per input, never two inputs on one output (a/1.png and b/1.png)."""
    paths, used = {}, set()
    for name in names:
        stem = Path(name).stem or "image"
        target, n = out_dir / f"{stem}.annotated.png", 2
        while target in used:
            target, n = out_dir / f"{stem}-{n}.annotated.png", n + 1
        used.add(target)
        paths[name] = target
    return paths


def crop_image(image, crop):
    x, y, w, h = crop
    H, W = image.shape[:2]
    if x >= W or y >= H:
        raise ValueError(f"crop {x},{y},{w},{h} is outside the {W}x{H} image")
    return image[y:min(H, y + h), x:min(W, x + w)]


def write_png(path: Path, image) -> bool:
    """cv2.imwrite reports failure by returning False (or raising on odd paths): one bool."""
    import cv2
    try:
        return bool(cv2.imwrite(str(path), image))
    except cv2.error:
        return False


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
    import numpy as np

    from realtime.classifier import ModelLoadError
    from realtime.overlay import draw
    from realtime.reader import DigitReader

    settings = {}
    if args.min_confidence is not None:
        settings["min_confidence"] = args.min_confidence
    if args.keep_words:
        settings["drop_words"] = False
    if args.read_once:
        settings["reread_small"] = False
    try:
        with quiet_native_stderr():
            reader = DigitReader(args.model, **settings)
            reader.read(np.zeros((8, 8), np.uint8))  # some runtimes log on the first invoke
    except ModelLoadError as e:  # missing/corrupt model: one line at start-up, no traceback
        print(f"error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    todo = expand_inputs(args.images)
    names = [what for kind, what in todo if kind == "file"]
    # each reading under its file's name when there may be more than one
    headed = len(args.images) > 1 or names != args.images
    out_dir = Path(args.annotate) if args.annotate else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            print(f"error: cannot write annotated images to {out_dir}: {e.strerror or e}",
                  file=sys.stderr)
            return 2
        targets = annotation_paths(names, out_dir)
    failed = 0
    for kind, what in todo:
        if kind != "file":  # a note or an error about a folder: one line
            print(what, file=sys.stderr)
            failed += kind == "error"
            continue
        name = what
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
            print(f"{name}:\n{text}" if headed else text, flush=True)
        if out_dir is not None and not write_png(targets[name], draw(image, reading)):
            print(f"{name}: could not write the annotated copy {targets[name]}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "read":
        return read_command(args)
    return 2

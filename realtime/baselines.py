"""What people would use instead of our engine, measured side by side in `realtime.bench`.

- `NaiveReader`: the pipeline of typical digit-recognition tutorials and apps (Gaussian blur,
  global Otsu, external contours, each box squashed to 28x28 without keeping its aspect, rows by
  `y // 50`), fed to OUR classifier, so that the difference to `DigitReader` is what the engine's
  binarization, segmentation, normalization and line grouping add.
- `TesseractReader`: Tesseract 5 through its command line (no pytesseract), digits whitelist.

Both return the same `Reading` as `DigitReader.read`, so one scorer serves all three.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from realtime.reading import Digit, Reading

NAIVE_ROW_HEIGHT = 50  # px: the `y // 50` row rule of the tutorials
NAIVE_MIN_AREA = 30  # px^2: tutorials drop specks smaller than this
REJECT = -1
TESSERACT = "/usr/bin/tesseract"
DIGITS_WHITELIST = "0123456789"


def to_gray(image: np.ndarray) -> np.ndarray:
    """Gray, BGR or BGRA uint8 -> gray uint8."""
    image = np.asarray(image)
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"expected a gray, BGR or BGRA image, got shape {image.shape}")


# --- (a) the naive pipeline -------------------------------------------------------------------

def naive_binarize(gray: np.ndarray) -> np.ndarray:
    """Gaussian blur then one global Otsu threshold; dark ink becomes white (255)."""
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    _, ink = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return ink


def naive_boxes(ink: np.ndarray, min_area: int = NAIVE_MIN_AREA) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x, y, w, h) of the external contours, specks dropped."""
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = [tuple(int(v) for v in cv2.boundingRect(c)) for c in contours]
    return [b for b in boxes if b[2] * b[3] >= min_area]


def naive_crops(ink: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Each box squashed to 28x28, aspect ratio NOT kept (as the tutorials do)."""
    if not boxes:
        return np.zeros((0, 28, 28), np.uint8)
    return np.stack([cv2.resize(ink[y:y + h, x:x + w], (28, 28), interpolation=cv2.INTER_AREA)
                     for x, y, w, h in boxes])


def naive_rows(boxes: list[tuple[int, int, int, int]], row_height: int = NAIVE_ROW_HEIGHT) -> list[int]:
    """Row index of each box by the tutorials' rule: top y // row_height."""
    return [y // row_height for _, y, _, _ in boxes]


def assemble_reading(boxes, labels, confidences, rows, image_size, timings_ms) -> Reading:
    """Boxes with labels and row keys -> Reading (rows top to bottom, boxes left to right)."""
    kept = [(r, b[0], b, int(lab), float(c))
            for b, lab, c, r in zip(boxes, labels, confidences, rows, strict=True) if int(lab) != REJECT]
    kept.sort(key=lambda t: (t[0], t[1]))
    row_keys = sorted({t[0] for t in kept})
    line_of = {key: i for i, key in enumerate(row_keys)}
    digits = [Digit(label=lab, confidence=conf, box=box, line=line_of[r])
              for r, _, box, lab, conf in kept]
    lines = ["".join(str(d.label) for d in digits if d.line == i) for i in range(len(row_keys))]
    return Reading(lines=lines, digits=digits, timings_ms=timings_ms, image_size=image_size)


class NaiveReader:
    """The typical-app pipeline with our classifier; `.read(image) -> Reading` like DigitReader."""

    def __init__(self, classifier):
        self.classifier = classifier

    def read(self, image: np.ndarray) -> Reading:
        t0 = time.perf_counter()
        gray = to_gray(image)
        ink = naive_binarize(gray)
        t1 = time.perf_counter()
        boxes = naive_boxes(ink)
        crops = naive_crops(ink, boxes)
        t2 = time.perf_counter()
        if len(crops):
            labels, confidences = self.classifier.classify(crops)
        else:
            labels, confidences = np.zeros(0, np.int64), np.zeros(0, np.float32)
        t3 = time.perf_counter()
        reading = assemble_reading(boxes, labels, confidences, naive_rows(boxes),
                                   (gray.shape[1], gray.shape[0]), {})
        t4 = time.perf_counter()
        reading.timings_ms = {"binarize": 1e3 * (t1 - t0), "segment": 1e3 * (t2 - t1),
                              "classify": 1e3 * (t3 - t2), "lines": 1e3 * (t4 - t3),
                              "total": 1e3 * (t4 - t0)}
        return reading


# --- (b) Tesseract ----------------------------------------------------------------------------

def tesseract_path() -> str | None:
    """The tesseract binary (Debian's /usr/bin/tesseract, else PATH), or None if not installed."""
    if Path(TESSERACT).exists():
        return TESSERACT
    return shutil.which("tesseract")


def tesseract_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0] if first else "tesseract (unknown version)"


def parse_tesseract_page(text: str) -> list[str]:
    """Tesseract's text for one page -> our lines: digits only, spaces kept inside, blanks dropped."""
    lines = []
    for raw in text.splitlines():
        kept = "".join(ch for ch in raw if ch.isdigit() or ch == " ")
        kept = " ".join(kept.split())
        if kept:
            lines.append(kept)
    return lines


def split_tesseract_pages(text: str, n_pages: int) -> list[list[str]]:
    """Output of one multi-page run (pages separated by form feeds) -> lines per page."""
    pages = text.split("\f")
    if len(pages) == n_pages + 1 and not pages[-1].strip():
        pages = pages[:-1]  # some versions end the last page with a form feed too
    if len(pages) != n_pages:
        raise RuntimeError(f"tesseract returned {len(pages)} pages for {n_pages} images")
    return [parse_tesseract_page(p) for p in pages]


def children_cpu_s() -> float:
    """User + system CPU seconds of this process's finished child processes."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tesseract_command(binary: str, list_file: str, psm: int) -> list[str]:
    return [binary, list_file, "stdout", "--psm", str(psm),
            "-c", f"tessedit_char_whitelist={DIGITS_WHITELIST}"]


class TesseractReader:
    """Tesseract 5 as a digit reader. `read_many` runs ONE process for a list of images (page
    separators split the output), so model loading is paid once, as a batch user would; the time
    per image is that run's wall time over the number of images."""

    def __init__(self, psm: int = 6, binary: str | None = None, threads: int = 1):
        self.binary = binary or tesseract_path()
        if self.binary is None:
            raise FileNotFoundError("tesseract is not installed (Debian: apt-get install tesseract-ocr)")
        self.psm = psm
        self.last_cpu_s = 0.0
        # one core, like our classifier's single thread, so the time ratio compares like with like
        self.env = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}

    def read_many(self, images: list[np.ndarray]) -> tuple[list[Reading], float]:
        """Images -> (Readings, wall seconds for the whole batch, including writing the PNGs).
        `self.last_cpu_s` is the CPU seconds of the batch: tesseract's own plus the PNG writing."""
        if not images:
            return [], 0.0
        with tempfile.TemporaryDirectory() as tmp:
            t0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu_s()
            paths = []
            for i, image in enumerate(images):
                path = os.path.join(tmp, f"{i:06d}.png")
                cv2.imwrite(path, image)
                paths.append(path)
            list_file = os.path.join(tmp, "images.txt")
            Path(list_file).write_text("\n".join(paths) + "\n")
            out = subprocess.run(tesseract_command(self.binary, list_file, self.psm),
                                 capture_output=True, text=True, env=self.env, timeout=3600)
            elapsed = time.perf_counter() - t0
            self.last_cpu_s = (time.process_time() - c0) + (children_cpu_s() - k0)
        if out.returncode != 0:
            raise RuntimeError(f"tesseract failed ({out.returncode}): {out.stderr.strip()[-300:]}")
        per_ms = 1e3 * elapsed / len(images)
        readings = [Reading(lines=lines, digits=[], timings_ms={"total": per_ms},
                            image_size=(im.shape[1], im.shape[0]))
                    for lines, im in zip(split_tesseract_pages(out.stdout, len(images)), images, strict=True)]
        return readings, elapsed

    def read(self, image: np.ndarray) -> Reading:
        readings, _ = self.read_many([image])
        return readings[0]

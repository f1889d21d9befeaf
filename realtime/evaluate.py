"""Score a reader: exact match, character error rate and line count on real and synthetic images.

ORAND-CAR-A (real bank-check amounts), synthetic camera pages, numbers beside printed words and
photographed forms;
the character error rate is the edit distance over the truth's characters.

    python -m realtime.evaluate --orand --synth 200        # prints the numbers
    python -m realtime.evaluate --words 200                # numbers beside printed words
    python -m realtime.evaluate --forms 200                # numbers on printed forms
    python -m realtime.evaluate --signs 200                # numbers with a hand-drawn %, #, ° or €
    python -m realtime.evaluate --signs 200 --spaced       # ... a space away: "25 %", "€ 25"
    python -m realtime.evaluate --signs 200 --sign £       # ... one sign only (the pound sign: only so)
    python -m realtime.evaluate --times 200                # two numbers with an x between: "3x4"
    python -m realtime.evaluate --times 200 --times-where before   # ... an x before one: "x3"

Reusable pieces: `edit_distance`, `Score` (accumulates exact / CER / line count), and the runners
`evaluate_pages(reader, make, ...)` (pages of any maker), `evaluate_orand(reader, dir)`,
`evaluate_synth(reader, n, seed)`, `evaluate_labelled(reader, n, seed)`, `evaluate_forms(reader,
n, seed)`, `evaluate_signs(reader, n, seed)` and `evaluate_times(reader, n, seed)`, which return
a `Result`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ORAND = ROOT.parent / "shared" / "datasets" / "orand-car-a"


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass
class Score:
    """Running totals over (predicted, truth) pairs of line lists."""

    n: int = 0
    exact: int = 0
    edits: int = 0
    chars: int = 0
    line_count_ok: int = 0

    def add(self, predicted: list[str], truth: list[str]) -> bool:
        """Add one item; returns whether it was read exactly."""
        p, t = "\n".join(predicted), "\n".join(truth)
        self.n += 1
        ok = p == t
        self.exact += ok
        self.edits += edit_distance(p, t)
        self.chars += max(1, len(t))
        self.line_count_ok += len(predicted) == len(truth)
        return ok

    @property
    def exact_rate(self) -> float:
        return self.exact / self.n if self.n else 0.0

    @property
    def cer(self) -> float:
        """Character error rate: total edits / total truth characters."""
        return self.edits / self.chars if self.chars else 0.0

    @property
    def line_count_rate(self) -> float:
        return self.line_count_ok / self.n if self.n else 0.0

    def as_dict(self) -> dict:
        return {"n": self.n, "exact": round(self.exact_rate, 4), "cer": round(self.cer, 4),
                "line_count": round(self.line_count_rate, 4)}


@dataclass
class Result:
    name: str
    score: Score
    times_ms: list[float] = field(default_factory=list)
    errors: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # (id, truth, read)

    @property
    def median_ms(self) -> float:
        return float(np.median(self.times_ms)) if self.times_ms else 0.0

    def summary(self) -> str:
        s = self.score
        return (f"{self.name}: n={s.n} exact={s.exact_rate:.1%} CER={s.cer:.2%} "
                f"line-count={s.line_count_rate:.1%} median={self.median_ms:.1f} ms")


def _progress(items, desc: str, total: int | None = None, show: bool = True):
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, file=sys.stderr, leave=False)


ORAND_SPLITS = ("heldout", "train", "all")


def orand_items(orand_dir: Path | str = DEFAULT_ORAND, limit: int | None = None,
                split: str = "heldout"):
    """(image path, truth digits string) for ORAND-CAR-A, in file order.

    The classifier trains on 80 % of the ORAND images (training/orand.py, split by image with a
    fixed seed); `split="heldout"` (the default) gives the other 20 %, the honest test set.
    """
    if split not in ORAND_SPLITS:
        raise ValueError(f"split must be one of {ORAND_SPLITS}, got {split!r}")
    orand_dir = Path(orand_dir)
    with open(orand_dir / "labels.jsonl") as f:
        records = [json.loads(line) for line in f if line.strip()]
    if split != "all":
        from training.orand import split_by_image

        train, heldout = split_by_image(records)
        records = heldout if split == "heldout" else train
    items = [(orand_dir / rec["file"], rec["text"]) for rec in records]
    return items[:limit] if limit else items


def _score_one_string(reader, image, truth: str, item: str, result: Result) -> None:
    """Read `image` as one string (its lines joined, spaces ignored: punctuation and gaps are
    not digits) and score it against `truth` in `result`, timed."""
    t0 = time.perf_counter()
    reading = reader.read(image)
    result.times_ms.append((time.perf_counter() - t0) * 1000)
    read = "".join(reading.lines).replace(" ", "")
    predicted = [read] if read else []
    if not result.score.add(predicted, [truth]):
        result.errors.append((item, [truth], predicted))


def evaluate_orand(reader, orand_dir: Path | str = DEFAULT_ORAND, limit: int | None = None,
                   progress: bool = True, split: str = "heldout") -> Result:
    """Read ORAND-CAR-A amounts (by default the images the classifier never saw); one line each,
    punctuation is not a digit, spaces ignored."""
    from realtime.imageio import load_image

    result = Result(f"orand-car-a ({split})", Score())
    items = orand_items(orand_dir, limit, split)
    for path, truth in _progress(items, "orand", len(items), progress):
        _score_one_string(reader, load_image(path), truth, path.name, result)
    return result


def evaluate_pages(reader, make, name: str, desc: str, n: int, seed: int,
                    progress: bool) -> Result:
    """Read the pages `make(seed)` -> (image, truth lines) of seeds seed .. seed+n-1 and
    compare line by line."""
    result = Result(name, Score())
    for s in _progress(range(seed, seed + n), desc, n, progress):
        image, truth = make(s)
        t0 = time.perf_counter()
        reading = reader.read(image)
        result.times_ms.append((time.perf_counter() - t0) * 1000)
        if not result.score.add(reading.lines, truth):
            result.errors.append((str(s), truth, reading.lines))
    return result


def evaluate_synth(reader, n: int = 200, seed: int = 0, progress: bool = True) -> Result:
    """Read `n` synthetic camera pages (seeds seed .. seed+n-1) and compare with their truth."""
    from realtime.synth import make_page

    return evaluate_pages(reader, make_page, "synthetic pages", "synth", n, seed, progress)


def evaluate_labelled(reader, n: int = 200, seed: int = 0, progress: bool = True,
                      gap: tuple[float, float] | None = None) -> Result:
    """Read `n` numbers written beside a printed word (realtime.synth.labelled_number; `gap`:
    the space between them in digit heights, default 0.5-2): right only when the reading is
    the number alone (spaces ignored), every letter left out."""
    from realtime.synth import labelled_number

    name = "numbers beside printed words" + (f", {gap[0]:g}-{gap[1]:g} digit heights away"
                                             if gap else "")
    result = Result(name, Score())
    for s in _progress(range(seed, seed + n), "words", n, progress):
        image, truth, word = labelled_number(s, gap)
        _score_one_string(reader, image, truth, f"{s} ({word})", result)
    return result


def evaluate_printed(reader, n: int = 200, seed: int = 0, progress: bool = True) -> Result:
    """Read `n` printed labels with a printed number (realtime.synth.printed_number: "Total
    480", "250 kWh", one font, a typed space between): right only when the reading is the
    number alone (spaces ignored), the word left out."""
    from realtime.synth import printed_number

    result = Result("printed numbers with their label", Score())
    for s in _progress(range(seed, seed + n), "printed", n, progress):
        image, truth, text = printed_number(s)
        _score_one_string(reader, image, truth, f"{s} ({text})", result)
    return result


def evaluate_pairs(reader, n: int = 200, seed: int = 0, progress: bool = True,
                   printed: bool = False) -> Result:
    """Read `n` lines of two labels and their values (realtime.synth.label_pairs: "Room 12
    Floor 3", the values handwritten or, `printed`, printed): right only when the reading is
    one line, the two values with a space between, no letter read as a digit."""
    from realtime.synth import label_pairs

    name = "two labels and their " + ("printed" if printed else "handwritten") + " values"
    return evaluate_pages(reader, lambda s: label_pairs(s, printed), name, "pairs", n, seed,
                           progress)


def evaluate_signs(reader, n: int = 200, seed: int = 0, progress: bool = True,
                   spaced: bool = False, kind: str | None = None) -> Result:
    """Read `n` numbers with a hand-drawn sign (realtime.synth.signed_number: "25%", "#12", "25°",
    "€25"; `kind`: that sign only, "£25" too; `spaced`: a space between the sign and the
    number, "25 %", "€ 25"): right only when the reading is the number alone, the sign left
    out."""
    from realtime.synth import signed_number

    name = f"numbers with a sign ({kind or '%, #, °, €'})" + (", a space away" if spaced else "")
    result = Result(name, Score())
    for s in _progress(range(seed, seed + n), "signs", n, progress):
        image, truth, sign = signed_number(s, kind, spaced=spaced)
        _score_one_string(reader, image, truth, f"{s} ({sign})", result)
    return result


def evaluate_times(reader, n: int = 200, seed: int = 0, progress: bool = True,
                   where: str = "between") -> Result:
    """Read `n` pairs of numbers with a hand-drawn times sign between (realtime.synth.
    times_number: "3x4", "20 x 30"): right only when the reading is one line, the two numbers
    with a space between, the sign left out (the space counts here). `where` "before" or
    "after": one number with the x before or after it ("x3", "2x"), right when it is read
    alone."""
    from realtime.synth import times_number

    def one_line(s: int):
        image, truth = times_number(s, where)
        return image, [truth]

    name = {"between": "two numbers with a times sign between"}.get(
        where, f"a number with a times sign {where} it")
    return evaluate_pages(reader, one_line, name, "times", n, seed, progress)


def evaluate_forms(reader, n: int = 200, seed: int = 0, progress: bool = True) -> Result:
    """Read `n` photographed forms (realtime.synth.form_page): right only when the reading is
    the handwritten numbers alone, line by line, none of the printed text read as digits."""
    from realtime.synth import form_page

    return evaluate_pages(reader, form_page, "numbers on printed forms", "forms", n, seed,
                           progress)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m realtime.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--orand", action="store_true", help="evaluate on ORAND-CAR-A")
    ap.add_argument("--orand-dir", default=str(DEFAULT_ORAND))
    ap.add_argument("--limit", type=int, default=None, help="only the first N ORAND images")
    ap.add_argument("--split", choices=ORAND_SPLITS, default="heldout",
                    help="ORAND images: held out from classifier training (default), train, all")
    ap.add_argument("--synth", type=int, default=0, metavar="N", help="evaluate on N synthetic pages")
    ap.add_argument("--seed", type=int, default=0, help="first synthetic page (or word) seed")
    ap.add_argument("--words", type=int, default=0, metavar="N",
                    help="evaluate on N numbers beside printed words (right when the word is left out)")
    ap.add_argument("--word-gap", default=None, metavar="LOW,HIGH",
                    help="with --words: the space between word and number, in digit heights "
                         "(default 0.5,2; 0.1,0.3: written right after the label)")
    ap.add_argument("--pairs", type=int, default=0, metavar="N",
                    help="evaluate on N lines of two labels with their handwritten values "
                         "(\"Room 12   Floor 3\"); --printed-values: printed values")
    ap.add_argument("--printed-values", action="store_true")
    ap.add_argument("--printed", type=int, default=0, metavar="N",
                    help="evaluate on N printed labels with a printed number (\"Total 480\")")
    ap.add_argument("--forms", type=int, default=0, metavar="N",
                    help="evaluate on N photographed forms (right when no printed text is read)")
    ap.add_argument("--signs", type=int, default=0, metavar="N",
                    help="evaluate on N numbers with a hand-drawn %%, #, ° or € (right when the sign is left out)")
    ap.add_argument("--times", type=int, default=0, metavar="N",
                    help="evaluate on N pairs of numbers with a hand-drawn x between (right when read apart)")
    ap.add_argument("--times-where", choices=("between", "before", "after"), default="between",
                    help="with --times: the x between two numbers (default), or before or after one")
    ap.add_argument("--sign", choices=("%", "#", "°", "€", "£"), default=None,
                    help="with --signs: that sign only (default: %%, #, ° and € at random)")
    ap.add_argument("--spaced", action="store_true",
                    help="with --signs: a space between each sign and its number (\"25 %%\", \"€ 25\")")
    ap.add_argument("--model", default=None, help="model path (default: the committed model)")
    ap.add_argument("--errors", type=int, default=0, metavar="K", help="print the first K errors")
    ap.add_argument("--json", action="store_true", help="print results as JSON")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if (args.spaced or args.sign) and not args.signs:
        ap.error("--spaced and --sign go with --signs N")
    if args.times_where != "between" and not args.times:
        ap.error("--times-where goes with --times N")
    word_gap = None
    if args.word_gap is not None:
        try:
            word_gap = tuple(float(v) for v in args.word_gap.split(","))
        except ValueError:
            word_gap = ()
        if len(word_gap) != 2 or not 0 <= word_gap[0] < word_gap[1] or not args.words:
            ap.error("--word-gap takes LOW,HIGH digit heights (0 <= LOW < HIGH) with --words N")
    if args.printed_values and not args.pairs:
        ap.error("--printed-values goes with --pairs N")
    if not (args.orand or args.synth or args.words or args.forms or args.signs or args.times
            or args.printed or args.pairs):
        args.orand, args.synth = True, 200
    from realtime.reader import DigitReader

    reader = DigitReader(args.model)
    results = []
    if args.orand:
        results.append(evaluate_orand(reader, args.orand_dir, args.limit, split=args.split))
    if args.synth:
        results.append(evaluate_synth(reader, args.synth, args.seed))
    if args.words:
        results.append(evaluate_labelled(reader, args.words, args.seed, gap=word_gap))
    if args.forms:
        results.append(evaluate_forms(reader, args.forms, args.seed))
    if args.printed:
        results.append(evaluate_printed(reader, args.printed, args.seed))
    if args.pairs:
        results.append(evaluate_pairs(reader, args.pairs, args.seed, printed=args.printed_values))
    if args.signs:
        results.append(evaluate_signs(reader, args.signs, args.seed, spaced=args.spaced,
                                      kind=args.sign))
    if args.times:
        results.append(evaluate_times(reader, args.times, args.seed, where=args.times_where))
    for r in results:
        if args.json:
            print(json.dumps({"name": r.name, **r.score.as_dict(), "median_ms": round(r.median_ms, 2)}))
        else:
            print(r.summary())
        for item, truth, read in r.errors[:args.errors]:
            print(f"  {item}: truth={truth} read={read}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

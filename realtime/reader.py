"""DigitReader: image -> Reading. Wires the pure stages together and times each one.

    input -> light & polarity -> binarize (+ ruled lines out) -> components -> lines ->
    segment (merge broken, split touching) -> classify (one batch) -> assemble lines
"""
from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace

import cv2
import numpy as np

from realtime import binarize as bz
from realtime import components as cp
from realtime import image as im
from realtime import light, order_stats
from realtime import lines as ln
from realtime import segment as sg
from realtime.groups import group_strip
from realtime.reading import Digit, Reading

POLARITIES = ("auto", "dark_on_light", "light_on_dark")
FEW_COMPONENTS = 1  # finding no more strokes than this puts the automatic polarity in doubt
# ... and so does reading nothing from no more marks than this (a few along a shadow's edge);
# a busy scene without digits (many marks) is not read twice
FEW_MARKS = 8
# A guess of light ink (chalk) in doubt is checked by reading dark ink too, and the dark
# reading is kept when it holds at least as many digits read this surely (and one): five
# small digits on textured paper beside a hard shadow were taken for chalk and the paper's
# streaks read as 1s. Paper is the likelier page, so a dark guess in doubt is not checked
# (a dark page whose shadow read as four sure "chalk" digits would have lost its two).
# Blank paper photographed (light falling off across it, sensor noise, JPEG) has no ink to
# guess the polarity by, and was often guessed chalk: its grain then read as lines of unsure
# "digits" ("78 18 3 8 / 148 3 18 / 4768" on an empty sheet). A reading whose unsure digits
# outnumber its sure ones (sure_over_unsure below 0) is the paper's texture, not writing: the
# chalk guess in doubt gives way to a paper reading that finds next to nothing (FEW_MARKS
# marks or fewer), and a sign read because the guess read nothing is kept only if it is not
# such a reading. Blank sheets (300 photographed as the synthetic pages are): 26 -> 19 read
# anything, the multi-line garbage gone (a "1" along a hard shadow's edge remains); every
# tuning, fresh and held-out set page for page the same (blackboards among them).
SURE_DIGIT = 0.9
# The letter model reads only the units the digit model does not read as a sure digit (top
# digit probability under this): a printed letter never reads that surely, so this changed no
# tuning reading and cut the model's cost on the speed pages by about three quarters.
LETTER_ASK_BELOW = 0.99


def ink_is_dark(gray: np.ndarray, polarity: str = "auto") -> bool:
    """Dark ink on light paper? Decided from the image for 'auto', else as the setting says."""
    return ink_polarity(gray, polarity)[0]


def ink_polarity(gray: np.ndarray, polarity: str = "auto") -> tuple[bool, bool]:
    """(dark ink on light paper?, is that a guess in doubt?); see light.ink_polarity."""
    if polarity == "auto":
        return light.ink_polarity(gray)
    return polarity == "dark_on_light", False


def sure_digits(digits) -> int:
    """How many digits were read with at least SURE_DIGIT confidence."""
    return sum(d.confidence >= SURE_DIGIT for d in digits)


def sure_over_unsure(digits) -> int:
    """Digits read with at least SURE_DIGIT confidence less those read with less: what a
    reading of the wrong ink sign is not (paper grain or a shadow's edge reads as many
    unsure digits and a few sure 1s)."""
    sure = sure_digits(digits)
    return sure - (len(digits) - sure)


@dataclass(frozen=True)
class Settings:
    """Engine knobs. Sizes are relative to the line's digit height unless they say px."""

    max_side: int = im.DEFAULT_MAX_SIDE  # working size bound (px)
    min_confidence: float = 0.05         # drop digits read with less confidence (but a
    # tall straight stroke whose likeliest digit is 1 is a 1 by its shape, see sg.upright_one:
    # synthetic tuning pages 82.7 -> 82.8 %, a small blurred 1 read "not a digit" at 0.93)
    # (0.15 until the second opinion: 0.1 then read 79.5 instead of 78.7 % of the synthetic
    # tuning pages, 77.0 vs 76.5 % of fresh ones, ORAND training images 87.5 % both. 0.1 until
    # 2026-12-05: 0.05 read ORAND training images 90.0 -> 90.3 % (2 fixed, none broken), the
    # synthetic tuning pages the same 85.3 % with 3 edits fewer, fresh pages 81.5 -> 81.8 %,
    # pages 1000-1199 76.5 -> 77.0 %, nothing broken; 0.01-0.03 read ORAND the same and
    # 0.02 one tuning page more, but 0 kept garbage: ORAND training 107 -> 121 edits)
    lone_digit_confidence: float = 0.6   # ... and a line's only digit with less than this
    min_digit_px: int = 7                # digits smaller than this (working px) are unreadable
    lone_digit_min_px: int = 10          # a digit alone on its line must be this tall (working px)
    weak_line_confidence: float = 0.5    # a line none of whose digits reaches this is dropped
    # (a soft shadow's edge or a faint rule meeting it read as a row of unsure digits; on the
    # tuning and check pages no line of truth digits was read below 0.69)
    min_rel_height: float = 0.4          # drop items shorter than this x line height (dots, dashes)
    space_factor: float = 0.85           # a gap wider than this x line height may be a space
    split_ratio: float = 0.9             # try splitting components wider than this x line height
    digit_bonus: float = -1.0            # log-score bonus per digit when choosing a segmentation
    # (-0.6 until the crops were grey: -1.0 then read 83.1 instead of 82.4 % of the ORAND
    # training images, synthetic tuning pages the same 67.7 %, CER 2.02 -> 1.97 %)
    remove_lines: bool = True            # erase ruled lines / underlines / box sides
    polarity: str = "auto"               # ink vs paper: 'auto' | 'dark_on_light' | 'light_on_dark'
    num_threads: int = 1                 # classifier threads
    second_opinion: bool = True          # ask the committed second model about unsure crops
    drop_words: bool = True              # leave out printed words (a form's label; word_digits)
    letter_confidence: float = 0.99      # ... marked by a unit the letter model is this sure of
    group_confidence: float = 0.99       # ... or a group of digits the group model calls text
    reread_small: bool = True            # read small lines again, twice as large (SMALL_LINE_H)


# Small writing is read again from a band of the page scaled up twice (cubic), and what that
# reads replaces the line: thresholds, a ruled line's removal and crops work in whole pixels,
# coarse against a 15-25 px digit's strokes, and at 2x a small 6 keeps its loop on a ruled
# line, a 0 the gap that makes it no 6, a 1 its own stroke. The band spans the page's width:
# a crop round the line alone read worse (tuning pages 2000-2999: 826 against 834 exact), its
# threshold and light set by little paper. Of its reading, the line holding most of the first
# reading's digits' centres is kept, less the digits more than SMALL_LINE_REACH line heights
# before or after them or off their course (another line's, joined to it in the band), and
# only if it has as many digits as the first reading or more (a digit lost at 2x was more
# often a digit lost than a mark read as one: 834 -> 836 tuning pages, 837 -> 840 fresh). Only
# lines with a digit read under SMALL_LINE_UNSURE are read again: a quarter of the pages
# instead of over half, for the same tuning pages (834) and 5 fewer fresh ones of 1,000.
# Tuning (2026-12-07): synthetic 2000-2999 822 -> 836 exact pages, 5000-5599 507 -> 514;
# fresh 3000-4999 1633 -> 1668, CER 1.02 -> 0.90 %; seeds 0-199 174 -> 176; ORAND held-out
# 176 -> 180 of 216, CER 4.89 -> 4.47 % (see the engine history).
SMALL_LINE_H = 26         # (working px) lines whose digits' median height is under this ...
SMALL_LINE_UNSURE = 0.95  # ... and that hold a digit read under this are read again ...
SMALL_LINE_SCALE = 2.0    # ... this many times larger
SMALL_LINE_BAND = 30      # (working px) rows of the page above and below the line's digits
SMALL_LINE_REACH = (1.5, 0.7)  # (x line height) along the line, across it (see above)

# After the lines are stripped, a usual height under this share of the one before (a grid's)
# has the lines stripped again with the writing's height (see _ink_components).
RESTRIP_BELOW = 0.5


class DigitReader:
    """Reads handwritten digits in any image, line by line.

    `classifier` is any object with `probabilities(crops N x 28 x 28 uint8) -> N x 11` (digits
    0-9 then non-digit); by default the LiteRT model at `model_path` is loaded (None: the
    committed model with its second opinion, see realtime.classifier).
    """

    def __init__(self, model_path=None, classifier=None, letter_detector=None,
                 group_detector=None, **settings):
        names = {f.name for f in fields(Settings)}
        unknown = set(settings) - names
        if unknown:
            raise TypeError(f"unknown DigitReader setting(s): {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(names))})")
        self.settings = replace(Settings(), **settings)
        if self.settings.polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {', '.join(POLARITIES)}, "
                             f"got {self.settings.polarity!r}")
        if classifier is None:
            from realtime.classifier import DigitClassifier

            # (no look-again model: the engine reads each crop once, `probabilities`)
            classifier = DigitClassifier(
                model_path, num_threads=self.settings.num_threads,
                second_opinion_below=None if self.settings.second_opinion else 0.0,
                use_look_again_model=False)
        self.classifier = classifier
        if letter_detector is None and self.settings.drop_words:
            from realtime.letters import LetterDetector

            letter_detector = LetterDetector(num_threads=self.settings.num_threads)
        self.letter_detector = letter_detector if self.settings.drop_words else None
        if group_detector is None and self.settings.drop_words:
            from realtime.groups import GroupDetector

            group_detector = GroupDetector(num_threads=self.settings.num_threads)
        self.group_detector = group_detector if self.settings.drop_words else None

    def read(self, image) -> Reading:
        """Any ndarray image -> Reading (never raises for odd pixel values or sizes)."""
        s = self.settings
        timings: dict[str, float] = {}
        clock = _Clock(timings)

        gray = im.to_gray(image)  # TypeError / ValueError for non-images
        size = (int(gray.shape[1]), int(gray.shape[0]))
        if min(gray.shape) < 4:
            return Reading(image_size=size, timings_ms=clock.total())
        scale = im.working_scale(gray.shape, s.max_side)
        work = im.to_working(gray, scale)
        colour = im.colour_of(image)
        clock.lap("input")

        def read_sign(dark_ink: bool):
            return self._read_working(work, dark_ink, scale, gray.shape, clock, colour)

        dark, in_doubt = ink_polarity(work, s.polarity)
        auto = s.polarity == "auto"
        lines, digits, marks, words = read_sign(dark)

        def loses_nothing(other) -> bool:
            # (neither reading a digit, the first one's printed words stay reported: "27x57",
            # its x taken for a letter, was left out as a printed word and showed nothing at all)
            return bool(digits or other[1] or not words)

        if auto and marks <= FEW_COMPONENTS:
            # next to nothing found: with a few small digits on a page, a hard shadow's edge
            # can outvote the ink in the polarity guess. Read the other sign too, and keep it
            # if it reads more sure than unsure digits by more, or as much and finds more
            # marks. (Finding more marks alone is no sign: a lone "3" beside a soft shadow's
            # edge gave way to twelve unsure digits along the edge.)
            other = read_sign(not dark)
            if ((sure_over_unsure(other[1]), other[2]) > (sure_over_unsure(digits), marks)
                    and loses_nothing(other)):
                lines, digits, words = other[0], other[1], other[3]
                dark = not dark
        elif auto and not lines and FEW_COMPONENTS < marks <= FEW_MARKS:
            # ink found but nothing read: a hard shadow across a page of a few digits can
            # outvote the ink in the polarity guess; read the other sign too (unless what it
            # reads is texture: see SURE_DIGIT)
            other = read_sign(not dark)
            if loses_nothing(other) and sure_over_unsure(other[1]) >= 0:
                lines, digits, words = other[0], other[1], other[3]
                dark = not dark
        elif auto and in_doubt and not dark:
            # a chalk guess in doubt: read it as paper too (see SURE_DIGIT; and where the
            # chalk reading is texture, a paper reading of next to nothing wins)
            paper = read_sign(True)
            if (sure_digits(paper[1]) >= max(1, sure_digits(digits))
                    or (paper[2] <= FEW_MARKS and sure_over_unsure(digits) < 0)):
                lines, digits, words = paper[0], paper[1], paper[3]
                dark = True
        if s.reread_small and digits:
            lines, digits = self._reread_small_lines(work, dark, scale, gray.shape, lines, digits)
            clock.lap("reread")
        return Reading(lines=lines, digits=digits, timings_ms=clock.total(), image_size=size,
                       words=words)

    def _reread_small_lines(self, work: np.ndarray, dark: bool, scale: float, shape,
                            lines: list[str], digits: list[Digit]) -> tuple[list[str], list[Digit]]:
        """Each small line in doubt (see SMALL_LINE_H) read again from a band of the working
        image scaled up SMALL_LINE_SCALE times (one band for lines whose bands overlap) ->
        (lines, digits), boxes in input pixels."""
        lines = list(lines)
        by_line = [[d for d in digits if d.line == k] for k in range(len(lines))]
        chosen = [k for k, mine in enumerate(by_line) if small_line_in_doubt(mine, scale)]
        for rows, members in line_bands([by_line[k] for k in chosen], chosen, scale,
                                        work.shape[0]):
            y0, y1 = rows
            band = cv2.resize(work[y0:y1], None, fx=SMALL_LINE_SCALE, fy=SMALL_LINE_SCALE,
                              interpolation=cv2.INTER_CUBIC)
            band_shape = (int(np.ceil((y1 - y0) / scale)), shape[1])
            # (a clock of its own: the caller times the bands as one stage, "reread")
            got_lines, got_digits, _, _ = self._read_working(
                band, dark, scale * SMALL_LINE_SCALE, band_shape, _Clock({}))
            offset = int(round(y0 / scale))
            got_digits = [replace(d, box=(d.box[0], d.box[1] + offset, d.box[2], d.box[3]))
                          for d in got_digits]
            for k in members:
                found = line_again(by_line[k], got_lines, got_digits)
                if found is not None:
                    lines[k], new = found
                    by_line[k] = [replace(d, line=k) for d in new]
        return lines, [d for mine in by_line for d in mine]

    def _read_working(self, work: np.ndarray, dark: bool, scale: float, shape, clock,
                      colour: np.ndarray | None = None) -> tuple[list[str], list[Digit], int, list]:
        """Working gray image, ink polarity -> (lines, digits, how many marks of that polarity
        were found, boxes of the printed words left out). `colour`: the input's BGR, if any
        (im.colour_of)."""
        s = self.settings
        comps, typical, contrast = self._ink_components(work, dark, clock)
        marks = len(comps)
        comps = cp.drop_intruders(cp.drop_specks(comps, typical), typical)
        comps = cp.drop_skin_at_frame(comps, colour, scale)
        book, plans, lefts, rights = self._plan_lines(comps, clock, contrast=contrast)

        probs = self._classify(book, 0)
        letter_units = self._letter_units(book, plans, probs)
        letter_boxes = book.comps.boxes[letter_units].astype(np.int64).reshape(-1, 4)
        word_letters = words_letter_units(plans, letter_units, book.comps.boxes)
        clock.lap("classify")

        # second pass: merges and cuts only where the whole-unit reading is in doubt
        n_first = len(book.pieces)
        for plan in plans:
            whole = sg.whole_readings(plan, probs)  # (read once for the tests below)
            pairs = sg.maybe_two_ones(plan, probs, book.pieces, whole=whole)
            beside = sg.one_beside(plan, probs, book, whole)
            doubtful = (sg.doubtful_units(plan, probs, book.pieces, whole=whole) | pairs
                        | sg.stacked_halves(plan, book.pieces)
                        | sg.stem_and_loop(plan, probs, book.pieces))
            if word_letters:  # (a word's letters are read whole: see WORD_LETTER_UNITS)
                letter = np.array([u in word_letters for u in plan.units], bool)
                doubtful &= ~letter
                beside &= ~letter
                pairs &= ~letter
            if doubtful.any() or beside.any():
                sg.plan_alternatives(
                    book, plan, doubtful, lefts, rights, s.split_ratio, narrow_split=pairs,
                    beside=beside,
                    joined_ones=pairs & sg.unsure_ones(plan, probs, book.pieces, whole),
                    unsure=sg.unsure_full_height(plan, probs, book.pieces, whole=whole))
                sg.plan_joins(book, plan, lefts, rights)
        clock.lap("segment")
        probs = np.concatenate([probs, self._classify(book, n_first)])
        clock.lap("classify")

        lines, digits, words = self._assemble(
            plans, book, probs, book.tilt, scale, shape, np.stack([lefts, rights], axis=1),
            letter_boxes, word_letters)
        clock.lap("assemble")
        return lines, digits, marks, words

    def _letter_units(self, book, plans, probs) -> list[int]:
        """Component indices of the units the letter model calls a printed letter at
        letter_confidence or more, or at PRINTED_LETTER on a line of printed text
        (printed_lines); none without a letter detector. Units the digit model reads as a sure
        digit (LETTER_ASK_BELOW) are not asked about."""
        if self.letter_detector is None:
            return []
        lines = [[(u, p) for u, p in zip(plan.units, plan.single, strict=True)
                  if p is not None and book.pieces[p].crop is not None] for plan in plans]
        unsure = (probs[:, :sg.NON_DIGIT].max(axis=1) < LETTER_ASK_BELOW).tolist()
        asked = [(li, u, p) for li, units in enumerate(lines) for u, p in units if unsure[p]]
        if not asked:
            return []
        p_letter = self.letter_detector.letter_probabilities(
            np.stack([book.pieces[p].crop for _, _, p in asked]))
        line_letters = [[] for _ in lines]
        for (li, _, _), pl in zip(asked, p_letter, strict=True):
            line_letters[li].append(float(pl))
        conf = [probs[[p for _, p in units], :sg.NON_DIGIT].max(axis=1) for units in lines]
        printed = printed_lines([plan.line_h for plan in plans], conf, line_letters)
        sure = [u for (li, u, _), pl in zip(asked, p_letter, strict=True)
                if pl >= (PRINTED_LETTER if printed[li] else self.settings.letter_confidence)]
        return sure

    def _plan_lines(self, comps, clock, extend=None, contrast=None) -> tuple:
        """Stroke components -> (PieceBook, one LinePlan per line with each unit read whole,
        and each component's left and right end along its line). `extend(book, plan, lefts,
        rights)`, when given, is called on each plan as soon as it is made (mining adds every
        alternative there, in the order the pieces were always made). `contrast`: the ink
        contrast map the components were found in (crops are then grey, see PieceBook)."""
        s = self.settings
        heights = comps.boxes[:, 3].astype(np.float64)
        centres = comps.centres
        tilt = ln.estimate_tilt(centres, heights)
        line_items = ln.group_lines(centres, heights, tilt, widths=comps.boxes[:, 2])
        along = ln.derotate(centres, tilt)[:, 0] if len(comps) else np.zeros(0)
        clock.lap("lines")

        book = sg.PieceBook(comps, tilt, contrast)
        widths = comps.boxes[:, 2].astype(np.float64)
        lefts, rights = along - widths / 2, along + widths / 2
        plans = []
        for items in line_items:
            line_h = sg.line_height(heights[items])
            if line_h < s.min_digit_px:
                continue
            units = sorted((int(i) for i in items), key=lambda i: lefts[i])
            units = [i for i in units if not sg.long_straight_stroke(comps, i, line_h)] or units
            plans.append(sg.plan_line(book, units, line_h, s.min_rel_height))
            if extend is not None:
                extend(book, plans[-1], lefts, rights)
        clock.lap("segment")
        return book, plans, lefts, rights

    def _ink_components(self, work: np.ndarray, dark: bool, clock) -> tuple:
        """Working gray image -> (stroke components, ruled lines removed; usual digit height;
        the ink contrast map they were found in)."""
        for window_scale in (1.0, light.WIDE_WINDOW_SCALE):
            bg = light.estimate_background(work, dark, window_scale)
            ink, noise = light.contrast_maps(work, bg, dark)
            clock.lap("light")
            comps = bz.binarize(ink, noise)
            if len(comps) or not bz.looks_like_noise(ink, noise, bz.thresholds(ink, noise)[1]):
                break  # (a page that looks like noise may be thick digits filling a small crop)
        typical = cp.typical_height(comps.boxes, comps.areas)
        if self.settings.remove_lines and len(comps):
            # (no clearing of "row bands", rows inked across most of the width: in a number as
            # wide as its image, a row along the digits' feet is one, and clearing it erased the
            # bases of 2s)
            ruled: list = []  # (the lines cleared, followed across the page for their stubs)
            comps = bz.strip_lines(comps, typical, ink, ruled)
            comps = bz.strip_faint_lines(comps, typical, ink)
            comps = bz.strip_line_stubs(comps, ruled, typical, ink)
            written = cp.typical_height(comps.boxes, comps.areas)
            if written < RESTRIP_BELOW * typical:
                # the usual height was a grid's, whose lines are gone now: an upright line is
                # long next to the writing's height (a squared page's line with a digit on it)
                comps = bz.strip_lines(comps, written, ink)
                written = cp.typical_height(comps.boxes, comps.areas)
            typical = written
        comps = bz.drop_step_edges(comps, work, dark)
        comps = bz.drop_frame_sides(comps, work.shape, typical)
        comps = bz.drop_show_through(comps, ink, typical)
        clock.lap("binarize")
        return comps, typical, ink

    def _classify(self, book, start: int) -> np.ndarray:
        """Probabilities (N x 11) of the pieces from index `start` on, in one batch."""
        pieces = book.pieces[start:]
        probs = np.zeros((len(pieces), 11), np.float32)
        probs[:, sg.NON_DIGIT] = 1.0  # pieces without a crop: too small to be a digit
        read = [i for i, p in enumerate(pieces) if p.crop is not None]
        if read:
            crops = np.stack([pieces[i].crop for i in read])
            probs[read] = np.asarray(self.classifier.probabilities(crops), np.float32)
        return probs

    def _stray_lone(self, kept) -> bool:
        """Is this line's only digit unsure or tiny? Such a lone "digit" on its own line is
        nearly always a stray mark (tiny ones: a speck of paper texture or sensor noise)."""
        s = self.settings
        return len(kept) == 1 and (kept[0][1] < s.lone_digit_confidence
                                   or kept[0][2][3] < s.lone_digit_min_px)

    def _drop_isolated_specks(self, kept, along, line_h, marks=None):
        """A line's digits (left to right) without the tiny ones that stand alone between
        spaces: scattered specks of a noise field or texture, each a "digit" under
        lone_digit_min_px, make a line of far-apart digits. What is left is held to the
        lone-digit rule again. -> (kept, along, spaces)"""
        s = self.settings
        spaces = line_spaces(kept, along, line_h, s.space_factor, marks)
        n = len(kept)
        alone = [(j == 0 or spaces[j - 1]) and (j == n - 1 or spaces[j]) for j in range(n)]
        keep = [not (alone[j] and kept[j][2][3] < s.lone_digit_min_px) for j in range(n)]
        if all(keep):
            return kept, along, spaces
        kept = [k for k, ok in zip(kept, keep, strict=True) if ok]
        along = along[np.array(keep)]
        if self._stray_lone(kept):
            return [], along[:0], np.zeros(0, bool)
        return kept, along, line_spaces(kept, along, line_h, s.space_factor, marks)

    def _line_digits(self, plan, book, probs, digit_bonus: float) -> list:
        """One line's best segmentation -> its (label, confidence, box) digits over the
        confidence floor; [] when what is left is a stray mark."""
        return self._line_read(plan, book, probs, digit_bonus)[0]

    def _line_read(self, plan, book, probs, digit_bonus: float,
                   scores: sg.PieceScores | None = None) -> tuple[list, set[int], list]:
        """_line_digits, the label values of the components its digits were read from, and the
        boxes of the times signs between its numbers, each a space (`scores`:
        sg.piece_scores(probs), shared by a page's lines)."""
        s = self.settings
        read = []  # (label, confidence, piece)
        chosen = sg.solve_line(plan, probs, book.pieces, digit_bonus, scores)
        dotted = set(sg.dotted_ones(plan, book.pieces))
        for p in chosen:
            # (a 1 broken into dots is a 1 by its shape, whatever digit the classifier's
            # "not a digit" leans to; its confidence stays the classifier's)
            label = 1 if p in dotted else int(probs[p, :10].argmax())
            conf = float(probs[p, label])
            if conf >= s.min_confidence or (label == 1 and sg.upright_one(book.pieces[p],
                                                                           plan.line_h)):
                read.append((label, conf, book.pieces[p]))
        # (a date's slashes, parentheses and a tick after the number are left out like a
        # dash, as strokes between digits; so are plus and dollar signs, and percent, number,
        # euro, pound and degree signs written on to a number or a space away at the line's end)
        pieces, labels = [p for _, _, p in read], [label for label, _, _ in read]
        confidences = [c for _, c, _ in read]
        separators = (sg.separator_digits(pieces, labels, plan.line_h)
                      | sg.signs_beside_numbers(pieces, labels, plan.line_h, book.comps,
                                                confidences))
        # a times sign between two numbers ("3x4") parts them: a space where it stood
        times = sg.times_signs(pieces, labels, confidences, plan.line_h, book.comps)
        signs = [p for p, x in zip(pieces, times, strict=True) if x]
        read = [r for r, sep, x in zip(read, separators, times, strict=True) if not (sep or x)]
        breaks = [p.box for p in signs] + sg.times_among_strokes(
            plan.units, book.comps, [p for _, _, p in read], plan.line_h,
            {i for p in signs for i in p.ids})
        kept = [(label, conf, p.box) for label, conf, p in read]
        used = {i for _, _, p in read for i in p.ids}
        if self._stray_lone(kept) or (kept and max(c for _, c, _ in kept) < s.weak_line_confidence):
            return [], set(), []
        if len(plan.units) == 1 and kept and (
                len(kept) < len(chosen)
                or np.mean([c for _, c, _ in kept]) < s.lone_digit_confidence):
            return [], set(), []  # ... and so is one blob alone on its line, cut into unsure "digits"
        return kept, used, breaks

    def _without_printed_groups(self, read_lines, contrast, scale, shape, words,
                                figure_boxes=frozenset()) -> list:
        """Lines (kept, spaces) less the groups of digits (between spaces) the group model
        calls printed text at group_confidence or more, asked in one batch (a lone digit only
        where it may be print, worth_asking; `words`: the boxes of the printed words found so
        far); their boxes (input px) are added to `words`. A group split at a typed space is
        judged by its parts (see typed_space_parts); one holding a printed word's figures
        (`figure_boxes`, see printed_figures) is asked always, and left out at FIGURES_TEXT.
        Lines left empty are dropped."""
        asks = []  # (line, group, its parts at a typed space or [], holds figures?)
        for li, (kept, spaces) in enumerate(read_lines):
            usual = ln.median_of([box[3] for _, _, box in kept])
            for g in digit_groups(spaces, len(kept)):
                figures = any(kept[j][2] in figure_boxes for j in g)
                if figures or worth_asking(g, kept, words, usual):
                    asks.append((li, g, [] if figures else typed_space_parts(g, kept), figures))
        if not asks:
            return read_lines
        ranges = [(li, r) for li, g, parts, _ in asks for r in (g, *parts)]
        boxes = [sg.union_box([read_lines[li][0][j][2] for j in r]) for li, r in ranges]
        p_text = iter(self.group_detector.text_probabilities(
            np.stack([group_strip(contrast, b) for b in boxes])).tolist())
        box_of = iter(boxes)
        sure = self.settings.group_confidence
        printed = [np.zeros(len(kept), bool) for kept, _ in read_lines]
        for li, g, parts, figures in asks:
            p_whole, whole_box = next(p_text), next(box_of)
            if not parts:
                gone = [(g, whole_box)] if p_whole >= (FIGURES_TEXT if figures else sure) else []
            else:
                read_parts = [(r, next(p_text), next(box_of)) for r in parts]
                gone = [(r, box) for r, p, box in read_parts
                        if p >= sure or (len(r) == 1 and p_whole >= sure and p >= LONE_FIGURE)]
                if len(gone) == len(parts):
                    gone = [(g, whole_box)]  # (one word, one box)
            for r, box in gone:
                printed[li][list(r)] = True
                words.append(_to_input(box, scale, shape))
        out = [without_words(kept, spaces, gone)
               for (kept, spaces), gone in zip(read_lines, printed, strict=True)]
        return [(kept, spaces) for kept, spaces in out if kept]

    def _assemble(self, plans, book, probs, tilt, scale, shape, extents=None, letter_boxes=None,
                  word_letters=frozenset()):
        """Chosen pieces -> (line strings with spaces, Digit objects, boxes of the printed words
        left out; boxes in input pixels).
        `extents`: each component's (left, right) along its line; a line's components split
        the gaps between its digits (see ln.space_after). The digits read from a printed word
        (word_digits: near the printed letters' units `letter_boxes`; `word_letters`, those of
        them read whole only, see WORD_LETTER_UNITS) are left out."""
        s = self.settings
        boxes = book.comps.boxes
        whole_letters = {tuple(boxes[u].tolist()) for u in word_letters}
        reported = []  # (the printed words' boxes, working px)
        lines: list[str] = []
        digits: list[Digit] = []
        words: list[tuple[int, int, int, int]] = []
        figure_boxes: set[tuple] = set()  # (the boxes of printed figures, see printed_figures)
        line_records = []
        scores = sg.piece_scores(probs)
        for plan in plans:
            kept, used, breaks = self._line_read(plan, book, probs, s.digit_bonus, scores)
            if not kept and s.digit_bonus < 0:
                # nothing sure at the usual price per digit (an unsure blob outscored two
                # sure digits cut from it, then fell to the confidence floor): read the line
                # again at no price; what that gives must pass the same tests
                kept, used, breaks = self._line_read(plan, book, probs, 0.0, scores)
            if kept:
                marks = (extents[free_units(plan.units, book.comps, used, kept, tilt)]
                         if extents is not None else None)
                line_records.append((plan.line_h, kept, marks, plan.units, used, breaks))
        # order lines top to bottom by their digits' de-rotated centres (pieces may have moved)
        placed = [(line_h, kept, ln.derotate(box_centres(kept), tilt), marks, units, used, breaks)
                  for line_h, kept, marks, units, used, breaks in line_records]
        placed.sort(key=lambda r: ln.median_of(r[2][:, 1].tolist()))
        read_lines = []
        for line_h, kept, centres, marks, units, used, breaks in placed:
            along = centres[:, 0]
            order = np.argsort(along, kind="stable")
            kept = [kept[i] for i in order]
            along = along[order]
            kept, along, spaces = self._drop_isolated_specks(kept, along, line_h, marks)
            letters = letter_boxes
            if breaks and kept:
                spaces = with_breaks(spaces, along, ln.derotate(box_centres(
                    [(0, 0.0, b) for b in breaks]), tilt)[:, 0])
                if letters is not None:  # (a times sign the letter model calls an x is no word,
                    # unless other letters stand beside it: the x of a printed "Fax")
                    letters = boxes_outside(letters, [b for b in breaks
                                                      if not letters_beside(b, letters, line_h)])
            if letters is not None and len(letters) and kept:
                word, figures = word_and_figures(kept, along, ln.median_of(centres[:, 1].tolist()),
                                                 line_h, tilt, letters, marks, whole_letters)
                figure_boxes.update(kept[j][2] for j in np.flatnonzero(figures).tolist())
                word |= digits_in_print(kept, along,
                                        unread_strokes(units, book.comps, used, extents))
                reported += word_boxes(kept, word, letters)
                kept, spaces = without_words(kept, spaces, word)
                kept, spaces = without_words(kept, spaces, print_remnants(
                    kept, spaces, float(letters[:, 3].max())))
            if kept:
                read_lines.append((kept, spaces))
        if word_letters:  # (a word whose letters gave no digit to leave out is reported too)
            reported = with_unread_letters([[boxes[u] for u in plan.units if u in word_letters]
                                            for plan in plans], reported)
        words += [_to_input(b, scale, shape) for b in reported]
        if self.group_detector is not None and book.contrast is not None and read_lines:
            read_lines = self._without_printed_groups(read_lines, book.contrast, scale, shape,
                                                      words, figure_boxes)
        for li, (kept, spaces) in enumerate(read_lines):
            text = []
            for j, (label, conf, box) in enumerate(kept):
                if j and spaces[j - 1]:
                    text.append(" ")
                text.append(str(label))
                digits.append(Digit(label, conf, _to_input(box, scale, shape), li))
            lines.append("".join(text))
        return lines, digits, words


# A line of printed text (a form's sentence, a label) reads as many unsure digits, several of
# them units the letter model leans to calling letters. On such a line a unit is a letter at
# PRINTED_LETTER rather than letter_confidence. A line is printed text when at least
# PRINTED_LINE_LETTERS of its units, and PRINTED_LINE_SHARE of them, are letters at
# PRINTED_LETTER and its units read as digits at a mean confidence under
# PRINTED_LINE_CONFIDENCE. On the form tuning pages (realtime.synth.form_page, seeds
# 5000-5299) that holds for 418 of 512 lines of text alone and none of the 540 lines of
# handwriting alone; nor for any of the 942 lines of synthetic pages 5000-5299, the 885 of the
# ORAND training cheques or the 7,436 of 2,400 fresh pages (12000-14399). (A share of 0.2 read
# 3 more form pages but took a line of small unsure handwritten digits, two of them at 0.57
# and 0.83, for print; deciding at 0.7 read 1 fewer.)
PRINTED_LETTER = 0.5
PRINTED_LINE_LETTERS = 2
PRINTED_LINE_SHARE = 0.3
PRINTED_LINE_CONFIDENCE = 0.85


def printed_line(digit_confidence: np.ndarray, letter_probabilities) -> bool:
    """Is a line printed text? `digit_confidence`: the top digit probability of each of its
    units; `letter_probabilities`: the letter model's of those it was asked about."""
    if not len(digit_confidence):
        return False
    letters = int(np.count_nonzero(np.asarray(letter_probabilities, np.float64) >= PRINTED_LETTER))
    return bool(letters >= PRINTED_LINE_LETTERS
                and letters >= PRINTED_LINE_SHARE * len(digit_confidence)
                and float(np.mean(digit_confidence)) < PRINTED_LINE_CONFIDENCE)


# A form prints its text in one size: a line as tall as a printed line of the page (within
# PRINT_HEIGHT_TOLERANCE of its line height) is printed text with one letter at PRINTED_LETTER,
# if its units read unsure (PRINTED_LINE_CONFIDENCE): small print ("Total to pay" at 12 px), of
# which the letter model calls only one blob of letters a letter. Form tuning pages 5000-5299
# 78.7 -> 79.7 % (3 fixed, none broken); a page without a printed line reads as before.
# 0.2 until 2026-12-05 23:30: a line's height is its tallest letters', so "sort code" beside
# "Bank sort code" differs by more; 0.3, 0.4, 0.5 and 0.6 read 2, 3, 3 and 3 more tuning
# forms (of 81.3 %), none broken (lines added by this test extending the sizes: 1 more).
PRINT_HEIGHT_TOLERANCE = 0.4


def printed_lines(line_heights, digit_confidence, letter_probabilities) -> list[bool]:
    """Per line of a page: is it printed text? printed_line's verdict on each line (its units'
    top digit probabilities, the letter model's probabilities of those it asked about), and
    the lines of the printed lines' height with one letter among unsure digits."""
    printed = [printed_line(c, pl) for c, pl in zip(digit_confidence, letter_probabilities,
                                                     strict=True)]
    print_h = [h for h, p in zip(line_heights, printed, strict=True) if p]
    for i, (h, c, pl) in enumerate(zip(line_heights, digit_confidence, letter_probabilities,
                                       strict=True)):
        # (the height test first: on a page of handwriting there is no printed line to match)
        if (not printed[i] and any(abs(h - ph) <= PRINT_HEIGHT_TOLERANCE * ph for ph in print_h)
                and len(c) and float(np.mean(c)) < PRINTED_LINE_CONFIDENCE
                and any(p >= PRINTED_LETTER for p in pl)):
            printed[i] = True
    return printed


# A printed word's letters stand closer together than this (x the line height; the digits of
# a handwritten number are written h/8 to h/3 apart): the digits read from a printed letter's
# unit, and those read from the letters beside it (an "o" or an "l", which read as digits even to
# the letter model), are left out together, up to a gap this wide.
WORD_GAP = 0.4
# A letter's unit belongs to a line when its centre is this near the line's (x line height).
WORD_ON_LINE = 0.6
# A handwritten digit can look like a letter on its own (a 4 with a closed top like an "A", a
# flat-topped 5 like an "E"); a printed word has more than one letter, or reads as unsure
# digits. So a run of digits with a single letter unit is a word only when its digits were read
# at under this mean confidence.
WORD_MEAN_CONFIDENCE = 0.85
# A line with this many units the letter model calls printed letters holds printed words, and
# those of them no wider than one letter (LETTER_WHOLE_MAX_W line heights) are read whole
# only: no merges or cuts are tried for them, which can only give a letter's pieces, read as
# digits to be left out with the word. A wider letter unit (letters touching, or a printed
# number's touching figures the letter model took for letters: "Amount: 70087" read nothing
# when its "008" went uncut) is still cut, and so is a lone letter unit (an "x" between
# numbers, a handwritten 4 with a closed top): its pieces read as unsure digits are what tell
# a one-letter word from a number (WORD_MEAN_CONFIDENCE), and a letter read whole that gave no
# digit counts in its run as a digit read at confidence 0.
WORD_LETTER_UNITS = 2
LETTER_WHOLE_MAX_W = 1.0


def words_letter_units(plans, letter_units, boxes: np.ndarray) -> set[int]:
    """The letter units (component indices, of `letter_units`; `boxes` x, y, w, h of every
    component) to read whole: those no wider than LETTER_WHOLE_MAX_W line heights on the lines
    (`plans`) that hold WORD_LETTER_UNITS letter units or more."""
    letters = set(letter_units)
    out: set[int] = set()
    for plan in plans:
        on_line = letters.intersection(plan.units)
        if len(on_line) >= WORD_LETTER_UNITS:
            out |= {u for u in on_line if boxes[u, 2] <= LETTER_WHOLE_MAX_W * plan.line_h}
    return out


_LETTER, _STROKE = -1, -2  # word_digits' items that are not digits


def word_digits(kept, along: np.ndarray, line_y: float, line_h: float, tilt: float,
                letter_boxes: np.ndarray, marks: np.ndarray | None = None,
                whole_letters=frozenset()) -> np.ndarray:
    """Per digit of a line (left to right, `along` its de-rotated centres, `line_y` the line's
    de-rotated height): was it read from a printed word? Those within WORD_GAP line heights of
    a printed letter's unit (working-px `letter_boxes`) on this line, or of another such digit
    or of one of the line's other strokes (`marks`, m x 2 left and right along the line: a
    letter the digit model read as no digit), in a run with two letter units or one among
    unsure digits (WORD_MEAN_CONFIDENCE; a letter read whole, of `whole_letters`, that no digit
    was read from counts as one read at 0); a word's printed figures a typed space away are not
    (printed_figures)."""
    return word_and_figures(kept, along, line_y, line_h, tilt, letter_boxes, marks,
                            whole_letters)[0]


def word_and_figures(kept, along: np.ndarray, line_y: float, line_h: float, tilt: float,
                     letter_boxes: np.ndarray, marks: np.ndarray | None = None,
                     whole_letters=frozenset()) -> tuple[np.ndarray, np.ndarray]:
    """(word_digits, per digit: is it one of a printed word's figures, set a typed space from
    it and so not left out with it (printed_figures)?). `whole_letters`: the boxes (tuples) of
    the letter units read whole only (WORD_LETTER_UNITS); one no digit was read from counts
    in its run as a digit read at confidence 0."""
    word = np.zeros(len(kept), bool)
    figures = np.zeros(len(kept), bool)
    if not len(letter_boxes) or not len(kept):
        return word, figures
    lb = letter_boxes.astype(np.float64)
    centres = ln.derotate(np.stack([lb[:, 0] + lb[:, 2] / 2, lb[:, 1] + lb[:, 3] / 2], axis=1), tilt)
    on_line = np.abs(centres[:, 1] - line_y) <= WORD_ON_LINE * line_h
    if not on_line.any():
        return word, figures
    # (left, right along the line, digit index or _LETTER / _STROKE), swept left to right in
    # runs that end at a gap of WORD_GAP line heights
    half = np.array([k[2][2] for k in kept], np.float64) / 2
    items = [(c - hw, c + hw, j) for j, (c, hw) in enumerate(zip(along, half, strict=True))]
    items += [(c - w / 2, c + w / 2, _LETTER)
              for c, w in zip(centres[on_line, 0], lb[on_line, 2], strict=True)]
    if marks is not None:  # the line's other strokes (a letter read as no digit) bridge gaps
        items += [(float(a), float(b), _STROKE) for a, b in marks]
    items.sort()
    letter_spans = [(a, b) for a, b, j in items if j == _LETTER]
    # (the letters read whole only, which no merge or cut of theirs made digits of)
    whole_spans = [(c - w / 2, c + w / 2) for c, w, box in zip(
        centres[on_line, 0], lb[on_line, 2], letter_boxes[on_line].tolist(), strict=True)
        if tuple(box) in whole_letters]

    def infix(run, letters, left, right) -> list[int]:
        return (infix_symbol(kept, run, along, half,
                             next(sp for sp in letter_spans if left <= sp[0] <= right))
                if letters == 1 and run else [])

    def unread(run, left, right) -> int:  # (whole-read letters of the run no digit is from)
        return sum(1 for a, b in whole_spans
                   if left <= a and b <= right and not read_from((a, b), run, along, half))

    def worded(run, letters, span) -> bool:
        return letters >= 2 or (letters == 1 and bool(run) and np.mean(
            [kept[i][1] for i in run] + [0.0] * unread(run, *span)) < WORD_MEAN_CONFIDENCE)

    runs = []  # (run, the digits of its infix sign)
    for whole in item_runs(items, WORD_GAP * line_h):
        # (a sign between a number's digits first: "3 x 4" is no label set beside a "4")
        symbol = infix(whole[0], whole[1], *whole[2])
        parts = ([whole] if symbol or not worded(*whole)
                 else printed_figures(items, whole, kept, line_h))
        if len(parts) > 1:
            figures[parts[1][0]] = True
            runs += [(part, infix(part[0], part[1], *part[2])) for part in parts]
        else:
            runs.append((whole, symbol))
    word_runs, long_run = 0, False
    for (run, letters, (left, right)), symbol in runs:
        if symbol:  # (a sign between the digits of a number, not a word: only it goes)
            word[symbol] = True
        elif worded(run, letters, (left, right)):
            word[run] = True
            word_runs += 1
            long_run |= letters >= TEXT_LETTERS and right - left >= TEXT_LENGTH * line_h
    if word_runs >= TEXT_RUNS or long_run:
        text, in_text = sentence_digits(kept, items, word, lb[on_line, 3])
        word |= text
        figures |= in_text
    return word, figures & ~word


# A printed label and its printed number ("Item 3920", "Qty: 12", "250 kWh") are set one typed
# space apart, far narrower than a handwritten number's space (space_factor) and than WORD_GAP:
# the word's run took the figures with it, and the whole line read nothing. A run that would be
# a word is split at its widest gap (between clusters of overlapping items: a digit overlaps its
# own stroke among the line's marks) when that gap is TYPED_SPACE line heights or more. The
# part beyond it is the word's figures, not the word, when the other part holds the run's
# printed letters and it holds none, only digits read surely (WORD_MEAN_CONFIDENCE on average)
# and all of one height (FIGURES_EVEN: "only" read "014", its "o" 12 px and its "l" 15). These
# tests, not the gap, tell figures from the lookalike letters of the next word of a sentence
# ("Total" in "Total to pay", unsure). The group model must agree that the figures are a
# number (FIGURES_TEXT: "by" after "taken" read "64", sure and even). A group of digits (whose
# boxes do not overlap) is split where its widest gap is also TYPED_SPACE_RATIO times its other
# gaps (their median, 1 px at least): a printed word's letters stand a few px apart (see
# typed_space, typed_space_parts).
TYPED_SPACE = 0.2
TYPED_SPACE_RATIO = 3.0
FIGURES_EVEN = 0.85
# A handwritten number written right after its label ("Qty:12", 0.1-0.3 digit heights on):
# its digits stand as far apart as it stands from the word (h/8 to h/3), so the widest gap may
# fall inside the number, and its first digits went with the word ("Mark 95725" read "25").
# The gap just past the word's printed letters (before them, for a number before its word) is
# tried first, where it is LETTER_EDGE_GAP line heights or more, wider than every gap within
# the word's side and with two clusters or more beyond it: `--words --word-gap 0.1,0.3` 58.5 ->
# 76.5 % (fresh seeds 1000-1199: 61.0 -> 76.0 %), the printed and 0.3-0.5 probes the same (at
# 0.1 a printed "Tel" lost its "l" to the figures; without the two tests a sentence's last
# "l" and the "I" of "Invoice" stayed as 1s on three forms pages).
LETTER_EDGE_GAP = 0.15


def typed_space(gaps: list[float], height: float) -> int | None:
    """Index of the gap (of `gaps`, left to right) that is a typed space among letters or
    figures `height` px tall (see TYPED_SPACE), or None."""
    if not gaps:
        return None
    k = max(range(len(gaps)), key=gaps.__getitem__)
    others = gaps[:k] + gaps[k + 1:]
    usual = max(1.0, ln.median_of(others)) if others else 1.0
    if gaps[k] >= TYPED_SPACE * height and gaps[k] >= TYPED_SPACE_RATIO * usual:
        return k
    return None


def printed_figures(items, run, kept, line_h: float) -> list:
    """item_runs' `run` (digit indices, letter units, (left, right)) of word_digits' `items`,
    as [word part, figures part] where a gap in it is the space between a printed word and its
    figures (the gap just past the word's letters, see LETTER_EDGE_GAP, else the widest, see
    TYPED_SPACE), else [run]."""
    _, _, (left, right) = run
    # (the items overlap, a digit and its own stroke among the line's marks: the gaps are
    # those between clusters of overlapping items)
    clusters: list[tuple[float, float, list]] = []
    for item in (item for item in items if left <= item[0] and item[1] <= right):
        if clusters and item[0] < clusters[-1][1]:
            a, b, members = clusters[-1]
            clusters[-1] = (a, max(b, item[1]), members + [item[2]])
        else:
            clusters.append((item[0], item[1], [item[2]]))
    if len(clusters) < 2:  # (item_runs yields empty runs too)
        return [run]
    gaps = [after[0] - before[1] for before, after in zip(clusters, clusters[1:], strict=False)]
    # (where the gap falls: just past the word's printed letters first, then the widest)
    lettered = [i for i, c in enumerate(clusters) if _LETTER in c[2]]
    if not lettered:  # (a run that would be a word holds a letter unit; kept for safety)
        return [run]
    after, before = lettered[-1], lettered[0] - 1
    candidates = [k for k, inner, bare in ((after, gaps[:after], clusters[after + 1:]),
                                           (before, gaps[before + 1:], clusters[:before + 1]))
                  if 0 <= k < len(gaps) and gaps[k] >= LETTER_EDGE_GAP * line_h
                  and gaps[k] > max(inner, default=0.0) and len(bare) >= 2]
    widest = max(range(len(gaps)), key=gaps.__getitem__)
    if gaps[widest] >= TYPED_SPACE * line_h:
        candidates.append(widest)
    for k in candidates:
        parts = [(sorted({j for c in part for j in c[2] if j >= 0}),
                  sum(j == _LETTER for c in part for j in c[2]), (part[0][0], part[-1][1]))
                 for part in (clusters[:k + 1], clusters[k + 1:])]
        worded = [part for part in parts if part[1]]
        bare = [part for part in parts if not part[1] and part[0]]
        if len(worded) != 1 or len(bare) != 1:
            continue
        figures = bare[0][0]
        heights = [kept[j][2][3] for j in figures]
        if (np.mean([kept[j][1] for j in figures]) < WORD_MEAN_CONFIDENCE
                or min(heights) < FIGURES_EVEN * max(heights)):
            continue
        return [worded[0], bare[0]]
    return [run]


# A letter between the digits of a number is a sign, not a word: "3x4", an "x" the letter
# model calls a letter and the digit model an unsure 4, made the whole run a printed word, and
# the line read nothing (the same written "3 x 4", the x alone in its run, read "3 4"); in
# "12x45", among four sure digits, it stayed as an "8". In a run with one letter unit, the
# digits read from that unit alone go, and the others stay, when they stand on both sides of
# it, read sure (WORD_MEAN_CONFIDENCE on average) and the nearest on each side is at least
# 1 / INFIX_SHORT times its height: an x-height sign between figures. (A printed word's letter
# stands among letters of its own height or at the word's start: without these tests "No"
# before a number read "0", the N gone and the o kept, on 13 of 200 tuning words pages.)
# Script-font probes "3x4", "12x45", "2x3" (four seeds each): the sign left out in 0 -> 10 of
# 12 (6 of them read nothing before); handwritten x's mostly read as sure 8s and 4s, which the
# letter model is not asked about (8 -> 10 of 96 read right). It fired on no page of the
# tuning sets (ORAND training, synthetic 5000-5599 and 6000-6399, forms 5000-5299, words
# 5000-5199) nor of 400 fresh words pages (20000-20399) and 200 fresh forms (10000-10199).
INFIX_SHORT = 0.75


def read_from(letter: tuple[float, float], run: list[int], along: np.ndarray,
              half: np.ndarray) -> list[int]:
    """The digits of `run` (indices, `along` their centres, `half` their half widths) read from
    a letter unit (`letter`: its left and right along the line): those overlapping it over half
    their width."""
    l0, l1 = letter
    return [j for j in run if min(l1, along[j] + half[j]) - max(l0, along[j] - half[j]) >= half[j]]


def infix_symbol(kept, run: list[int], along: np.ndarray, half: np.ndarray,
                 letter: tuple[float, float]) -> list[int]:
    """The digits of word_digits' `run` (indices into `kept`) read from its one printed letter's
    unit (`letter`: its left and right along the line; a digit overlapping it over half its
    width), when that letter is a sign between the run's other digits (see INFIX_SHORT); else
    []."""
    on_letter = read_from(letter, run, along, half)
    others = [j for j in run if j not in on_letter]
    if not (on_letter and others and min(others) < min(on_letter) and max(others) > max(on_letter)):
        return []
    before = max(j for j in others if j < min(on_letter))
    after = min(j for j in others if j > max(on_letter))
    sign_h = max(kept[j][2][3] for j in on_letter)
    if sign_h > INFIX_SHORT * min(kept[before][2][3], kept[after][2][3]):
        return []
    if np.mean([kept[j][1] for j in others]) < WORD_MEAN_CONFIDENCE:
        return []
    return on_letter


# A line with this many printed words on it is a printed sentence (a form's text, not a label
# beside a number): its letters that read as sure digits ("Total" in "Total amount due": T, o,
# a, l; "this" in "due this month") are left out with it (sentence_digits).
TEXT_RUNS = 2
# ... and so is one run of TEXT_LETTERS printed letters or more, TEXT_LENGTH line heights long
# or more: a sentence whose word spaces fell under WORD_GAP (its sure-digit letters, "52" from
# "... total", had stayed). A label is shorter: "Weight" is under 5 line heights long, and
# without the length test "Weight 72" and "Km/h 5412" read nothing (fresh words pages
# 20000-20399: 89.2 % against 89.8 % with it or without the rule). Tuning forms 84.7 -> 85.7 %
# (3 fixed, none broken; 6 line heights: 86.0 %, 10: 85.7 %; 3 to 6 letters the same).
TEXT_LETTERS = 3
TEXT_LENGTH = 8.0
TEXT_GAP = 0.8     # x the sentence's tallest letter: wider than a word space
TEXT_TALLER = 1.15  # a digit this much taller than the sentence's letters is no letter of it
# A line of labels and their values ("Room 12   Floor 3", printed or written at the print's
# size) holds two printed words: a sentence, whose runs took the values with them. A run's
# figures past its label (printed_figures, in the sentence's letter height) stay where they
# are at least FIGURES_TALL x its tallest letter (figures stand as tall as capitals; a word of
# x-height lookalikes, "was" or "ace", does not), and the group model is asked about them
# (FIGURES_TEXT: "by" in "taken by" read "64", 0.80 text). Two label-value pairs on one line
# (100 probes, OpenCV's faces): handwritten values 93 -> 99 right, printed 67 -> 92; the
# 4,420 standing, tuning and fresh pages read the same.
FIGURES_TALL = 0.9


def sentence_digits(kept, items, word: np.ndarray, letter_heights: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per digit of a line that holds a printed sentence (TEXT_RUNS words, see word_digits):
    (is it a letter of that sentence?, is it one of a label's figures in it?). Its letters are
    those no taller than TEXT_TALLER x its tallest letter, in runs (swept over `items` as
    word_digits does, up to gaps of TEXT_GAP x that height, a taller digit ending a run) that
    hold a printed letter or a word digit; but for a label's figures, set after it
    (printed_figures) and as tall as its capitals (FIGURES_TALL)."""
    heights = np.array([k[2][3] for k in kept], np.float64)
    text_h = float(max(letter_heights.max(initial=0.0), heights[word].max(initial=0.0)))
    small = heights <= TEXT_TALLER * text_h
    text = np.zeros(len(kept), bool)
    figures = np.zeros(len(kept), bool)
    for whole in item_runs(items, TEXT_GAP * text_h, lambda j: not small[j]):
        run, letters, _ = whole
        if letters or word[run].any():
            text[run] = True
            if letters:  # (a field's label and its figures: "Room 12   Floor 3")
                parts = printed_figures(items, whole, kept, text_h)
                if len(parts) > 1 and heights[parts[1][0]].min() >= FIGURES_TALL * text_h:
                    text[parts[1][0]] = False
                    figures[parts[1][0]] = True
    return text, figures


def item_runs(items, gap: float, breaks=None):
    """Runs of word_digits' items ((left, right, digit index or _LETTER / _STROKE), sorted by
    left end), swept left to right: a run ends at a gap of `gap` or more, and at a digit
    `breaks(index)` calls no part of it (left out). Yields (its digit indices, how many
    letter units it holds, (its left end, its right end))."""
    run: list[int] = []
    run_left, run_right, letters = np.inf, -np.inf, 0
    for left, right, j in items + [(np.inf, np.inf, _STROKE)]:  # (the last run ends too)
        barrier = j >= 0 and breaks is not None and breaks(j)
        if left - run_right >= gap or barrier:
            yield run, letters, (run_left, run_right)
            run, run_left, run_right, letters = [], np.inf, -np.inf, 0
            if barrier:
                continue
        if j >= 0:
            run.append(j)
        letters += j == _LETTER
        run_left, run_right = min(run_left, left), max(run_right, right)


def with_unread_letters(line_letters, reported: list) -> list[tuple[int, int, int, int]]:
    """`reported` (the printed words' boxes x, y, w, h) grown over the letter units read whole
    (`line_letters`: per line, their boxes left to right) that stand within WORD_GAP of their
    height beside one, the others boxed one per run of such neighbours: a word, or the part of
    one, whose letters the digit model read as no digit at all, so that word_boxes found no
    digits of it to box."""
    out = [tuple(int(v) for v in b) for b in reported]

    def near(a, b) -> bool:  # (side by side along x, within the gap, rows shared)
        gap = max(a[0], b[0]) - min(a[0] + a[2], b[0] + b[2])
        return (gap <= WORD_GAP * max(a[3], b[3])
                and a[1] < b[1] + b[3] and b[1] < a[1] + a[3])

    for letters in line_letters:
        for box in (tuple(int(v) for v in b) for b in letters):
            k = next((k for k, r in enumerate(out) if near(box, r)), None)
            if k is None:
                out.append(box)
                continue
            out[k] = sg.union_box([out[k], box])
    return out


def word_boxes(kept, word: np.ndarray, letter_boxes: np.ndarray) -> list[tuple[int, int, int, int]]:
    """One box (x, y, w, h, working px) per run of word digits (word_digits), grown over the
    printed letters' units it overlaps."""
    boxes = []
    j = 0
    while j < len(kept):
        if not word[j]:
            j += 1
            continue
        k = j
        while k + 1 < len(kept) and word[k + 1]:
            k += 1
        xs = [b for _, _, b in kept[j:k + 1]]
        x0, y0 = min(b[0] for b in xs), min(b[1] for b in xs)
        x1, y1 = max(b[0] + b[2] for b in xs), max(b[1] + b[3] for b in xs)
        for lx, ly, lw, lh in letter_boxes.tolist():
            if lx < x1 and x0 < lx + lw and ly < y1 and y0 < ly + lh:
                x0, y0, x1, y1 = min(x0, lx), min(y0, ly), max(x1, lx + lw), max(y1, ly + lh)
        boxes.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
        j = k + 1
    return boxes


# A sentence whose letters ran together (small or blurred print) leaves its last word as a blob
# cut into unsure digits before the number written after it on its line ("00 871563"): a
# group of digits (between spaces) read at a mean confidence under REMNANT_CONFIDENCE, no
# taller than REMNANT_PRINT x the page's tallest printed letter unit, with a group at least
# REMNANT_TALLER times its height after it on the line, is print. (Only before a taller
# group: a cheque's small cents come after the amount.) Tuning forms 5000-5299 82.3 ->
# 84.7 % (7 fixed, none broken; 1.5 x as tall, or confidence 0.95 with 1.6 x the print, read
# the same, 2.2 x or 0.6 one fewer); with no print-height limit, on every page, it changed
# none of 2,400 fresh handwritten pages (12000-14399), as it is applied only on pages with
# printed letters.
REMNANT_TALLER = 1.8
REMNANT_CONFIDENCE = 0.8
REMNANT_PRINT = 1.25


def digit_groups(spaces: np.ndarray, n: int) -> list[range]:
    """A line's groups of digits between spaces, as index ranges (left to right)."""
    starts = [0] + [j + 1 for j in np.flatnonzero(spaces).tolist()]
    return [range(a, b) for a, b in zip(starts, starts[1:] + [n], strict=True)]


# The group model is asked about a group of one digit only where a printed word was found on
# the page, or where that digit is under LONE_ASKED_HEIGHT x its line's usual digit height: the
# capital of a word whose small letters the line left out ("S" of "Score" beside 55 px digits,
# read as a 5: tuning form 5215). It tells print by letters side by side (even strokes, one
# baseline), and a lone digit between spaces is a third of a busy page's groups (~1 ms of it).
LONE_ASKED_HEIGHT = 0.75
# Nor is a group of several digits asked, on a page where no printed word has been found yet,
# when the digit model reads every one of them at SURE_GROUP_DIGIT or more (its top reading is
# 255/256): a printed word nearly always holds a letter that reads as no digit surely ("Total":
# 0.88, 0.996, 0.07, 0.996, 0.74). On the tuning sets (forms 5000-5299, words 5000-5199,
# synthetic 5000-5599 and 6000-6399, ORAND training) that leaves out 4,434 of the 7,216
# groups asked: none of the 25 printed ones the model flags, and one handwritten "71" it
# wrongly flagged (synthetic 5129, now read right, as is fresh page 7173's "51"). Speed pages:
# 11 of 12 groups of page 1072 no longer asked, ~0.9 ms. The printed capitals O, S and B
# read as sure 0, 5 and 8, so a group of WORD_LIKE_DIGITS alone is still asked: without that,
# a probe of 900 printed words of digit-like letters beside handwritten numbers ("SOS",
# "BOSS", "SOIL", "ZOO", "Bill"...) read 19 of them as digits ("505", "8055", "50"), all made
# of 0s, 5s and 8s; with it, none (and 4,185 of the 7,216 tuning groups are still left out).
SURE_GROUP_DIGIT = 0.995
WORD_LIKE_DIGITS = frozenset({0, 5, 8})


def worth_asking(group: range, kept, words, usual: float | None = None) -> bool:
    """Is this group of a line's digits `kept` (label, confidence, box) worth asking the group
    model about? (See LONE_ASKED_HEIGHT, SURE_GROUP_DIGIT and WORD_LIKE_DIGITS; `words`: the
    printed words found so far; `usual`: the median height of the line's digits, if known.)"""
    if words:
        return True
    if len(group) > 1:
        return (any(kept[j][1] < SURE_GROUP_DIGIT for j in group)
                or all(kept[j][0] in WORD_LIKE_DIGITS for j in group))
    if usual is None:
        usual = ln.median_of([box[3] for _, _, box in kept])
    return kept[group[0]][2][3] < LONE_ASKED_HEIGHT * usual


# The group model knows printed text from a number, but it was not trained on a group that is
# both ("Total 480" set with a typed space, one group of "digits": 0.29 text). Such a group, split
# at its typed space (TYPED_SPACE, in the group's usual height), is judged by its parts: each
# part called text at group_confidence goes. A lone part goes too, where the whole was called
# text, unless the model is sure it is a number (under LONE_FIGURE: a lone figure read 0.000
# on the printed probes, an "s" split off "Notes" 0.039). A printed word's figures (see
# printed_figures) go where it calls them text at FIGURES_TEXT ("by" read "64": 0.80).
FIGURES_TEXT = 0.5
LONE_FIGURE = 0.01


def typed_space_parts(group: range, kept) -> list[range]:
    """The two parts of a line's group of digits (`kept`: label, confidence, box) either side
    of a typed space (see typed_space), or []."""
    gaps = [kept[j + 1][2][0] - (kept[j][2][0] + kept[j][2][2]) for j in group[:-1]]
    k = typed_space(gaps, ln.median_of([kept[j][2][3] for j in group]))
    if k is None:
        return []
    return [range(group.start, group.start + k + 1), range(group.start + k + 1, group.stop)]


def print_remnants(kept, spaces: np.ndarray, letter_h: float) -> np.ndarray:
    """Per digit of a line: is it in a group left of a much taller group, read unsure and no
    taller than the page's print?"""
    out = np.zeros(len(kept), bool)
    groups = digit_groups(spaces, len(kept))
    if len(groups) < 2:
        return out
    heights = np.array([b[3] for _, _, b in kept], np.float64)
    conf = np.array([c for _, c, _ in kept], np.float64)
    medians = [float(np.median(heights[g])) for g in groups]
    for gi, g in enumerate(groups[:-1]):
        tallest = heights[g].max()
        later = max(medians[gi + 1:])
        if (later >= REMNANT_TALLER * tallest and conf[g].mean() < REMNANT_CONFIDENCE
                and tallest <= REMNANT_PRINT * letter_h):
            out[g] = True
    return out


def without_words(kept, spaces: np.ndarray, word: np.ndarray):
    """A line's digits (left to right) and the spaces between them, less those read from a
    printed word (`word`, see word_digits) -> (kept, spaces); where a word stood between two
    digits left, there is a space."""
    if not word.any():
        return kept, spaces
    out, gaps, gone = [], [], False
    for j, k in enumerate(kept):
        if word[j]:
            gone = True
            continue
        if out:
            gaps.append(bool(gone or spaces[j - 1]))
        out.append(k)
        gone = False
    return out, np.array(gaps, bool)


def line_spaces(kept, along: np.ndarray, line_h: float, space_factor: float,
                marks: np.ndarray | None = None) -> np.ndarray:
    """Per gap between neighbouring digits of a line (left to right): is it a space?"""
    widths = np.array([b[2] for _, _, b in kept], np.float64)
    return ln.space_after(along - widths / 2, along + widths / 2, line_h, space_factor,
                          marks=marks)


# What is left of a component digits were cut from lies this low on its nearest digit (0 its
# middle, 0.5 its foot): a stub of the ruled line the digits stand on, running across the
# space after them (a rule that strip_lines missed), not a digit's own stroke (a 5's bar).
STUB_LOW = 0.25


def unread_strokes(units: list[int], comps, used: set[int], extents) -> np.ndarray | None:
    """(left, right along the line, height) of the line's components no digit was read from
    (m x 3), or None without `extents`."""
    if extents is None:
        return None
    unread = [u for u in units if int(comps.ids[u]) not in used]
    out = np.zeros((len(unread), 3), np.float64)
    if unread:
        out[:, :2] = extents[unread]
        out[:, 2] = comps.boxes[unread, 3]
    return out


# Printed text whose letters the digit model rejects one by one leaves the odd letter it reads
# as a sure digit (the "s" of "this" as a 5, the "y" of "clearly" as a 4), which the letter
# model, not asked about sure digits, cannot flag; it came back before the number on its
# line ("5 301"). Such a digit stands in a run of letter-sized strokes no digit was read
# from: at least PRINT_STROKES of them and PRINT_SHARE times as many as the run's digits,
# the strokes within 0.5-2x their median height ("print height", of the line's strokes at
# least PRINT_MIN_REL of its tallest item), gaps under PRINT_GAP print heights, and a digit
# more than PRINT_TALLER print heights tall ending a run (handwriting beside the print).
# Tuning forms 5000-5299 79.7 -> 81.3 % (5 fixed, 6 more read closer, none broken; 3, 4 or
# 5 strokes, a share of 2 or 3, a gap of 1.0 or 1.4 read the same); applied to every line of
# every page (not only pages with printed letters, as it is) it changed none of synthetic
# 5000-5599, the ORAND training cheques and 2,400 fresh pages 12000-14399.
PRINT_STROKES = 4
PRINT_SHARE = 3
PRINT_GAP = 1.0
PRINT_TALLER = 1.6
PRINT_MIN_REL = 0.25


def digits_in_print(kept, along: np.ndarray, strokes: np.ndarray | None) -> np.ndarray:
    """Per digit of a line (left to right, `along` its centres): is it a letter of printed
    text whose other letters were read as no digit? `strokes`: the line's components no digit
    was read from, (left, right along the line, height) rows (unread_strokes)."""
    text = np.zeros(len(kept), bool)
    if strokes is None or len(strokes) < PRINT_STROKES or not len(kept):
        return text
    heights = np.array([k[2][3] for k in kept], np.float64)
    line_h = max(float(heights.max()), float(strokes[:, 2].max()))
    sized = strokes[strokes[:, 2] >= PRINT_MIN_REL * line_h]
    if len(sized) < PRINT_STROKES:
        return text
    print_h = float(np.median(sized[:, 2]))
    letters = sized[(sized[:, 2] >= 0.5 * print_h) & (sized[:, 2] <= 2 * print_h)]
    half = np.array([k[2][2] for k in kept], np.float64) / 2
    items = [(c - hw, c + hw, j) for j, (c, hw) in enumerate(zip(along, half, strict=True))]
    items += [(float(a), float(b), _LETTER) for a, b, _ in letters]
    items.sort()
    for run, n_strokes, _ in item_runs(items, PRINT_GAP * print_h,
                                    lambda j: heights[j] > PRINT_TALLER * print_h):
        if run and n_strokes >= PRINT_STROKES and n_strokes >= PRINT_SHARE * len(run):
            text[run] = True
    return text


def free_units(units: list[int], comps, used: set[int], kept, tilt: float) -> list[int]:
    """The line's components that may split a gap (ln.space_after): those no digit was read
    from (full stops, a 5's loose bar) and those whose ink left over by its digits is not a
    rule's stub lying along the digits' feet."""
    boxes = [b for _, _, b in kept]
    # (most components lie inside one digit's box: nothing of them is left over, and the
    # digits' centres are only needed for the others)
    ids = comps.listed[0]
    leftover = [u for u in units if ids[u] in used and not inside_a_box(comps, u, boxes)]
    if not leftover:
        return list(units)
    centres = ln.derotate(box_centres(kept), tilt)
    stubs = {u for u in leftover if rule_stub(comps, u, boxes, centres, tilt)}
    return [u for u in units if u not in stubs]


def inside_a_box(comps, u: int, boxes) -> bool:
    """Does component u lie wholly inside one of `boxes`?"""
    x, y, w, h = comps.listed[1][u]
    return any(bx <= x and by <= y and x + w <= bx + bw and y + h <= by + bh
               for bx, by, bw, bh in boxes)


def rule_stub(comps, u: int, boxes, centres: np.ndarray, tilt: float) -> bool:
    """Is the ink of component u outside the line's digit boxes low on the nearest digits?
    (None left over, as for a component inside one box: no.)"""
    x, y, w, h = map(int, comps.boxes[u].tolist())
    left = comps.own_mask(u).copy()
    for bx, by, bw, bh in boxes:
        left[max(0, by - y):max(0, by + bh - y), max(0, bx - x):max(0, bx + bw - x)] = False
    ys, xs = np.nonzero(left)
    if not len(xs):
        return False
    p = ln.derotate(np.stack([xs + x + 0.5, ys + y + 0.5], axis=1).astype(np.float64), tilt)
    near = np.argmin(np.abs(p[:, 0:1] - centres[None, :, 0]), axis=1)
    heights = np.array([b[3] for b in boxes], np.float64)[near]
    rel = (p[:, 1] - centres[near, 1]) / heights
    return float(np.median(rel)) >= STUB_LOW


def boxes_outside(boxes: np.ndarray, outer) -> np.ndarray:
    """The rows of `boxes` (k x 4: x, y, w, h) that lie inside none of the boxes `outer`."""
    inside = np.zeros(len(boxes), bool)
    for x, y, w, h in outer:
        inside |= ((boxes[:, 0] >= x) & (boxes[:, 1] >= y) & (boxes[:, 0] + boxes[:, 2] <= x + w)
                   & (boxes[:, 1] + boxes[:, 3] <= y + h))
    return boxes[~inside]


def letters_beside(box, letters: np.ndarray, reach: float) -> bool:
    """Does a box of `letters` (k x 4) other than those inside `box` stand beside it: at most
    `reach` px from it along the row, overlapping its rows?"""
    x, y, w, h = box
    others = boxes_outside(letters, [box])
    gap = np.maximum(others[:, 0] - (x + w), x - (others[:, 0] + others[:, 2]))
    rows = (others[:, 1] < y + h) & (others[:, 1] + others[:, 3] > y)
    return bool(((gap <= reach) & rows).any())


def with_breaks(spaces: np.ndarray, along: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """`spaces` (per gap between a line's digits, at `along`, left to right) with a space in
    every gap a break (a times sign's centre along the line) stands in."""
    gaps = np.searchsorted(along, breaks) - 1
    spaces = spaces.copy()
    spaces[gaps[(gaps >= 0) & (gaps < len(spaces))]] = True
    return spaces


def box_centres(kept) -> np.ndarray:
    """(label, confidence, box) records -> n x 2 centres (x, y) of their boxes."""
    return np.array([[x + w / 2, y + h / 2] for _, _, (x, y, w, h) in kept], np.float64)


def small_line_in_doubt(line_digits: list[Digit], scale: float) -> bool:
    """Is a read line's writing small (SMALL_LINE_H working px) with a digit in doubt
    (SMALL_LINE_UNSURE)?"""
    if not line_digits:
        return False
    height = float(np.median([d.box[3] for d in line_digits])) * scale
    return (height < SMALL_LINE_H
            and min(float(d.confidence) for d in line_digits) < SMALL_LINE_UNSURE)


def line_bands(line_digits: list[list[Digit]], keys: list[int], scale: float, height: int
               ) -> list[tuple[tuple[int, int], list[int]]]:
    """Working-pixel rows (top, bottom) of the band each line is read again from (its digits'
    rows and SMALL_LINE_BAND more each side, within `height`), bands that overlap as one ->
    [((top, bottom), the keys of its lines)], top to bottom."""
    spans = sorted((max(0, int(min(d.box[1] for d in mine) * scale - SMALL_LINE_BAND)),
                    min(height, int(np.ceil(max(d.box[1] + d.box[3] for d in mine) * scale
                                            + SMALL_LINE_BAND))), key)
                   for mine, key in zip(line_digits, keys, strict=True))
    bands: list[tuple[tuple[int, int], list[int]]] = []
    for top, bottom, key in spans:
        if bands and top < bands[-1][0][1]:
            (first, last), members = bands[-1]
            bands[-1] = ((first, max(last, bottom)), members + [key])
        else:
            bands.append(((top, bottom), [key]))
    return bands


def line_again(first: list[Digit], lines: list[str], digits: list[Digit]
               ) -> tuple[str, list[Digit]] | None:
    """The line of a second reading (`lines`, `digits`, boxes in the same pixels) that is the
    line of `first` (the first reading's digits of it): the one holding most of their
    centres, without the digits off its course (SMALL_LINE_REACH) -> (its string, its digits
    left to right) or None when it holds none of them or fewer digits than `first`."""
    boxes = [d.box for d in first]

    def inside(d: Digit) -> bool:
        cx, cy = digit_centre(d)
        return any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in boxes)

    votes: dict[int, int] = {}
    for d in digits:
        if inside(d):
            votes[d.line] = votes.get(d.line, 0) + 1
    if not votes:
        return None
    best = max(votes, key=lambda k: votes[k])
    found = sorted((d for d in digits if d.line == best), key=lambda d: d.box[0])
    on = on_course(first, found)
    kept = [d for d, ok in zip(found, on, strict=True) if ok]
    if len(kept) < len(first):
        return None  # (a digit lost at 2x: the first reading found it, see SMALL_LINE_H)
    return without_digits(lines[best], on), kept


def on_course(first: list[Digit], found: list[Digit]) -> list[bool]:
    """Per digit of `found`: does it lie along the line of `first`, at most SMALL_LINE_REACH
    line heights before or after its digits and off the straight line through their centres?"""
    if not found:
        return []
    h = float(np.median([d.box[3] for d in first]))
    cx, cy = np.array([digit_centre(d) for d in first], np.float64).T
    x, y = np.array([digit_centre(d) for d in found], np.float64).T
    # (the line through the first reading's centres, level where they share one column)
    course = order_stats.fit_at(cx, cy, 1, x) if np.ptp(cx) > 0 else np.full(len(x), cy.mean())
    left = min(d.box[0] for d in first) - SMALL_LINE_REACH[0] * h
    right = max(d.box[0] + d.box[2] for d in first) + SMALL_LINE_REACH[0] * h
    on = (x >= left) & (x <= right) & (np.abs(y - course) <= SMALL_LINE_REACH[1] * h)
    return on.tolist()


def digit_centre(d: Digit) -> tuple[float, float]:
    """The centre (x, y) of a digit's box."""
    x, y, w, h = d.box
    return x + w / 2, y + h / 2


def without_digits(text: str, keep: list[bool]) -> str:
    """A line's string (digits, single spaces) less its digits whose `keep` is False; a group
    left empty takes its space with it."""
    flags = iter(keep)
    groups = ["".join(ch for ch in group if next(flags)) for group in text.split(" ")]
    return " ".join(g for g in groups if g)


def _to_input(box, scale: float, shape) -> tuple[int, int, int, int]:
    """Working-pixel box -> input-pixel box, clipped to the image."""
    x, y, w, h = box
    if scale != 1.0:
        x0, y0 = int(np.floor(x / scale)), int(np.floor(y / scale))
        x1, y1 = int(np.ceil((x + w) / scale)), int(np.ceil((y + h) / scale))
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(shape[1], x1), min(shape[0], y1)
        return x0, y0, max(1, x1 - x0), max(1, y1 - y0)
    return int(x), int(y), int(w), int(h)


class _Clock:
    def __init__(self, timings: dict[str, float]):
        self.timings = timings
        self.start = self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        """Add the time since the last lap to stage `name` (stages may run in several parts)."""
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + (now - self.last) * 1000.0
        self.last = now

    def total(self) -> dict[str, float]:
        self.timings["total"] = (time.perf_counter() - self.start) * 1000.0
        return self.timings

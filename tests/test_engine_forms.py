"""Numbers on printed forms (realtime.synth.form_page): the generator, its scoring, and the
engine's rules that leave a form's printed sentences out (reader.printed_line(s),
sentence_digits)."""
from __future__ import annotations

import numpy as np
import pytest

import realtime.reader as rd
from realtime.evaluate import evaluate_forms
from realtime.synth import form_page
from tests.engine_helpers import AnswerReader


def test_form_page_is_reproducible_and_its_truth_is_the_handwritten_numbers():
    a, truth = form_page(7)
    b, truth_b = form_page(7)
    assert np.array_equal(a, b) and truth == truth_b
    assert a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8
    assert 1 <= len(truth) <= 4 and all(t.isdigit() and 2 <= len(t) <= 7 for t in truth)
    others = {tuple(form_page(s)[1]) for s in range(8, 14)}
    assert len(others) == 6  # seeds differ


def test_form_page_prints_text_beside_the_handwriting():
    """The page holds more ink than the handwriting: the printed sentences (with_hand gives the
    handwriting's ink alone, through the same camera)."""
    image, truth, hand = form_page(3, with_hand=True)
    assert hand.shape == image.shape[:2] and hand.max() > 0.5
    paper = np.median(image.min(axis=2))
    dark = image.min(axis=2) < paper - 60
    printed = dark & (hand < 0.05)
    assert printed.sum() > max(500, 0.05 * (dark & (hand > 0.5)).sum())


def test_form_page_never_writes_a_truth_digit_off_the_page(monkeypatch):
    """Page 5277 (a 720 px wide page whose first number did not fit) had its last digit cut by
    the page edge until 2026-12-05 21:40; a first block that does not fit keeps the digits that
    do."""
    import realtime.synth as sy
    cut = []
    paste = sy.paste_max

    def checked(canvas, glyph, x, y):
        if x < 0 or y < 0 or x + glyph.shape[1] > canvas.shape[1] or y + glyph.shape[0] > canvas.shape[0]:
            cut.append((x, y))
        return paste(canvas, glyph, x, y)

    monkeypatch.setattr(sy, "paste_max", checked)
    for seed in (5261, 5277):
        assert form_page(seed)[1]
    assert not cut


def test_only_the_numbers_line_by_line_count_as_read():
    truths = {form_page(s)[0].tobytes(): form_page(s)[1] for s in range(3)}
    right = evaluate_forms(AnswerReader(truths), n=3, progress=False)
    assert right.score.exact == 3 and right.score.cer == 0 and not right.errors
    # a printed sentence read as a line of digits is an error, and so is a number read short
    leaky = {k: ["7021"] + v for k, v in truths.items()}
    wrong = evaluate_forms(AnswerReader(leaky), n=3, progress=False)
    assert wrong.score.exact == 0 and len(wrong.errors) == 3 and wrong.score.line_count_ok == 0
    short = {k: [v[0][:-1]] + v[1:] for k, v in truths.items()}
    assert evaluate_forms(AnswerReader(short), n=3, progress=False).score.exact == 0


# ---- printed_line --------------------------------------------------------------------------------

def test_a_line_of_unsure_digits_with_letters_among_them_is_printed_text():
    conf = np.array([0.4, 0.7, 0.9, 0.3, 0.6, 1.0])
    assert rd.printed_line(conf, [0.6, 0.9, 0.1, 0.0, 0.2])


@pytest.mark.parametrize("conf, letters, why", [
    ([0.99, 0.98, 0.95, 0.9, 0.7, 0.9], [0.6, 0.9], "digits read surely on the whole"),
    ([0.4, 0.7, 0.9, 0.3, 0.6, 1.0], [0.6, 0.1, 0.2], "one letter alone"),
    ([0.4, 0.7, 0.9, 0.3, 0.6, 1.0, 0.5, 0.5], [0.6, 0.9], "two letters among eight units"),
    ([], [], "no units"),
])
def test_a_line_is_not_printed_text(conf, letters, why):
    assert not rd.printed_line(np.array(conf), letters), why


def test_small_print_of_the_pages_printed_size_is_printed_text_with_one_letter():
    """A form prints its sentences in one size: a line about as tall as a printed line (here
    14 and 15 px, or 19 px: "sort code" has no capital) with one letter among unsure digits is
    print too; a taller line (a handwritten number, 40 px; 22 px is more than
    PRINT_HEIGHT_TOLERANCE above 14) or a line of sure digits is not, and without a printed
    line nothing is."""
    sentence = (np.array([0.4, 0.7, 0.9, 0.3, 0.6, 1.0]), [0.6, 0.9, 0.1])
    small = (np.array([0.5, 0.9, 0.7, 0.6]), [0.8, 0.1])
    sure = (np.array([1.0, 0.99, 1.0]), [0.8])
    lines = [sentence, small, small, sure, small, small]
    heights = [14.0, 15.0, 40.0, 14.5, 19.0, 22.0]
    got = rd.printed_lines(heights, [c for c, _ in lines], [pl for _, pl in lines])
    assert got == [True, True, False, False, True, False]
    assert rd.printed_lines(heights[1:], [c for c, _ in lines[1:]],
                            [pl for _, pl in lines[1:]]) == [False] * 5


# ---- sentence_digits (through word_digits) --------------------------------------------------------

def _kept(*units):
    """Digits of one line from (left edge, height, confidence): (label, confidence, box)."""
    return [(1, conf, (x, 40 - h, 10, h)) for x, h, conf in units]


def _along(kept):
    return np.array([b[0] + b[2] / 2 for _, _, b in kept], np.float64)


def test_a_sentence_takes_its_lookalike_letters_with_it_but_not_a_taller_number():
    """ "Tota amount due ... 1234": the letter units of two words (x 40-60 and 90-110) make
    the line a sentence; "Tota" (x 0-32, sure digits of the text's height, a word space
    before "amount") goes with it; the handwritten number after it, twice as tall, stays."""
    text = [(0, 20, 0.99), (11, 14, 0.99), (22, 20, 0.99)]
    number = [(150, 40, 0.99), (162, 40, 0.99), (174, 40, 0.99)]
    kept = _kept(*text, *number)
    letters = np.array([[40, 20, 10, 20], [51, 26, 10, 14], [90, 26, 10, 14],
                        [101, 20, 10, 20]])
    word = rd.word_digits(kept, _along(kept), 30.0, 20.0, 0.0, letters)
    assert word.tolist() == [True, True, True, False, False, False]
    # one printed word alone is a label, not a sentence: the sure digits before it stay
    label = letters[:2]
    word = rd.word_digits(kept, _along(kept), 30.0, 20.0, 0.0, label)
    assert word.tolist() == [False] * 6


def test_one_long_run_with_three_printed_letters_is_a_sentence_too():
    """A sentence whose word spaces are narrower than WORD_GAP is one run: with TEXT_LETTERS
    letter units in it and TEXT_LENGTH line heights long, its sure-digit letters after it
    ("... total" read "52", an ascender's height and an x-height: no label's figures, see
    test_engine_printed) go with it. A label as short as "Weight" (5 letters here) is no
    sentence, and the number written 9 px after it (over WORD_GAP) stays."""
    def line(n_text):
        text = [(11 * i, 20, 0.4) for i in range(n_text)]
        end = 11 * n_text - 1
        kept = _kept(*text, (end + 9, 20, 0.99), (end + 20, 14, 0.99))
        letters = np.array([[0, 20, 10, 20], [11, 20, 10, 20], [22, 20, 10, 20]])
        return kept, rd.word_digits(kept, _along(kept), 30.0, 20.0, 0.0, letters).tolist()

    kept, word = line(15)  # 164 px: over 8 x 20
    assert word == [True] * 17
    kept, word = line(5)
    assert word == [True] * 5 + [False, False]


def test_a_sentence_does_not_reach_across_a_wide_gap():
    # (the sure digits before the letters are lookalike letters, "To" read "70": of uneven
    # height, no label's figures, see test_engine_printed)
    kept = _kept((5, 20, 0.99), (16, 14, 0.99), (150, 20, 0.99), (162, 20, 0.99))
    letters = np.array([[40, 20, 10, 20], [51, 20, 10, 20], [90, 20, 10, 20],
                        [101, 20, 10, 20]])
    word = rd.word_digits(kept, _along(kept), 30.0, 20.0, 0.0, letters)
    # x 16-26 ends 14 px (under 0.8 x 20) before the first letter; 150 is 40 px past the last
    assert word.tolist() == [True, True, False, False]


# ---- digits_in_print ----------------------------------------------------------------------------

def _strokes(*spans, h=14):
    """A line's strokes no digit was read from: (left, right, height) rows."""
    return np.array([(a, b, h) for a, b in spans], np.float64)


def test_a_digit_among_a_sentences_rejected_letters_is_one_of_them():
    """ "due this month  301": the digit model rejected every letter but the "s" of "this"
    (read as a sure 5); it stands inside the run of letters, the number stays."""
    kept = _kept((100, 14, 1.0), (200, 40, 1.0), (212, 40, 1.0), (224, 40, 1.0))
    letters = _strokes((40, 52), (54, 66), (70, 82), (86, 98), (120, 134), (136, 150),
                       (152, 166))
    assert rd.digits_in_print(kept, _along(kept), letters).tolist() == [True, False, False, False]


@pytest.mark.parametrize("why, strokes", [
    ("too few strokes", _strokes((70, 82), (86, 98), (120, 134))),
    ("strokes far apart", _strokes((20, 30), (45, 55), (70, 80), (125, 135), (150, 160))),
    ("specks, not letters", _strokes((40, 44), (54, 58), (70, 74), (86, 90), (120, 124), h=3)),
])
def test_a_digit_is_not_print_without_a_run_of_letter_sized_strokes(why, strokes):
    kept = _kept((100, 14, 1.0), (200, 40, 1.0), (212, 40, 1.0))
    assert rd.digits_in_print(kept, _along(kept), strokes).tolist() == [False] * 3, why


def test_a_handwritten_number_among_its_own_broken_strokes_stays():
    """Four digits and their rejected bits (a 5's bar, full stops): the strokes must
    outnumber the digits PRINT_SHARE times, and digits much taller than them end a run."""
    kept = _kept((0, 40, 0.9), (14, 40, 0.9), (28, 40, 0.9), (42, 40, 0.9))
    bits = _strokes((10, 14), (24, 28), (38, 42), (52, 56), (60, 64), h=12)
    assert rd.digits_in_print(kept, _along(kept), bits).tolist() == [False] * 4
    small = _kept((0, 14, 0.9), (14, 14, 0.9), (28, 14, 0.9), (42, 14, 0.9))
    assert rd.digits_in_print(small, _along(small), bits).tolist() == [False] * 4


# ---- print_remnants --------------------------------------------------------------------------------

def test_digit_groups_are_the_runs_between_spaces():
    assert [list(g) for g in rd.digit_groups(np.array([False, True, False, True]), 5)] == [
        [0, 1], [2, 3], [4]]
    assert [list(g) for g in rd.digit_groups(np.zeros(0, bool), 1)] == [[0]]


def test_unsure_print_sized_digits_before_a_much_taller_number_are_print():
    """ "... amount due 00 871563": the end of a sentence whose letters ran together, cut
    into unsure digits of the print's size (letters up to 14 px), before a handwritten number
    three times as tall."""
    kept = _kept((0, 12, 0.4), (12, 13, 0.3), (60, 38, 1.0), (75, 36, 1.0), (90, 37, 0.99))
    spaces = np.array([False, True, False, False])
    assert rd.print_remnants(kept, spaces, 14.0).tolist() == [True, True, False, False, False]


@pytest.mark.parametrize("why, first, spaces, letter_h", [
    ("read sure", [(0, 12, 0.95), (12, 13, 0.9)], [False, True], 14.0),
    ("taller than the print", [(0, 20, 0.4), (12, 20, 0.3)], [False, True], 14.0),
    ("not far shorter than the number", [(0, 26, 0.4), (12, 24, 0.3)], [False, True], 30.0),
    ("no space: one number", [(0, 12, 0.4), (12, 13, 0.3)], [False, False], 14.0),
])
def test_a_group_is_not_a_print_remnant(why, first, spaces, letter_h):
    kept = _kept(*first, (60, 38, 1.0), (75, 36, 1.0))
    spaces = np.array(spaces + [False])
    assert not rd.print_remnants(kept, spaces, letter_h).any(), why


def test_small_cents_after_a_number_stay():
    """Only a group before a taller one can be a remnant: a cheque's "1500 00"."""
    kept = _kept((0, 38, 1.0), (15, 37, 1.0), (30, 36, 1.0), (60, 12, 0.5), (72, 12, 0.4))
    spaces = np.array([False, False, True, False])
    assert not rd.print_remnants(kept, spaces, 14.0).any()


# ---- the engine on forms -------------------------------------------------------------------------

def test_reader_leaves_a_forms_printed_text_out():
    """Tuning forms 5000-5023 (2026-12-05: 17 of 24 read exactly, the printed text read as
    digits on 21 of them without the letter detector)."""
    reader, plain = rd.DigitReader(), rd.DigitReader(drop_words=False)
    right = plain_right = 0
    for seed in range(5000, 5024):
        image, truth = form_page(seed)
        right += reader.read(image).lines == truth
        plain_right += plain.read(image).lines == truth
    assert right >= 15 and plain_right <= 5


@pytest.mark.parametrize("pencil", [150, 185])
def test_a_pencil_number_beside_black_print_is_read(pencil):
    """Black print sets the page's thresholds. A pencil number at about half its contrast (grey
    150 on paper 225) has no pixel that reaches `high`: until binarize.FAINT_SEED went 0.65 ->
    0.5 it was lost whole (tuning form 5106, "76450" in grey beside a bold label, read nothing).
    A lighter one (185) stays under even `low` and is found by thresholding the rest of the
    page again (binarize.with_outshone_writing)."""
    import cv2

    from tests.engine_helpers import render_number

    reader = rd.DigitReader()
    for seed in (0, 1, 2):
        ink = render_number("70425", height=48, seed=seed, canvas=(200, 640), origin=(330, 120))
        page = np.clip(225 * (1 - ink) + pencil * ink, 0, 255).astype(np.uint8)
        cv2.putText(page, "Number of items", (20, 110), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 15, 3,
                    cv2.LINE_AA)
        assert reader.read(page).lines == ["70425"], seed
    image, truth = form_page(5106)
    assert truth == ["76450"] and reader.read(image).lines == truth


# ---- a printed word's letters read whole (WORD_LETTER_UNITS) -----------------------------------
class _Plan:
    def __init__(self, units, line_h=20.0):
        self.units = units
        self.line_h = line_h


def test_letter_units_are_read_whole_only_on_a_line_with_a_word_of_them():
    """Two letter units on a line make it hold printed words, whose letters no wider than one
    line height are read whole; a lone one (an "x" between numbers, a handwritten 4 with a
    closed top) and a wider one (touching letters, or a printed number's touching figures the
    letter model took for letters) keep their merges and cuts."""
    boxes = np.array([[11 * i, 20, 12, 20] for i in range(9)])
    boxes[3, 2] = 21  # over one line height (20) wide
    plans = [_Plan([0, 1, 2, 3]), _Plan([4, 5, 6]), _Plan([7, 8])]
    assert rd.words_letter_units(plans, [1, 2, 3, 5, 7, 8], boxes) == {1, 2, 7, 8}
    assert rd.words_letter_units(plans, [5], boxes) == set()
    assert rd.words_letter_units(plans, [], boxes) == set()


def test_a_letter_read_whole_as_no_digit_counts_as_an_unsure_digit_of_its_run():
    """ "No. 54": the N a letter unit read as no digit, the o a sure 0 beside it. Cut, the N's
    pieces read as unsure digits and made the run a word; read whole, the N counts as a digit
    read at 0, so the run (mean 0.5) is still a word and the 0 goes with it. Without that (a
    letter unit that was cut and gave no digit) the one letter beside a sure digit is a
    handwritten lookalike's, and the digit stays."""
    kept = _kept((22, 14, 0.996), (150, 40, 0.99), (162, 40, 0.99))
    n_box = (10, 20, 10, 20)
    letters = np.array([n_box])
    along = _along(kept)
    word = rd.word_digits(kept, along, 30.0, 20.0, 0.0, letters, whole_letters={n_box})
    assert word.tolist() == [True, False, False]
    assert rd.word_digits(kept, along, 30.0, 20.0, 0.0, letters).tolist() == [False] * 3
    # a whole-read letter a digit was read from (its own unsure reading) is not counted twice
    on_n = _kept((10, 20, 0.95), (22, 14, 0.996), (150, 40, 0.99))
    word = rd.word_digits(on_n, _along(on_n), 30.0, 20.0, 0.0, letters, whole_letters={n_box})
    assert word.tolist() == [False] * 3


def test_a_forms_printed_letters_are_not_cut_and_its_numbers_read_the_same(monkeypatch):
    """Form pages 0-2 read as they did with every letter unit cut, the letters of their printed
    words read whole now, from fewer crops."""
    from realtime.reader import DigitReader

    reader = DigitReader(num_threads=1)
    pages = [form_page(s) for s in range(3)]

    def crops_and_lines():
        before = sum(reader.classifier.crops_read.values())
        lines = [reader.read(image).lines for image, _ in pages]
        return sum(reader.classifier.crops_read.values()) - before, lines

    crops, lines = crops_and_lines()
    monkeypatch.setattr(rd, "WORD_LETTER_UNITS", 10 ** 6)  # every letter unit cut as before
    crops_cut, lines_cut = crops_and_lines()
    assert lines == lines_cut and all(lines)
    assert crops < 0.9 * crops_cut


def test_a_word_whose_letters_gave_no_digit_is_still_reported_as_left_out():
    """Letters read whole as no digit leave word_boxes nothing to box: beside a reported word
    (within WORD_GAP of their height) they grow its box, elsewhere they make boxes of their
    own, one per run of neighbours; another line's word is not grown."""
    reported = [(100, 20, 50, 20), (100, 80, 50, 20)]
    line = [(60, 22, 12, 18), (74, 22, 10, 18), (153, 20, 10, 20), (300, 20, 12, 20)]
    out = rd.with_unread_letters([line], reported)
    assert out == [(100, 20, 63, 20), (100, 80, 50, 20), (60, 22, 24, 18), (300, 20, 12, 20)]
    assert rd.with_unread_letters([[]], reported) == reported

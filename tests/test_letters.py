"""The printed-letter detector (realtime/letters.py) and the engine's leaving out of printed words."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import realtime.reader as rd
from realtime.classifier import DEFAULT_MODEL, ModelLoadError
from realtime.letters import DEFAULT_LETTER_MODEL, LetterDetector
from realtime.normalize import normalize_digit
from realtime.synth import digit_glyph, labelled_number, mnist_test_digits, paste_max
from tests.engine_helpers import on_paper, run_in_threads

# letters no handwritten digit resembles, in OpenCV's Hershey faces: fonts the detector was
# never trained on (it learnt TrueType fonts, training/printed_words.py)
CLEAR_LETTERS = "AEFHKMNRVWXekmnvwx"
HERSHEY = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
           cv2.FONT_HERSHEY_TRIPLEX)


@pytest.fixture(scope="module")
def detector():
    return LetterDetector()


def hershey_letter(ch: str, font: int, thickness: int) -> np.ndarray:
    canvas = np.zeros((120, 120), np.uint8)
    cv2.putText(canvas, ch, (20, 90), font, 2.0, 255, thickness, cv2.LINE_AA)
    return normalize_digit(canvas)


def test_missing_or_wrong_model_fails_at_construction_naming_the_path(tmp_path):
    missing = tmp_path / "nope.tflite"
    with pytest.raises(ModelLoadError, match="letter model not found: .*nope.tflite"):
        LetterDetector(missing)
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"not a flatbuffer")
    with pytest.raises(ModelLoadError, match="cannot load letter model .*junk.tflite"):
        LetterDetector(junk)
    with pytest.raises(ModelLoadError, match="is not a letter model"):
        LetterDetector(DEFAULT_MODEL)  # the digit model: 11 outputs, not 2


def test_probabilities_are_one_per_crop_and_bad_shapes_are_refused(detector):
    assert DEFAULT_LETTER_MODEL.is_file()
    p = detector.letter_probabilities(np.zeros((5, 28, 28), np.uint8))
    assert p.shape == (5,) and p.dtype == np.float32 and ((p >= 0) & (p <= 1)).all()
    assert detector.letter_probabilities(np.zeros((0, 28, 28), np.uint8)).shape == (0,)
    with pytest.raises(ValueError, match="N x 28 x 28"):
        detector.letter_probabilities(np.zeros((28, 28), np.uint8))


def test_committed_model_tells_printed_letters_from_handwritten_digits(detector):
    letters = np.stack([hershey_letter(ch, font, t) for ch in CLEAR_LETTERS
                        for font in HERSHEY for t in (2, 4)])
    images, by_label = mnist_test_digits()
    idx = np.concatenate([ids[:40] for ids in by_label])  # 400 test digits, 40 of each
    digits = np.stack([normalize_digit(images[i]) for i in idx])
    p_letters = detector.letter_probabilities(letters)
    p_digits = detector.letter_probabilities(digits)
    assert (p_letters >= 0.9).mean() >= 0.75, np.round(p_letters, 2)
    assert (p_digits >= 0.9).mean() <= 0.01


def test_one_detector_is_safe_to_share_between_threads(detector):
    letters = np.stack([hershey_letter(ch, HERSHEY[0], 3) for ch in CLEAR_LETTERS])
    expected = detector.letter_probabilities(letters)
    results = []

    def work(n):
        for _ in range(20):
            got = detector.letter_probabilities(letters[: n + 3])
            results.append(np.array_equal(got, expected[: n + 3]))

    errors = run_in_threads(work, 4)
    assert not errors and all(results) and len(results) == 80


# ---- the engine's rule ---------------------------------------------------------------------------

def _kept(*xs, w=10, h=20, unsure=()):
    """Digits of one line at these left edges: (label, confidence, box); those at `unsure`
    read at 0.5, the others at 0.99."""
    return [(1, 0.5 if x in unsure else 0.99, (x, 0, w, h)) for x in xs]


def _along(kept):
    return np.array([b[0] + b[2] / 2 for _, _, b in kept], np.float64)


def test_digits_near_a_letter_unit_go_with_it_up_to_a_wide_gap():
    # a letter's unit at x 0-20; digits at 22 (gap 2), 34 (gap 2 after it) then 60 (gap 16):
    # line height 20, so WORD_GAP x 20 = 8 px separates the number
    kept = _kept(22, 34, 60, 72, unsure=(22, 34))  # (an "o" and an "l": unsure digits)
    letters = np.array([[0, 0, 20, 20]])
    word = rd.word_digits(kept, _along(kept), 10.0, 20.0, 0.0, letters)
    assert word.tolist() == [True, True, False, False]
    out, spaces = rd.without_words(kept, np.zeros(3, bool), word)
    assert [b[0] for _, _, b in out] == [60, 72] and spaces.tolist() == [False]


def test_a_word_between_two_numbers_leaves_a_space_and_other_lines_are_untouched():
    kept = _kept(0, 12, 40, 52, 80, 92, unsure=(40, 52))
    letters = np.array([[40, 0, 22, 20]])
    word = rd.word_digits(kept, _along(kept), 10.0, 20.0, 0.0, letters)
    assert word.tolist() == [False, False, True, True, False, False]
    out, spaces = rd.without_words(kept, np.zeros(5, bool), word)
    assert [b[0] for _, _, b in out] == [0, 12, 80, 92]
    assert spaces.tolist() == [False, True, False]
    # the same letter unit on another line (its centre 3 line heights lower) changes nothing
    low = np.array([[40, 60, 22, 20]])
    assert not rd.word_digits(kept, _along(kept), 10.0, 20.0, 0.0, low).any()
    assert not rd.word_digits(kept, _along(kept), 10.0, 20.0, 0.0, np.zeros((0, 4))).any()


def test_one_letter_among_sure_digits_is_a_digit_that_looks_like_a_letter():
    """A 4 with a closed top reads as an "A" to the letter model: alone among digits read
    surely it stays; two letter units, or one among unsure digits, make a word."""
    one = np.array([[40, 0, 10, 20]])
    sure = _kept(0, 12, 40, 52)
    assert not rd.word_digits(sure, _along(sure), 10.0, 20.0, 0.0, one).any()
    unsure = _kept(0, 12, 40, 52, unsure=(40, 52))
    assert rd.word_digits(unsure, _along(unsure), 10.0, 20.0, 0.0, one).tolist() == [
        False, False, True, True]
    two = np.array([[40, 0, 10, 20], [52, 0, 10, 20]])
    assert rd.word_digits(sure, _along(sure), 10.0, 20.0, 0.0, two).tolist() == [
        False, False, True, True]


def test_a_short_letter_between_sure_digits_is_a_sign_and_only_it_goes():
    """ "3x4": an x-height letter unit (read as an unsure digit) between digits read surely is
    a sign: it goes, the digits on both sides stay (it made the whole run a word before)."""
    sign = (4, 0.46, (24, 6, 8, 10))  # half the digits' height, on the line's middle
    kept = [(3, 0.99, (0, 0, 10, 20)), (3, 0.99, (12, 0, 10, 20)), sign,
            (4, 0.99, (34, 0, 10, 20)), (4, 0.99, (46, 0, 10, 20))]
    letter = np.array([[24, 6, 8, 10]])
    assert rd.word_digits(kept, _along(kept), 10.0, 20.0, 0.0, letter).tolist() == [
        False, False, True, False, False]
    # ... not when it is as tall as its neighbours (a closed-top 4 read as an "A" stays) ...
    tall = [(k[0], k[1], (k[2][0], 0, k[2][2], 20)) for k in kept]
    assert not rd.word_digits(tall, _along(tall), 10.0, 20.0, 0.0, np.array([[24, 0, 8, 20]])).any()
    # ... nor at the run's start ("No" before a number: the N and the "0" go together) ...
    first = [(4, 0.46, (0, 6, 8, 10))] + [(0, 0.9, (10, 0, 10, 20))]
    assert rd.word_digits(first, _along(first), 10.0, 20.0, 0.0, np.array([[0, 6, 8, 10]])).all()
    # ... nor among unsure digits (a printed word's letters): the whole run is the word
    unsure = [(k[0], 0.6, k[2]) for k in kept]
    assert rd.word_digits(unsure, _along(unsure), 10.0, 20.0, 0.0, letter).all()


def test_reader_leaves_a_times_sign_out_of_the_number():
    """A script "x" between MNIST test digits ("3x4") read nothing: the letter model calls it a
    letter, the digit model an unsure 4, and the run was taken for a printed word."""
    reader = rd.DigitReader()
    for seed in range(3):
        rng = np.random.default_rng(seed)
        ink = np.zeros((132, 250), np.float32)
        three, four = digit_glyph(rng, 3, 44), digit_glyph(rng, 4, 44)
        paste_max(ink, three, 44, 88 - three.shape[0])
        x = 44 + three.shape[1] + 8
        scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 44, 4)
        sign = np.zeros(ink.shape, np.uint8)
        cv2.putText(sign, "x", (x, 88), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, 255, 4, cv2.LINE_AA)
        np.maximum(ink, sign / 255.0, out=ink)
        x += cv2.getTextSize("x", cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, scale, 4)[0][0] + 8
        paste_max(ink, four, x, 88 - four.shape[0])
        assert reader.read(on_paper(ink)).lines == ["3 4"], seed


class _Flags:
    """A letter detector that calls every unit a letter (or none)."""

    def __init__(self, value: float):
        self.value = value

    def letter_probabilities(self, crops):
        return np.full(len(crops), self.value, np.float32)

    def text_probabilities(self, strips):  # (as a group detector: no group is printed text)
        return np.zeros(len(strips), np.float32)


def test_reader_reads_the_number_beside_a_printed_word():
    reader = rd.DigitReader()
    plain = rd.DigitReader(drop_words=False)
    read_right = 0
    for seed in range(12):
        image, number, word = labelled_number(seed)
        text = "".join(reader.read(image).text.split())
        read_right += text == number
        # without the rule the word's letters read as digits too
        assert len("".join(plain.read(image).text.split())) > len(number) or text == number
    assert read_right >= 9


def test_reader_letter_detector_can_be_replaced_or_switched_off():
    image, number, _ = labelled_number(0)
    off = rd.DigitReader(drop_words=False).read(image)
    # (the group detector, realtime/groups.py, is told to find no printed text: this is the
    # letter detector's test)
    nothing = rd.DigitReader(letter_detector=_Flags(0.0), group_detector=_Flags(0.0)).read(image)
    assert nothing.lines == off.lines
    # every unit not read as a sure digit called a letter: the word goes, the number stays
    everything = rd.DigitReader(letter_detector=_Flags(1.0), group_detector=_Flags(0.0)).read(image)
    assert "".join(everything.text.split()) == number != "".join(off.text.split())
    assert len(everything.digits) == len(number)
    assert rd.DigitReader(drop_words=False).letter_detector is None
    assert rd.DigitReader(drop_words=False).group_detector is None


def test_reading_names_where_the_words_left_out_were_and_annotations_show_them():
    from realtime.app_logic import annotate
    from realtime.overlay import WORD_COLOUR, draw

    image, number, word = labelled_number(0)
    reading = rd.DigitReader().read(image)
    assert "".join(reading.text.split()) == number and len(reading.words) == 1
    x, y, w, h = reading.words[0]
    assert 0 <= x and x + w <= image.shape[1] and 0 <= y and y + h <= image.shape[0]
    for d in reading.digits:  # the word's box is apart from the number's digits
        dx, _, dw, _ = d.box
        assert dx + dw <= x or x + w <= dx
    assert reading.to_dict()["words"] == [list(reading.words[0])]
    assert rd.DigitReader(drop_words=False).read(image).words == []
    for annotated in (draw(image, reading), annotate(image, reading)):
        edge = annotated[y, x:x + w]
        assert (edge == WORD_COLOUR).all(axis=1).mean() > 0.9
    plain = annotate(image, reading, show_boxes=False)
    assert not (plain[y, x:x + w] == WORD_COLOUR).all(axis=1).any()


def test_strokes_read_as_no_digit_bridge_the_letters_of_one_word():
    """"Mark": the "r" reads as no digit, leaving a gap between "Ma" and "k" wider than
    WORD_GAP; the line's other strokes bridge it, so the two letter units make one word."""
    kept = _kept(0, 12, 60, 72, 120, 132)
    letters = np.array([[0, 0, 10, 20], [60, 0, 10, 20]])
    apart = rd.word_digits(kept, _along(kept), 10.0, 20.0, 0.0, letters)
    assert not apart.any()  # each letter alone among sure digits: kept
    r_stroke = np.array([[24.0, 58.0]])
    joined = rd.word_digits(kept, _along(kept), 10.0, 20.0, 0.0, letters, r_stroke)
    assert joined.tolist() == [True, True, True, True, False, False]

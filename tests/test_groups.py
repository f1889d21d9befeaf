"""The printed-text detector (realtime/groups.py): the group strip, the model, and the engine
leaving out a printed word whose letters all read as digits ("Total" as 70721)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import realtime.reader as rd
from realtime.classifier import DEFAULT_MODEL, ModelLoadError
from realtime.groups import DEFAULT_GROUP_MODEL, STRIP_SIZE, GroupDetector, group_strip
from realtime.synth import labelled_number, mnist_test_digits
from tests.engine_helpers import run_in_threads

# words made only of letters that read as sure digits, in OpenCV's Hershey faces (the model
# learnt TrueType fonts and other words, training/train_groups.py)
LOOKALIKE_WORDS = ("Total", "total", "Tel", "lot", "Zoo", "Soil", "Lot 7")
HERSHEY = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX)


@pytest.fixture(scope="module")
def detector():
    return GroupDetector()


def printed(text: str, font: int) -> np.ndarray:
    """`text` as ink contrast (white on black) and its box."""
    canvas = np.zeros((90, 420), np.uint8)
    cv2.putText(canvas, text, (10, 60), font, 1.4, 255, 2, cv2.LINE_AA)
    return canvas


def handwritten(labels, rng) -> np.ndarray:
    images, by_label = mnist_test_digits()
    glyphs = [images[rng.choice(by_label[d])] for d in labels]
    return np.concatenate(glyphs, axis=1)  # 28 px tall, side by side: a handwritten group


def strip_of(ink: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(ink)
    return group_strip(ink, (x, y, w, h))


# ---- group_strip -------------------------------------------------------------------------------

def test_group_strip_fits_the_box_keeping_its_aspect_and_stretches_the_contrast():
    ink = np.zeros((100, 400), np.uint8)
    ink[40:60, 50:250] = 100  # a 200 x 20 bar of faint ink
    strip = group_strip(ink, (50, 40, 200, 20))
    assert strip.shape == STRIP_SIZE and strip.dtype == np.uint8
    assert strip.max() == 255  # its 95th percentile became white
    ys, xs = np.nonzero(strip > 128)
    # 200 x 20 plus a 4 px margin each side (0.15 x 20 + 1) is 208 x 28: scaled by 96 / 208
    assert xs.max() - xs.min() + 1 == pytest.approx(200 * 96 / 208, abs=2)
    assert ys.max() - ys.min() + 1 == pytest.approx(20 * 96 / 208, abs=2)


def test_group_strip_of_nothing_is_black_and_a_box_off_the_image_is_clipped():
    assert not group_strip(np.zeros((50, 50), np.uint8), (10, 10, 20, 20)).any()
    ink = np.full((50, 50), 200, np.uint8)
    assert group_strip(ink, (40, 40, 30, 30)).max() == 255


def _reference_strip(ink, box):
    """group_strip written plainly (np.percentile of the inked pixels)."""
    x, y, w, h = box
    m = int(0.15 * h) + 1
    crop = ink[max(0, y - m):y + h + m, max(0, x - m):x + w + m].astype(np.float32)
    out = np.zeros(STRIP_SIZE, np.uint8)
    if not (crop > 0).any():
        return out
    crop = np.minimum(crop * (255.0 / max(1.0, float(np.percentile(crop[crop > 0], 95)))), 255)
    scale = min(24 / crop.shape[0], 96 / crop.shape[1])
    nw, nh = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out[(24 - nh) // 2:(24 - nh) // 2 + nh, (96 - nw) // 2:(96 - nw) // 2 + nw] = small.astype(np.uint8)
    return out


def test_group_strip_is_the_plain_percentile_stretch_exactly():
    """The histogram shortcut for the white level gives np.percentile's number, pixel for pixel
    (the model was trained on these strips)."""
    rng = np.random.default_rng(1)
    for _ in range(300):
        ink = (rng.random((60, 200)) * 255 * (rng.random((60, 200)) < rng.random())).astype(np.uint8)
        box = (int(rng.integers(0, 190)), int(rng.integers(0, 50)), int(rng.integers(1, 60)),
               int(rng.integers(1, 30)))
        assert np.array_equal(group_strip(ink, box), _reference_strip(ink, box)), box


# ---- the model ---------------------------------------------------------------------------------

def test_missing_or_wrong_model_fails_at_construction_naming_the_path(tmp_path):
    with pytest.raises(ModelLoadError, match="group model not found: .*nope.tflite"):
        GroupDetector(tmp_path / "nope.tflite")
    with pytest.raises(ModelLoadError, match="is not a group model"):
        GroupDetector(DEFAULT_MODEL)  # the digit model: 28 x 28 in, 11 out


def test_probabilities_are_one_per_strip_and_bad_shapes_are_refused(detector):
    assert DEFAULT_GROUP_MODEL.is_file()
    p = detector.text_probabilities(np.zeros((3, *STRIP_SIZE), np.uint8))
    assert p.shape == (3,) and p.dtype == np.float32 and ((p >= 0) & (p <= 1)).all()
    assert detector.text_probabilities(np.zeros((0, *STRIP_SIZE), np.uint8)).shape == (0,)
    with pytest.raises(ValueError, match="N x 24 x 96"):
        detector.text_probabilities(np.zeros((2, 28, 28), np.uint8))


def test_committed_model_tells_printed_words_from_handwritten_numbers(detector):
    words = np.stack([strip_of(printed(w, f)) for w in LOOKALIKE_WORDS for f in HERSHEY])
    rng = np.random.default_rng(0)
    numbers = np.stack([strip_of(handwritten(rng.integers(0, 10, int(rng.integers(2, 7))), rng))
                        for _ in range(100)])
    p_words, p_numbers = detector.text_probabilities(words), detector.text_probabilities(numbers)
    assert np.mean(p_words >= 0.5) >= 0.8, np.round(p_words, 2)
    assert np.mean(p_numbers >= rd.Settings().group_confidence) <= 0.02, np.round(p_numbers, 2)


def test_printed_figures_are_numbers_not_text(detector):
    """A meter's or a form's printed figures are read, not left out."""
    figures = np.stack([strip_of(printed(s, f)) for s in ("70721", "1034", "2024", "887")
                        for f in HERSHEY])
    assert np.mean(detector.text_probabilities(figures) >= rd.Settings().group_confidence) <= 0.2


def test_one_detector_is_safe_to_share_between_threads(detector):
    strips = np.stack([strip_of(printed(w, HERSHEY[0])) for w in LOOKALIKE_WORDS])
    expected = detector.text_probabilities(strips)
    results = []

    def work(n):
        for _ in range(20):
            results.append(np.array_equal(detector.text_probabilities(strips[: n + 2]),
                                          expected[: n + 2]))

    errors = run_in_threads(work, 4)
    assert not errors and all(results) and len(results) == 80


# ---- the engine --------------------------------------------------------------------------------

def test_reader_leaves_out_a_label_whose_letters_all_read_as_digits():
    """Words pages 5075 ("Total 336", read "336 70821" before) and 5127 ("Vat 950", "112 950");
    with printed words kept, the label is read as digits, as before."""
    reader, keep = rd.DigitReader(), rd.DigitReader(drop_words=False)
    for seed, number in ((5075, "336"), (5127, "950")):
        image, truth, _ = labelled_number(seed)
        assert truth == number
        reading = reader.read(image)
        assert reading.lines == [number]
        assert reading.words  # the label's box is reported as a word left out
        assert keep.read(image).lines != [number]


def test_reader_without_a_group_model_reads_as_before():
    image, _, _ = labelled_number(5075)
    reader = rd.DigitReader()
    reader.group_detector = None
    assert reader.read(image).lines == ["336 70821"]


def test_a_lone_digit_is_asked_about_only_where_it_may_be_print():
    """Groups of two or more digits are asked about unless all are sure digits; a lone digit
    only when printed words were found on the page, or when it is much shorter than its line's
    digits (the capital of a word whose small letters the line left out)."""
    box = (0, 0, 20, 40)
    line = [(7, 0.99, box), (1, 0.99, box), (4, 0.99, (60, 0, 20, 40)), (2, 0.99, (90, 0, 9, 14))]
    assert rd.worth_asking(range(0, 2), line, words=[])
    assert not rd.worth_asking(range(2, 3), line, words=[])
    assert rd.worth_asking(range(2, 3), line, words=[(0, 0, 5, 5)])
    assert rd.worth_asking(range(3, 4), line, words=[])  # 14 px beside 40 px digits


def test_a_group_of_sure_digits_is_asked_about_only_where_print_was_found():
    """A printed word nearly always holds a letter the digit model is unsure of; a group whose
    every digit is read at the model's top confidence is asked about only on a page where
    printed words were found."""
    box = (0, 0, 20, 40)
    top = 255 / 256
    line = [(7, top, box), (1, top, box), (4, 0.9, box)]
    assert not rd.worth_asking(range(0, 2), line, words=[])
    assert rd.worth_asking(range(0, 3), line, words=[])  # one unsure digit
    assert rd.worth_asking(range(0, 2), line, words=[(0, 0, 5, 5)])
    sos = [(5, top, box), (0, top, box), (5, top, box)]  # printed "SOS" reads as sure digits
    assert rd.worth_asking(range(0, 3), sos, words=[])
    assert not rd.worth_asking(range(0, 3), sos[:2] + [(7, top, box)], words=[])


def test_a_capital_left_beside_a_number_is_still_left_out():
    """Tuning form 5215: "Score for each round" beside "799675"; the line keeps only the "S",
    read as a lone 5 that no printed word found on the page vouches for. The group model still
    sees it (a lone digit far shorter than its line's), so it is left out."""
    from realtime.synth import form_page
    image, truth = form_page(5215)
    assert truth == ["799675"]
    assert rd.DigitReader().read(image).lines == truth


def test_the_group_model_is_not_asked_about_lone_digits_or_sure_groups_of_a_handwritten_page(
        monkeypatch):
    """A synthetic page with no print: its lone digits are not asked about (a third of a busy
    page's groups), nor its groups of sure digits; the others are, and the reading is the same
    as asking about all of them. (Read once: a small line read again asks about its groups
    again.)"""
    from realtime.synth import make_page
    reader = rd.DigitReader(reread_small=False)
    asked = []
    ask = reader.group_detector.text_probabilities

    def counting(strips):
        asked.append(len(strips))
        return ask(strips)
    reader.group_detector.text_probabilities = counting
    image, _ = make_page(1050)
    reading = reader.read(image)
    confidences = iter(d.confidence for d in reading.digits)
    kinds = []
    for group in (g for line in reading.lines for g in line.split()):
        least = min(next(confidences) for _ in group)
        word_like = set(map(int, group)) <= rd.WORD_LIKE_DIGITS
        kinds.append("lone" if len(group) == 1 else
                     "sure" if least >= rd.SURE_GROUP_DIGIT and not word_like else "asked")
    assert kinds.count("lone") > 0 and kinds.count("sure") > 0 and kinds.count("asked") > 0
    assert asked == [kinds.count("asked")]
    monkeypatch.setattr(rd, "LONE_ASKED_HEIGHT", float("inf"))  # every lone digit asked about
    monkeypatch.setattr(rd, "SURE_GROUP_DIGIT", 2.0)  # and every group
    assert rd.DigitReader().read(image).lines == reading.lines


def test_a_printed_word_of_digit_like_capitals_is_still_left_out(monkeypatch):
    """Printed "SOS" reads as a sure "505": with no other print on the page, only the
    word-like digits (0, 5, 8) rule has the group model see it; without that rule it is read
    as digits beside the number."""
    import realtime.synth as synth

    monkeypatch.setattr(synth, "LABEL_WORDS", np.array(["SOS"]))
    reader = rd.DigitReader()
    for seed in (11, 13, 26):
        image, number, word = synth.labelled_number(seed)
        assert word == "SOS"
        assert reader.read(image).lines == [number]
        with monkeypatch.context() as m:
            m.setattr(rd, "WORD_LIKE_DIGITS", frozenset())
            assert "505" in " ".join(reader.read(image).lines).split()

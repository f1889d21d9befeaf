"""A printed label and its printed number on one line ("Item 3920", "Qty: 12", "250 kWh"): the
typed space between them (realtime.reader.typed_space), the word's figures kept apart from it
(printed_figures), groups judged by their parts (typed_space_parts), the generator
(realtime.synth.printed_number) and the engine on it."""
from __future__ import annotations

import numpy as np
import pytest

import realtime.reader as rd
from realtime.evaluate import evaluate_printed
from realtime.reader import DigitReader
from realtime.synth import LABEL_WORDS, printed_number
from tests.engine_helpers import AnswerReader

# ---- the generator and its scoring -------------------------------------------------------------


def test_printed_number_is_reproducible_and_its_truth_is_the_number_alone():
    a, truth, text = printed_number(5)
    b, truth_b, text_b = printed_number(5)
    assert np.array_equal(a, b) and (truth, text) == (truth_b, text_b)
    assert a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8
    assert truth.isdigit() and 1 <= len(truth) <= 5 and truth in text.split()
    word = text.replace(truth, "").strip().rstrip(":")
    assert word in LABEL_WORDS
    gray = a.min(axis=2)
    assert (gray < 120).mean() > 0.001 and np.median(gray) > 180  # print on paper
    assert len({printed_number(s)[2] for s in range(8)}) > 4  # seeds differ


def test_only_the_printed_number_alone_counts_as_read():
    truths = {printed_number(s)[0].tobytes(): printed_number(s)[1] for s in range(3)}
    right = evaluate_printed(AnswerReader(truths), n=3, progress=False)
    assert right.score.exact == 3 and right.score.cer == 0 and not right.errors
    leaky = {k: "7012 " + v for k, v in truths.items()}  # the label read as digits too
    wrong = evaluate_printed(AnswerReader(leaky), n=3, progress=False)
    assert wrong.score.exact == 0 and len(wrong.errors) == 3
    empty = {k: "" for k in truths}  # the number left out with its label
    assert evaluate_printed(AnswerReader(empty), n=3, progress=False).score.exact == 0


# ---- typed_space --------------------------------------------------------------------------------


@pytest.mark.parametrize("gaps, height, expected", [
    ([2, 3, 15, 2], 40, 2),     # a typed space among letters 2-3 px apart
    ([12], 40, 0),              # one gap: measured against 1 px
    ([2, 3, 7, 2], 40, None),   # under TYPED_SPACE x 40 = 8 px: letters spaced out
    ([6, 6, 15, 6], 40, None),  # under TYPED_SPACE_RATIO x 6: evenly spaced handwriting
    ([], 40, None),
])
def test_a_typed_space_is_the_widest_gap_far_wider_than_the_others(gaps, height, expected):
    assert rd.typed_space(gaps, height) == expected


# ---- printed_figures, through word_and_figures ----------------------------------------------------


def _line(figures_conf=(0.99, 0.99, 0.99), figures_h=(20, 20, 20), gap=7):
    """A printed word of four letter units (x 0-46, 2 px apart, 20 px tall, on a line 20 px
    high centred at y 30) and three figures `gap` px after it (under WORD_GAP: one run)."""
    letters = np.array([[x, 20, 10, 20] for x in (0, 12, 24, 36)])
    left = 46 + gap
    kept = [(4, conf, (left + 12 * i, 40 - h, 10, h))
            for i, (conf, h) in enumerate(zip(figures_conf, figures_h, strict=True))]
    along = np.array([b[0] + b[2] / 2 for _, _, b in kept], np.float64)
    return kept, along, letters


def test_a_printed_words_figures_a_typed_space_away_are_not_left_out_with_it():
    kept, along, letters = _line()
    word, figures = rd.word_and_figures(kept, along, 30.0, 20.0, 0.0, letters)
    assert word.tolist() == [False] * 3 and figures.tolist() == [True] * 3
    assert rd.word_digits(kept, along, 30.0, 20.0, 0.0, letters).tolist() == [False] * 3


def test_a_number_written_right_after_its_label_keeps_its_first_digits():
    """ "Mark95725": the number's digits stand further apart (6 px) than it stands from the
    word (4 px, 0.2 line heights): the gap just past the word's letters is tried first."""
    letters = np.array([[x, 20, 10, 20] for x in (0, 12, 24, 36)])
    kept = [(9, 0.99, (x, 20, 10, 20)) for x in (50, 66, 82)]
    along = np.array([b[0] + 5 for _, _, b in kept], np.float64)
    word, figures = rd.word_and_figures(kept, along, 30.0, 20.0, 0.0, letters)
    assert word.tolist() == [False] * 3 and figures.tolist() == [True] * 3
    # one digit alone 3 px past the word's letters (under TYPED_SPACE, over LETTER_EDGE_GAP)
    # is not split off this way: the "I" of "Invoice" read as a 1
    lone = [(1, 0.99, (49, 20, 10, 20))]
    word, figures = rd.word_and_figures(lone, np.array([54.0]), 30.0, 20.0, 0.0, letters)
    assert word.tolist() == [True] and not figures.any()


@pytest.mark.parametrize("figures_h, kept_apart", [(20, True), (14, False)])
def test_a_line_of_labels_keeps_each_labels_figures(figures_h, kept_apart):
    """ "Room 12   Floor 3": two printed words make the line a sentence, whose runs took the
    values with them. Figures as tall as the capitals stay; x-height "figures" (a word of
    lookalike letters such as "was") go with the sentence."""
    letters = np.array([[x, 20, 10, 20] for x in (0, 12, 24, 36, 114, 126, 138, 150, 162)])
    kept = [(d, 0.99, (x, 40 - figures_h, 10, figures_h))
            for d, x in ((1, 52), (2, 64), (3, 178))]
    along = np.array([b[0] + 5 for _, _, b in kept], np.float64)
    word, figures = rd.word_and_figures(kept, along, 30.0, 20.0, 0.0, letters)
    assert word.tolist() == [not kept_apart] * 3 and figures.tolist() == [kept_apart] * 3


@pytest.mark.parametrize("why, line", [
    ("as close as its letters stand", dict(gap=2)),
    ("read unsure: lookalike letters", dict(figures_conf=(0.5, 0.6, 0.99))),
    ("of uneven height: letters about the x-height", dict(figures_h=(20, 14, 20))),
])
def test_digits_after_a_printed_word_are_still_its_letters(why, line):
    kept, along, letters = _line(**line)
    word, figures = rd.word_and_figures(kept, along, 30.0, 20.0, 0.0, letters)
    assert word.tolist() == [True] * 3 and not figures.any(), why


# ---- groups judged by their parts -----------------------------------------------------------------


def _group(xs, h=20):
    return [(1, 0.99, (x, 10, 10, h)) for x in xs]


def test_typed_space_parts_split_a_group_at_its_typed_space_only():
    kept = _group([0, 12, 24, 45, 57])  # gaps 2, 2, 11, 2
    assert rd.typed_space_parts(range(0, 5), kept) == [range(0, 3), range(3, 5)]
    assert rd.typed_space_parts(range(0, 3), kept) == []
    assert rd.typed_space_parts(range(0, 1), kept) == []


class _Answers:
    """A group detector answering the groups it is asked about, in order, from a list."""

    def __init__(self, answers):
        self.answers, self.asked = list(answers), 0

    def text_probabilities(self, strips):
        self.asked += len(strips)
        out, self.answers = self.answers[:len(strips)], self.answers[len(strips):]
        return np.array(out, np.float32)


@pytest.fixture(scope="module")
def reader():
    return DigitReader(num_threads=1)


def _without_groups(reader, monkeypatch, kept, answers, figure_boxes=frozenset()):
    """The reader's _without_printed_groups on one line of `kept` digits (no spaces), its
    group detector answering `answers` -> (the left edges of the digits left, line by line;
    the boxes of the words left out; how many groups the detector was asked about)."""
    detector = _Answers(answers)
    monkeypatch.setattr(reader, "group_detector", detector)
    words = []
    lines = reader._without_printed_groups([(kept, np.zeros(len(kept) - 1, bool))],
                                           np.zeros((60, 200), np.uint8), 1.0, (60, 200),
                                           words, set(figure_boxes))
    return [[k[2][0] for k in line] for line, _ in lines], words, detector.asked


@pytest.mark.parametrize("answers, left, n_words", [
    ([0.3, 0.995, 0.0], [[45, 57]], 1),   # a label and its figures: the label goes
    ([0.995, 0.995, 0.995], [], 1),       # one word split at a wide gap: one box
    ([0.3, 0.2, 0.1], [[0, 12, 24, 45, 57]], 0),  # a number
])
def test_a_group_with_a_typed_space_is_judged_by_its_parts(reader, monkeypatch, answers, left,
                                                          n_words):
    kept = _group([0, 12, 24, 45, 57])
    got, words, asked = _without_groups(reader, monkeypatch, kept, answers)
    assert got == left and len(words) == n_words
    assert asked == 3  # the whole and its two parts, in one batch


@pytest.mark.parametrize("p_lone, kept_lone", [(0.0, True), (0.05, False)])
def test_a_lone_part_of_a_group_called_text_stays_only_if_surely_a_number(reader, monkeypatch,
                                                                         p_lone, kept_lone):
    kept = _group([0, 12, 24, 45])  # "Lot 7": the 7 alone after the typed space
    got, _, _ = _without_groups(reader, monkeypatch, kept, [0.995, 0.995, p_lone])
    assert got == ([[45]] if kept_lone else [])


@pytest.mark.parametrize("p_text, left", [(0.8, []), (0.2, [[0, 12]])])
def test_a_printed_words_figures_go_where_the_group_model_calls_them_text(reader, monkeypatch,
                                                                         p_text, left):
    kept = _group([0, 12])  # "by" read as 64, kept apart from "taken" as figures
    got, _, asked = _without_groups(reader, monkeypatch, kept, [p_text], {k[2] for k in kept})
    assert got == left and asked == 1  # (asked although two sure digits: they are figures)


# ---- the engine on printed labels ---------------------------------------------------------------


def test_reader_reads_a_printed_number_and_leaves_its_printed_label_out(reader):
    for seed in range(10):
        image, truth, text = printed_number(seed)
        reading = reader.read(image)
        assert reading.text.replace(" ", "") == truth, (seed, text, reading.lines)
        assert reading.words, (seed, text)  # the label is reported as left out
    # with the printed-word rules off, the label is read as digits beside the number
    plain = DigitReader(num_threads=1, drop_words=False)
    leaks = [printed_number(s) for s in range(10)]
    assert sum(plain.read(im).text.replace(" ", "") != truth for im, truth, _ in leaks) >= 5


# ---- a line of labels and their values (realtime.synth.label_pairs) --------------------------------


def test_label_pairs_is_reproducible_and_its_truth_is_the_two_values():
    from realtime.synth import label_pairs

    a, truth = label_pairs(3)
    b, truth_b = label_pairs(3)
    assert np.array_equal(a, b) and truth == truth_b
    assert len(truth) == 1 and len(truth[0].split(" ")) == 2 and truth[0].replace(" ", "").isdigit()
    printed, truth_p = label_pairs(3, printed=True)
    assert truth_p[0].replace(" ", "").isdigit() and not np.array_equal(printed, a)


def test_only_the_two_values_with_a_space_between_count_as_read(capsys):
    from realtime.evaluate import evaluate_pairs
    from realtime.evaluate import main as evaluate_main
    from realtime.synth import label_pairs

    truths = {label_pairs(s)[0].tobytes(): label_pairs(s)[1] for s in range(3)}
    assert evaluate_pairs(AnswerReader(truths), n=3, progress=False).score.exact == 3
    joined = {k: [v[0].replace(" ", "")] for k, v in truths.items()}
    assert evaluate_pairs(AnswerReader(joined), n=3, progress=False).score.exact == 0
    with pytest.raises(SystemExit):
        evaluate_main(["--printed-values"])
    assert "--printed-values goes with --pairs N" in capsys.readouterr().err

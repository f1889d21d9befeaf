"""Numbers beside printed words (realtime.synth.labelled_number): the generator and its scoring."""
from __future__ import annotations

import numpy as np
import pytest

from realtime.evaluate import evaluate_labelled
from realtime.evaluate import main as evaluate_main
from realtime.synth import LABEL_WORDS, labelled_number
from tests.engine_helpers import AnswerReader


def test_labelled_number_is_reproducible_and_its_truth_is_the_number_alone():
    a, truth, word = labelled_number(3)
    b, truth_b, word_b = labelled_number(3)
    assert np.array_equal(a, b) and (truth, word) == (truth_b, word_b)
    assert a.ndim == 3 and a.shape[2] == 3 and a.dtype == np.uint8
    assert word in LABEL_WORDS and truth.isdigit() and 2 <= len(truth) <= 5
    # ink on paper: something dark was written, most of the image is paper
    gray = a.min(axis=2)
    assert (gray < 120).mean() > 0.002 and np.median(gray) > 180
    others = {labelled_number(s)[1] + labelled_number(s)[2] for s in range(4, 12)}
    assert len(others) > 4  # seeds differ


def test_only_the_number_alone_counts_as_read():
    truths = {labelled_number(s)[0].tobytes(): labelled_number(s)[1] for s in range(3)}
    right = evaluate_labelled(AnswerReader(truths), n=3, progress=False)
    assert right.score.exact == 3 and right.score.cer == 0 and not right.errors
    # spaces are ignored, but a letter read as a digit beside the number is an error
    spaced = {k: v[0] + " " + v[1:] for k, v in truths.items()}
    assert evaluate_labelled(AnswerReader(spaced), n=3, progress=False).score.exact == 3
    leaky = {k: "7 " + v for k, v in truths.items()}
    wrong = evaluate_labelled(AnswerReader(leaky), n=3, progress=False)
    assert wrong.score.exact == 0 and len(wrong.errors) == 3
    assert wrong.errors[0][0].startswith("0 (") and wrong.score.edits == 3


def test_a_number_can_be_written_closer_to_its_label_and_the_default_pages_stay():
    far, truth, word = labelled_number(7)
    assert np.array_equal(labelled_number(7, None)[0], far)  # (the standing set's pages)
    close, truth_c, word_c = labelled_number(7, (0.1, 0.3))
    assert (truth_c, word_c) == (truth, word) and not np.array_equal(close, far)

    def ink_columns(image):
        return np.flatnonzero((image.min(axis=2) < 120).any(axis=0))

    # the same word and number: written closer, the line ends further left
    assert ink_columns(close)[-1] < ink_columns(far)[-1]


@pytest.mark.parametrize("argv", [["--word-gap", "0.1,0.3"], ["--words", "2", "--word-gap", "1"],
                                  ["--words", "2", "--word-gap", "0.3,0.1"],
                                  ["--words", "2", "--word-gap", "a,b"]])
def test_evaluate_cli_word_gap_is_two_digit_heights_with_words(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        evaluate_main(argv)
    assert exit_info.value.code == 2
    assert "--word-gap takes LOW,HIGH" in capsys.readouterr().err

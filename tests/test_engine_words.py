"""Numbers beside printed words (realtime.synth.labelled_number): the generator and its scoring."""
from __future__ import annotations

import numpy as np

from realtime.evaluate import evaluate_labelled
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

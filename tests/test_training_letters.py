"""Letters as non-digits (training/nondigits.py): what the generator draws and what it leaves out."""
from __future__ import annotations

import numpy as np

from training import nondigits


def test_letters_leave_out_those_a_digit_resembles():
    # 0 (o, O, D, Q), 1 (l, I, i, j, r), 2 (z), 5 (s), 6 (b, G), 8 (B), 9 (g, q, a, P) ...
    assert not set(nondigits.LETTERS) & set("oODQlIijJLTrzZsSbGBgqaPcCuUyYtfdph")
    assert set(nondigits.LETTERS) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def test_held_out_letters_are_drawn_in_other_fonts():
    assert not set(nondigits.TRAIN_LETTER_FONTS) & set(nondigits.HELDOUT_LETTER_FONTS)


def test_make_letter_is_a_normalized_crop_and_reproducible():
    first = [nondigits.make_letter(np.random.default_rng(5)) for _ in range(2)]
    assert np.array_equal(first[0], first[1])
    crops = np.stack([nondigits.make_letter(np.random.default_rng(s)) for s in range(20)])
    assert crops.shape == (20, 28, 28) and crops.dtype == np.uint8
    assert all(c.any() for c in crops)
    # normalized like a digit: the ink fits the central 20 x 20 box (MNIST), never the border
    assert not crops[:, :2].any() and not crops[:, -2:].any()
    assert not crops[:, :, :2].any() and not crops[:, :, -2:].any()
    # the fonts differ: the held-out crops are not the training crops
    held = nondigits.make_letter(np.random.default_rng(5), nondigits.HELDOUT_LETTER_FONTS)
    assert not np.array_equal(held, first[0])

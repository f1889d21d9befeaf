"""Training data of the printed-letter detector (training/printed_words.py)."""
from __future__ import annotations

import numpy as np
import pytest

from training import printed_words as pw


@pytest.fixture(scope="module")
def source():
    """A few MNIST *training* digits of each label (tests never need many)."""
    from realtime.synth import by_label_index
    from training import mnist
    images, labels = mnist.load("train")
    keep = np.concatenate([np.nonzero(labels == d)[0][:20] for d in range(10)])
    return by_label_index(images[keep], labels[keep])


def test_training_words_are_not_the_benchmarks_and_lookalikes_are_letters():
    assert pw.disjoint_from_benchmark()
    assert pw.LOOKALIKES <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert {"o", "O", "l", "I", "S", "Z", "B"} <= pw.LOOKALIKES and not {"M", "W", "k"} & pw.LOOKALIKES


@pytest.mark.parametrize("font", ["", "first installed"])
def test_draw_text_gives_the_ink_and_the_lookalikes_ink_within_it(font):
    path = "" if font == "" else (str(pw.font_files()[0]) if pw.font_files() else "")
    ink, lookalike = pw.draw_text("MoW", path, 40)  # "" : Pillow's own font (no fonts installed)
    assert ink.shape == lookalike.shape and ink.dtype == np.float32
    assert 25 <= ink.shape[0] <= 70 and ink.shape[1] > ink.shape[0]
    assert lookalike.max() > 0.5 and (lookalike <= ink + 1e-6).all()  # the "o" is a lookalike
    assert (lookalike > 0.2).sum() < 0.6 * (ink > 0.2).sum()
    clear, none = pw.draw_text("MW", path, 40)
    assert clear.max() > 0.5 and none.max() == 0.0


def test_word_lines_are_reproducible_and_their_truth_maps_cover_the_ink(source):
    a = pw.word_line(np.random.default_rng([3, 20261206]), source)
    b = pw.word_line(np.random.default_rng([3, 20261206]), source)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    image, word, lookalike, number = a
    assert image.dtype == np.uint8 and image.shape == word.shape == number.shape == lookalike.shape
    assert word.max() > 0.5 and number.max() > 0.5
    ink = (word > 0.5) | (number > 0.5)
    # ink is darker than the paper around it
    assert np.median(image[ink]) < np.median(image[~ink]) - 30


def test_units_are_labelled_by_whose_ink_they_are():
    word = np.zeros((40, 100), np.float32)
    lookalike = np.zeros_like(word)
    number = np.zeros_like(word)
    word[10:30, 0:20] = 1           # a clear letter
    word[10:30, 30:40] = 1          # a lookalike letter ("l")
    lookalike[10:30, 30:40] = 1
    number[10:30, 60:70] = 1        # a digit
    def unit(x0, x1):
        mask = np.zeros((20, x1 - x0), bool)
        mask[:] = True
        return (x0, 10, mask)
    labels = pw.label_units([unit(0, 20), unit(30, 40), unit(60, 70), unit(80, 90)], word,
                            lookalike, number, 1.0)
    assert labels.tolist() == [pw.LETTER, pw.UNCLEAR, pw.NOT_LETTER, pw.NOT_LETTER]


def test_mining_word_lines_gives_engine_crops_of_both_kinds(source):
    x, y = pw.mine_word_lines(range(12), source)
    assert x.shape[1:] == (28, 28) and x.dtype == np.uint8 and len(x) == len(y)
    assert set(np.unique(y)) == {pw.LETTER, pw.NOT_LETTER}


def test_committed_letter_card_is_what_its_metrics_give(tmp_path):
    """MODEL_CARD_letters.md is generated (`train_letters.py --recard`): not edited by hand."""
    import json
    from pathlib import Path

    import training.train_letters as tl
    from training.mnist import sha256_of
    models = Path(__file__).resolve().parents[1] / "models"
    metrics = json.loads((models / tl.NAMES["metrics"]).read_text())
    assert metrics["sha256"] == sha256_of(models / tl.NAMES["model"])
    tl.write_card(metrics, tmp_path)
    assert (tmp_path / tl.NAMES["card"]).read_text() == (models / tl.NAMES["card"]).read_text()


def test_sentences_and_small_print_are_options_that_change_nothing_when_off(monkeypatch):
    """P_SENTENCE and P_SMALL_TEXT (tried, off): off, a line's text and height take the same
    random draws as the committed model's lines; on, sentences of form words and small print."""
    def draws(seed):
        rng = np.random.default_rng(seed)
        return pw.random_text(rng), pw.text_height(rng, 50), rng.random()

    def plain(seed):
        rng = np.random.default_rng(seed)
        return pw.random_word(rng), int(50 * rng.uniform(0.6, 1.1)), rng.random()

    assert [draws(s) for s in range(20)] == [plain(s) for s in range(20)]
    monkeypatch.setattr(pw, "P_SENTENCE", 1.0)
    monkeypatch.setattr(pw, "P_SMALL_TEXT", 1.0)
    texts = [draws(s) for s in range(20)]
    assert all(2 <= len(t.split()) < pw.SENTENCE_WORDS[1] for t, _, _ in texts)
    assert all(t.split()[0][0].isupper() and t.split()[1].lower() in {w.lower() for w in pw.TRAIN_WORDS}
               for t, _, _ in texts)
    assert all(pw.SMALL_TEXT_H[0] <= h < pw.SMALL_TEXT_H[1] for _, h, _ in texts)

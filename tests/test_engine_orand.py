"""Accuracy floor on real bank-check amounts (ORAND-CAR-A images the classifier never trained on)."""
import pytest

from realtime.evaluate import edit_distance, evaluate_orand, orand_items
from realtime.imageio import load_image
from tests.engine_helpers import real_reader


def test_edit_distance():
    assert edit_distance("", "") == 0
    assert edit_distance("123", "123") == 0
    assert edit_distance("123", "13") == 1
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "45") == 2


def test_heldout_split_is_disjoint_from_training(orand_dir):
    held = {p.name for p, _ in orand_items(orand_dir, split="heldout")}
    train = {p.name for p, _ in orand_items(orand_dir, split="train")}
    assert held and train and not held & train
    assert len(held) + len(train) == len(orand_items(orand_dir, split="all"))


@pytest.mark.slow
def test_orand_accuracy_floor(orand_dir):
    # a fixed subset of the held-out images; floors a little under what the engine reaches so
    # that a regression fails and noise does not
    result = evaluate_orand(real_reader(), orand_dir, limit=80, progress=False)
    assert result.score.n == 80
    assert result.score.exact_rate >= 0.45, result.summary()
    assert result.score.cer <= 0.24, result.summary()


@pytest.mark.parametrize("name, truth", [
    ("a_car_000299.jpg", "2839"),  # a thin 3 on a short line: was taken for a box and erased
    ("a_car_000810.jpg", "2500"),  # joined small zeros: too few cut positions tried ("2270")
    ("a_car_001059.jpg", "90000"),  # (training split) the last zero's closing tail read "8"
    ("a_car_001203.jpg", "21301"),  # (training split) the box's side in a corner read "1"
    ("a_car_000820.jpg", "15100"),  # (training split) a leaning 1 joined to a zero: an
    # upright cut gave the top of the 1 to the zero, read "6" ("15160")
    ("a_car_001002.jpg", "400000"),  # (training split) zeros sharing a side: each cut left one
    # of them open, read "6" ("400600")
])
def test_cheques_the_segmentation_fixes_were_made_for(orand_dir, name, truth):
    reading = real_reader().read(load_image(orand_dir / "images" / name))
    assert "".join(reading.lines).replace(" ", "") == truth

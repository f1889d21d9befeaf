import numpy as np
import pytest

from realtime.normalize import MNIST_SIZE, normalize_batch, normalize_digit


def test_empty_crop_gives_black_field():
    out = normalize_digit(np.zeros((5, 7), np.uint8))
    assert out.shape == (28, 28) and out.dtype == np.uint8 and out.max() == 0


def test_tall_stroke_keeps_aspect_and_fits_20px():
    crop = np.zeros((200, 300), np.uint8)
    crop[20:180, 140:160] = 255  # a tall bar, 160 x 20
    out = normalize_digit(crop)
    ys, xs = np.nonzero(out > 0)
    assert ys.max() - ys.min() + 1 == 20           # longer side fitted to 20
    assert xs.max() - xs.min() + 1 <= 5             # not squashed to a square


def test_centre_of_mass_is_centred():
    crop = np.zeros((50, 50), np.uint8)
    crop[5:30, 10:20] = 255
    out = normalize_digit(crop).astype(float)
    ys, xs = np.mgrid[:MNIST_SIZE, :MNIST_SIZE]
    cy, cx = (out * ys).sum() / out.sum(), (out * xs).sum() / out.sum()
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


def test_bool_mask_and_batch():
    mask = np.zeros((30, 30), bool)
    mask[5:25, 12:18] = True
    batch = normalize_batch([mask, mask.astype(np.uint8) * 255])
    assert batch.shape == (2, 28, 28)
    assert np.array_equal(batch[0], batch[1])


def test_rejects_3d_input():
    with pytest.raises(ValueError):
        normalize_digit(np.zeros((5, 5, 3), np.uint8))

"""Mining the engine's segmentation candidates for classifier training (training/mine_pieces.py)
and the synthetic pages' per-digit truth it labels them with. No TensorFlow needed."""
import numpy as np

from realtime.synth import by_label_index, make_page, mnist_test_digits, render_page
from tests.engine_helpers import on_paper, render_number
from training import mine_pieces as mp


def test_page_with_ids_is_the_same_page():
    for seed in (0, 5, 1009):
        image, lines = make_page(seed)
        page = render_page(seed, with_ids=True)
        assert np.array_equal(page.image, image) and page.lines == lines
        digits = "".join(lines).replace(" ", "")
        # every digit of the truth has its own id, in reading order, with its label
        assert page.digit_labels == [int(c) for c in digits]
        assert set(np.unique(page.digit_ids)) == set(range(len(digits) + 1))


def test_page_ids_sit_on_the_ink():
    page = render_page(3, with_ids=True)
    gray = page.image.mean(2)
    paper = np.median(gray)
    on_digit = gray[page.digit_ids > 0]
    # the pixels marked as digit ink are much darker than the paper, on the whole
    assert np.median(on_digit) < paper - 40


def test_other_digit_source_changes_the_digits_not_the_layout():
    images, by_label = mnist_test_digits()
    labels = np.zeros(len(images), np.int64)
    for d, idx in enumerate(by_label):
        labels[idx] = d
    flipped = by_label_index(images[::-1].copy(), labels[::-1].copy())
    a, b = render_page(7, with_ids=True), render_page(7, source=flipped, with_ids=True)
    assert a.lines == b.lines and a.digit_labels == b.digit_labels
    assert not np.array_equal(a.image, b.image)


def _two_digit_image(touching: bool):
    ink = render_number("40", height=48, seed=2, gap=-0.3 if touching else 0.25)
    image = on_paper(ink)
    # truth: each digit's ink from rendering them one at a time at the same places
    ids = np.zeros(ink.shape, np.int32)
    first = render_number("4", height=48, seed=2, canvas=ink.shape)  # same rng: the same 4
    ids[first > 0.3] = 1
    ids[(ink > 0.3) & (ids == 0)] = 2
    return image, ids


def test_separate_digits_are_mined_as_their_labels():
    image, ids = _two_digit_image(touching=False)
    crops, labels = mp.mine_image(image, ids, [4, 0])
    assert crops.shape[1:] == (28, 28) and crops.dtype == np.uint8
    assert {4, 0} <= set(labels.tolist())


def test_a_touching_pair_taken_whole_is_not_a_digit():
    image, ids = _two_digit_image(touching=True)
    cands = mp.candidate_pieces(image)
    labels = mp.label_pieces(cands, mp.grow_ids(ids), [4, 0])
    totals = [(ids == k).sum() for k in (1, 2)]
    # candidates holding most of both digits (the pair as one unit) are labelled not-a-digit
    both = [i for i, (x, y, m) in enumerate(cands.masks)
            if all((ids[y:y + m.shape[0], x:x + m.shape[1]][m] == k).sum() > 0.6 * t
                   for k, t in zip((1, 2), totals, strict=True))]
    assert both and all(labels[i] == mp.NONDIGIT for i in both)


def test_touching_pair_cuts_give_digits_and_rejects():
    image, ids = _two_digit_image(touching=True)
    crops, labels = mp.mine_image(image, ids, [4, 0])
    assert mp.NONDIGIT in labels  # the pair read whole (and bad cuts) are not digits
    assert set(labels[labels < mp.NONDIGIT].tolist()) <= {4, 0}


def test_box_truth_goes_to_the_nearer_box_centre():
    ids = mp.box_ids((10, 20), [[0, 0, 12, 10], [8, 0, 12, 10]])
    assert ids[5, 2] == 1 and ids[5, 17] == 2
    assert ids[5, 9] == 1 and ids[5, 11] == 2  # overlap: columns 8..11, centres 6 and 14


def test_unclear_pieces_are_left_out():
    # a piece holding 60 % of one digit and nothing else is neither a digit nor a fragment
    cands = mp.Candidates(np.zeros((1, 28, 28), np.uint8),
                          [(0, 0, np.array([[True] * 6 + [False] * 4] * 10))],
                          np.ones((10, 10), bool), 1.0)
    truth = np.ones((10, 10), np.int32)
    assert mp.label_pieces(cands, truth, [5]).tolist() == [-1]


def _one_piece(mask: np.ndarray) -> mp.Candidates:
    """Candidates of one piece `mask` over a digit that fills the whole mask's box."""
    return mp.Candidates(np.zeros((1, 28, 28), np.uint8), [(0, 0, mask)],
                         np.ones(mask.shape, bool), 1.0)


def test_a_whole_digit_is_its_label():
    mask = np.ones((10, 10), bool)
    assert mp.label_pieces(_one_piece(mask), np.ones((10, 10), np.int32), [5]).tolist() == [5]


def test_a_wide_fragment_is_not_a_digit_unless_fragments_are_off():
    mask = np.zeros((4, 20), bool)
    mask[:, :6] = True  # 30 % of the digit, wider than tall
    truth = np.ones((4, 20), np.int32)
    assert mp.label_pieces(_one_piece(mask), truth, [5]).tolist() == [mp.NONDIGIT]
    assert mp.label_pieces(_one_piece(mask), truth, [5], fragments=False).tolist() == [-1]
    assert mp.label_pieces(_one_piece(mask), truth, [1]).tolist() == [-1]  # a 1's part: unclear


def test_thin_fragments_are_left_out():
    mask = np.zeros((10, 10), bool)
    mask[:, :3] = True  # a sliver: it would look like a 1
    cands = mp.Candidates(np.zeros((1, 28, 28), np.uint8), [(0, 0, mask)],
                          np.ones((10, 10), bool), 1.0)
    assert mp.label_pieces(cands, np.ones((10, 10), np.int32), [5]).tolist() == [-1]


def test_mined_synthetic_pages_have_both_kinds():
    images, by_label = mnist_test_digits()  # (tests use test digits; training uses train ones)
    labels = np.zeros(len(images), np.int64)
    for d, idx in enumerate(by_label):
        labels[idx] = d
    crops, y = mp.mine_synth([11, 12], images, labels)
    assert len(crops) == len(y) > 10
    assert (y == mp.NONDIGIT).any() and (y < mp.NONDIGIT).any()
    assert set(np.unique(y)) <= set(range(11))


def test_an_image_without_digits_gives_only_rejects():
    mask = np.ones((10, 10), bool)
    assert mp.label_pieces(_one_piece(mask), np.zeros((10, 10), np.int32), []).tolist() == [
        mp.NONDIGIT]

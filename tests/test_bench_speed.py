"""realtime.bench_speed bookkeeping (page selection, cache, summaries) with fake pages and reader;
no timing is asserted."""
import numpy as np

from realtime import bench_speed as bs
from realtime.reading import Reading


def fake_make_page(seed: int):
    """Every third page is not 1280x720; page `seed` holds seed % 50 digits in two lines."""
    h, w = (600, 800) if seed % 3 == 0 else (720, 1280)
    n = seed % 50
    return np.full((h, w, 3), seed % 256, np.uint8), ["1" * (n // 2), "2 " * (n - n // 2)]


class FakeReader:
    def read(self, image):
        return Reading(timings_ms={k: float(i) for i, k in enumerate(bs.STAGES)} | {"total": 1.0})


def test_digit_count_ignores_spaces():
    assert bs.digit_count(["12 3", "", "4"]) == 4


def test_select_pages_keeps_1280x720_pages_under_the_digit_limit_in_seed_order():
    pages = bs.select_pages(5, 30, first_seed=10, make_page=fake_make_page)
    seeds = [s for s, _, _ in pages]
    assert seeds == sorted(seeds) and len(pages) == 5
    assert all(s % 3 and s % 50 <= 30 for s in seeds)
    assert all(img.shape == (720, 1280, 3) for _, img, _ in pages)


def test_load_pages_reuses_the_cache_only_for_the_same_selection(tmp_path, monkeypatch):
    calls = []
    select = bs.select_pages

    def counting(n_pages, max_digits):
        calls.append((n_pages, max_digits))
        return select(n_pages, max_digits, make_page=fake_make_page)

    monkeypatch.setattr(bs, "select_pages", counting)
    cache = tmp_path / "pages.npz"
    first = bs.load_pages(cache, 3, 40)
    again = bs.load_pages(cache, 3, 40)
    assert calls == [(3, 40)]
    assert [(s, n) for s, _, n in again] == [(s, n) for s, _, n in first]
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again, strict=True))
    bs.load_pages(cache, 4, 40)
    assert calls == [(3, 40), (4, 40)]


def test_run_reports_all_pages_and_the_many_digit_subset():
    pages = bs.select_pages(6, 49, first_seed=20, make_page=fake_make_page)
    res = bs.run(pages, FakeReader(), repeats=2, min_digits=25)
    many = [p for p in res["per_page"] if p["digits"] >= 25]
    assert res["all"]["pages"] == 6 and res["25+"]["pages"] == len(many) > 0
    assert res["all"]["stages_ms"] == {k: float(i) for i, k in enumerate(bs.STAGES)}
    assert bs.format_result(res).count("median") == 2


class CountingClassifier:
    """Stands in for DigitClassifier's counters: two crops for the first model and one for
    the second per digit read."""

    def __init__(self):
        self.crops_read = {"first": 0, "second": 0}


class CountingReader(FakeReader):
    def __init__(self, digits_per_page: int):
        self.classifier = CountingClassifier()
        self.n = digits_per_page

    def read(self, image):
        from realtime.reading import Digit
        self.classifier.crops_read = {"first": self.classifier.crops_read["first"] + 2 * self.n,
                                      "second": self.classifier.crops_read["second"] + self.n}
        reading = super().read(image)
        reading.digits = [Digit(1, 0.9, (0, 0, 1, 1), 0) for _ in range(self.n)]
        return reading


def test_crops_per_digit_by_model_and_in_the_report():
    pages = bs.select_pages(3, 49, first_seed=20, make_page=fake_make_page)
    res = bs.run(pages, CountingReader(4), repeats=1, min_digits=25)
    assert res["crops_per_digit"] == {"first": 2.0, "second": 1.0}
    assert "first model 2.00, second model 1.00" in bs.format_result(res)


def test_crops_per_digit_is_none_for_a_classifier_without_counters():
    pages = bs.select_pages(2, 49, first_seed=20, make_page=fake_make_page)
    res = bs.run(pages, FakeReader(), repeats=1, min_digits=25)
    assert res["crops_per_digit"] is None
    assert "crops classified" not in bs.format_result(res)


def test_host_pace_times_the_fixed_job_on_one_thread_and_restores_opencvs_threads():
    import cv2
    threads = cv2.getNumThreads()
    seen = []
    real_median = cv2.medianBlur

    def counting(image, k):
        seen.append((image.shape, k, cv2.getNumThreads()))
        return real_median(image, k)

    cv2.medianBlur = counting
    try:
        pace = bs.host_pace_us(reps=3)
    finally:
        cv2.medianBlur = real_median
    assert pace > 0
    assert seen == [(bs.PACE_SHAPE, bs.PACE_KERNEL, 1)] * 3
    assert cv2.getNumThreads() == threads


def test_model_pace_times_the_first_model_per_crop_and_none_without_one():
    class Model:
        def __init__(self):
            self.batches = []

        def probabilities(self, crops):
            self.batches.append(crops.shape)
            return np.zeros((len(crops), 11), np.float32)

    class Classifier:
        _model = Model()

    pace = bs.model_pace_us(Classifier(), reps=3)
    assert pace is not None and pace >= 0
    # one untimed read, then the timed ones, each of MODEL_PACE_BATCH 28 x 28 crops
    assert Classifier._model.batches == [(bs.MODEL_PACE_BATCH, 28, 28)] * 4
    assert bs.model_pace_us(object()) is None

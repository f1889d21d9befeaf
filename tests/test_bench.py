"""The benchmark command: baselines, Tesseract parsing, scoring, and a tiny end-to-end run."""
from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from realtime import bench, bench_data
from realtime.baselines import (
    NaiveReader,
    TesseractReader,
    naive_crops,
    naive_rows,
    parse_tesseract_page,
    split_tesseract_pages,
    tesseract_path,
)
from realtime.reading import Digit, Reading

ROOT = Path(__file__).resolve().parents[1]
TINY = bench.BenchConfig(mnist_n=120, nondigit_n=40, batch_sizes=(1, 8), latency_min_s=0.0,
                         orand_n=6, synth_pages=2, word_lines=3, sign_numbers=2, times_pairs=2,
                         fresh_pages=3,
                         scaling_widths=(160, 320),
                         scaling_counts=(0, 3),
                         scaling_repeats=1, live_frames=5, live_camera_s=0.2, worst_n=4)


class InkClassifier:
    """Stand-in classifier: label from the ink's row of mass, rejects empty crops."""

    def probabilities(self, crops):
        crops = np.asarray(crops, np.float32)
        p = np.full((len(crops), 11), 0.01, np.float32)
        mass = crops.reshape(len(crops), -1).sum(axis=1)
        labels = np.where(mass == 0, 10, (mass // 1000).astype(int) % 10)
        p[np.arange(len(crops)), labels] = 0.9
        return p

    def classify(self, crops):
        p = self.probabilities(crops)
        labels = p.argmax(axis=1).astype(np.int64)
        labels[labels == 10] = -1
        return labels, p.max(axis=1)


def page_with_digits(text_rows: list[str], size=(400, 200)) -> np.ndarray:
    page = np.full((size[1], size[0], 3), 255, np.uint8)
    for i, text in enumerate(text_rows):
        cv2.putText(page, text, (20, 60 + 80 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0), 4)
    return page


def fake_make_page(seed: int):
    rng = np.random.default_rng(seed)
    rows = ["".join(str(d) for d in rng.integers(0, 10, 4)) for _ in range(2)]
    return page_with_digits(rows), rows


def fake_make_labelled(seed: int):
    number = str(1000 + 7 * seed)
    return page_with_digits([f"Km {number}"]), number, "Km"


def fake_make_signed(seed: int):
    number = str(200 + seed)
    return page_with_digits([f"{number}7"]), number, "%"


def fake_make_times(seed: int):
    return page_with_digits([f"{seed} 7 {seed + 1}"]), f"{seed} {seed + 1}"


def fake_live(cfg):
    return [{"resolution": f"{w}x{h}", "frames": cfg.live_frames, "fps": 30.0 + i,
             "detections_per_s": 5.0, "rss_mb_after": 100.0} for i, (w, h) in enumerate(cfg.live_sizes)]


# --- the naive baseline -----------------------------------------------------------------------

def test_naive_reader_finds_two_rows_of_blobs():
    page = np.full((200, 300), 255, np.uint8)
    for x in (20, 80, 140):
        cv2.rectangle(page, (x, 20), (x + 20, 60), 0, -1)  # row 0 (y // 50 == 0)
    for x in (30, 90):
        cv2.rectangle(page, (x, 120), (x + 25, 170), 0, -1)  # row 2
    reading = NaiveReader(InkClassifier()).read(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR))
    assert len(reading.lines) == 2
    assert [len(line) for line in reading.lines] == [3, 2]
    assert [d.line for d in reading.digits] == [0, 0, 0, 1, 1]
    xs_row0 = [d.box[0] for d in reading.digits if d.line == 0]
    assert xs_row0 == sorted(xs_row0)
    assert set(reading.timings_ms) >= {"binarize", "segment", "classify", "total"}


def test_naive_crops_squash_without_keeping_aspect():
    ink = np.zeros((100, 100), np.uint8)
    ink[10:90, 40:50] = 255  # a tall thin bar
    crop = naive_crops(ink, [(40, 10, 10, 80)])[0]
    assert crop.shape == (28, 28)
    assert (crop > 128).all()  # squashed: the bar fills the whole field (MNIST would keep it thin)
    assert naive_rows([(0, 49, 5, 5), (0, 50, 5, 5), (0, 149, 5, 5)]) == [0, 1, 2]


def test_naive_reader_on_blank_page_reads_nothing():
    reading = NaiveReader(InkClassifier()).read(np.full((50, 80, 3), 255, np.uint8))
    assert reading.lines == [] and reading.digits == []


# --- Tesseract wrapper ------------------------------------------------------------------------

def test_parse_tesseract_page_keeps_digits_and_inner_spaces():
    assert parse_tesseract_page("12 34\n\n 5a6,7 \n  \n") == ["12 34", "567"]
    assert parse_tesseract_page("") == []


def test_split_tesseract_pages_on_form_feeds():
    assert split_tesseract_pages("2250\n\f\f60\n", 3) == [["2250"], [], ["60"]]
    assert split_tesseract_pages("1\n\f2\n\f", 2) == [["1"], ["2"]]  # trailing separator
    with pytest.raises(RuntimeError, match="2 pages for 3 images"):
        split_tesseract_pages("1\f2", 3)


@pytest.mark.skipif(tesseract_path() is None, reason="tesseract is not installed")
def test_tesseract_reads_printed_digits_in_one_batch():
    images = [page_with_digits(["4096"]), np.full((60, 120, 3), 255, np.uint8), page_with_digits(["1357"])]
    readings, seconds = TesseractReader(psm=6).read_many(images)
    assert len(readings) == 3 and seconds > 0
    assert readings[0].lines == ["4096"] and readings[1].lines == [] and readings[2].lines == ["1357"]


# --- scoring ----------------------------------------------------------------------------------

def test_score_item_counts_errors_lines_and_box_matches():
    item = bench_data.LabelledImage("x", np.zeros((10, 10, 3), np.uint8), ["123"],
                                    [(1, (0, 0, 10, 10)), (2, (20, 0, 10, 10)), (3, (40, 0, 10, 10))])
    read = Reading(lines=["12 8"], digits=[Digit(1, 0.9, (1, 0, 10, 10), 0),
                                          Digit(2, 0.9, (35, 0, 10, 10), 0),  # right label, wrong place
                                          Digit(8, 0.9, (40, 0, 10, 10), 0)])  # right place, wrong label
    s = bench.score_item(item, read)
    assert (s["exact"], s["errors"], s["chars"], s["lines_ok"]) == (False, 2, 3, True)
    assert (s["errors_nospace"], s["lines_exact"], s["n_lines"]) == (1, 0, 1)
    assert (s["matched"], s["n_true"], s["n_read"]) == (1, 3, 3)
    # pages: spaces are part of the truth; ORAND amounts: one string, spaces and lines joined
    assert not bench.score_item(item, Reading(lines=["1 2 3"]))["exact"]
    item.kind = "orand"
    assert bench.score_item(item, Reading(lines=["1 2", "3"]))["exact"]


def test_orand_scores_agree_with_realtime_evaluate(orand_dir):
    from realtime.evaluate import evaluate_orand

    reader = NaiveReader(InkClassifier())
    items = bench_data.load_orand(orand_dir, limit=12)
    scores = [bench.score_item(it, reader.read(it.image)) for it in items]
    ours = bench.summarize_scores(scores, [1.0] * len(scores))
    theirs = evaluate_orand(reader, orand_dir, limit=12, progress=False).score
    assert ours["exact_match"] == theirs.exact_rate
    assert ours["cer"] == pytest.approx(theirs.cer)
    assert ours["line_count_acc"] == theirs.line_count_rate


# --- end to end -------------------------------------------------------------------------------

def fake_components(tmp_notes=None) -> bench.Components:
    clf = InkClassifier()
    tess = TesseractReader(psm=6) if tesseract_path() else None
    return bench.Components(classifiers={"int8": clf, "float": InkClassifier()},
                            reader=NaiveReader(clf), make_page=fake_make_page, live=fake_live,
                            tesseract=tess, notes=list(tmp_notes or []),
                            make_labelled=fake_make_labelled, make_signed=fake_make_signed,
                            make_times=fake_make_times)


def assert_report(out: Path, results: dict, expect_sections: list[str]):
    md = (out / "benchmarks.md").read_text()
    for heading in expect_sections:
        assert heading in md, heading
    for plot in ("confusion.png", "latency_batch.png", "scaling_size.png", "scaling_digits.png",
                 "stages.png"):
        assert (out / "bench" / plot).stat().st_size > 1000, plot
        assert f"bench/{plot}" in md
    assert results["machine"]["cores"] >= 1 and results["machine"]["date"] in md
    headline = (out / "bench" / "headline.md").read_text()
    assert "MNIST test accuracy" in headline
    data = json.loads((out / "bench" / "results.json").read_text())
    assert data["classifier"]["mnist_images"] == TINY.mnist_n
    return md, headline, data


def test_tiny_run_with_stand_ins_writes_report_and_plots(tmp_path):
    results = bench.run(TINY, tmp_path, comp=fake_components(), mode="quick")
    md, headline, data = assert_report(tmp_path, results, [
        "## Classifier", "## Engine beside the alternatives", "### synthetic pages",
        "## How cost grows with work", "## Live path"])
    synth = data["engine"]["datasets"]["synth"]["readers"]
    assert synth["ours"]["images"] == TINY.synth_pages
    assert 0.0 <= synth["naive"]["exact_match"] <= 1.0
    assert synth["ours"]["time_vs_ours"] == pytest.approx(1.0)
    assert (tmp_path / "bench" / "worst_synth.png").exists()
    assert "640x480" in md and "live.png" in md
    assert "images read exactly" in headline
    fresh = data["engine"]["fresh_synth"]
    assert fresh["pages"] == TINY.fresh_pages and fresh["first_seed"] == TINY.fresh_seed
    assert "3 more (seeds 3000–3002), ours alone" in headline
    if tesseract_path():
        assert "Tesseract 5" in md and "tesseract" in synth
    # numbers beside words: one string per image, the number alone is the truth
    words = data["engine"]["datasets"]["words"]
    assert words["readers"]["ours"]["images"] == TINY.word_lines
    assert "### numbers beside printed words" in md and "numbers beside printed words" in headline
    assert (tmp_path / "bench" / "worst_words.png").exists()
    # numbers with a sign: seeds from sign_seed, the number alone is the truth
    signs = data["engine"]["datasets"]["signs"]
    assert signs["readers"]["ours"]["images"] == TINY.sign_numbers
    assert "### numbers with a sign" in md and "sign_seed" not in md
    assert [i.lines for i in bench.sign_items(TINY, fake_make_signed)] == [["1200"], ["1201"]]
    # two numbers with an x between: seeds from times_seed, one line, the numbers apart
    times = data["engine"]["datasets"]["times"]
    assert times["readers"]["ours"]["images"] == TINY.times_pairs
    assert "### two numbers with an x between" in md and "two numbers with an x between" in headline
    assert [i.lines for i in bench.times_items(TINY, fake_make_times)] == [["2000 2001"], ["2001 2002"]]


def test_numbers_beside_words_are_scored_as_the_number_alone():
    item = bench.word_items(TINY, fake_make_labelled)[1]
    assert item.lines == ["1007"] and item.kind == "words"
    assert bench.official_lines(item, ["1 007"]) == ["1007"]
    assert bench.score_item(item, Reading(lines=["1007"]))["exact"]
    assert not bench.score_item(item, Reading(lines=["74", "1007"]))["exact"]


def test_tiny_run_on_orand(tmp_path, orand_dir):
    comp = fake_components()
    comp.make_page = None
    results = bench.run(TINY, tmp_path, comp=comp, sections=("engine",), mode="quick")
    orand = results["engine"]["datasets"]["orand"]
    assert orand["readers"]["ours"]["images"] == TINY.orand_n
    assert 0.0 <= orand["readers"]["ours"]["digit_recall"] <= 1.0
    assert (tmp_path / "bench" / "worst_orand.png").exists()
    assert "### ORAND-CAR-A held-out" in (tmp_path / "benchmarks.md").read_text()


REAL_PARTS = (ROOT / "models" / "digits_int8.tflite").exists() and all(
    importlib.util.find_spec(m) is not None for m in ("realtime.reader", "realtime.classifier"))


@pytest.mark.slow
@pytest.mark.skipif(not REAL_PARTS, reason="needs the committed model and realtime.reader")
def test_tiny_run_with_the_real_engine(tmp_path):
    results = bench.run(TINY, tmp_path, sections=("classifier", "engine", "scaling"), mode="quick")
    acc = results["classifier"]["models"]["int8"]["accuracy"]
    assert 0.5 < acc <= 1.0  # a trained model, not chance
    assert results["engine"]["datasets"]
    assert (tmp_path / "benchmarks.md").exists()


def test_cli_rejects_unknown_section(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--only", "nonsense"])
    assert "unknown section" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("realtime.live") is None, reason="realtime.live not here")
def test_live_measurement_through_the_processor():
    rows = bench.measure_live(((160, 120), (320, 240)), 30, NaiveReader(InkClassifier()), fake_make_page,
                              camera_fps=30, camera_s=0.3)
    assert [r["resolution"] for r in rows] == ["160x120", "320x240"]
    for r in rows:
        assert r["frames"] == 30 and r["fps"] > 0 and r["camera_frames"] == 9
        assert r["detections_per_s"] > 0  # the worker read at least one paced frame
        assert r["rss_mb_after"] > 0


@pytest.mark.parametrize("flags, expected", [
    ({"avx2", "avx512f", "avx512_vnni"}, "AVX-512 VNNI"),
    ({"avx2", "avx_vnni"}, "AVX-VNNI"),
    ({"avx", "avx2", "fma"}, "none (AVX2 only)"),
    ({"fp", "asimd", "asimddp"}, "Arm dot product"),
    ({"sse2"}, "none"),
    (set(), "unknown"),
])
def test_int8_dot_product_names_the_instructions_the_int8_model_runs_fast_with(flags, expected):
    assert bench.int8_dot_product(flags) == expected


def test_machine_line_says_which_int8_instructions_the_cpu_has():
    machine = {"date": "2026-12-05 04:00 UTC", "cores": 2, "cpu": "Some CPU", "os": "Linux",
               "python": "3.11.7", "int8_dot": "none (AVX2 only)"}
    assert "int8 dot-product instructions: none (AVX2 only)" in bench.machine_line(machine)


def test_mnist_rates_print_to_a_hundredth_so_a_near_miss_does_not_round_up():
    assert bench.pct_mnist(0.9955) == "99.55 %"  # the target is 99.6 %: 99.55 must not print so
    assert bench.pct_mnist(0.996) == "99.60 %"
    assert bench.pct_mnist(float("nan")) == "n/a"


class EvenSeedsReader:
    """Reads fake_make_page's pages right when their first digit is even, else drops a line."""

    def read(self, image):
        return Reading(lines=list(self.truth[:1] if int(self.truth[0][0]) % 2 else self.truth))


def test_fresh_synthetic_pages_are_scored_like_evaluate():
    reader = EvenSeedsReader()

    def make_page(seed):
        image, lines = fake_make_page(seed)
        reader.truth = lines
        return image, lines

    comp = bench.Components(classifiers={}, reader=reader, make_page=make_page)
    cfg = replace(TINY, fresh_pages=40, fresh_seed=7)
    fresh = bench.bench_fresh_synth(cfg, comp)
    pages = [fake_make_page(seed)[1] for seed in range(7, 47)]
    right = sum(int(lines[0][0]) % 2 == 0 for lines in pages)
    assert 0 < right < 40
    assert fresh["pages"] == 40 and fresh["exact_match"] == pytest.approx(right / 40)
    assert fresh["line_count"] == pytest.approx(right / 40)  # a wrong page lost its second line
    p = right / 40
    assert fresh["exact_ci95"] == pytest.approx(1.96 * (p * (1 - p) / 40) ** 0.5)
    assert "40 more (seeds 7–46)" in bench.fresh_synth_line(fresh)
    assert bench.bench_fresh_synth(replace(cfg, fresh_pages=0), comp) is None

"""`python -m realtime read IMAGE...`: lines per image, JSON, annotation, crop, and bad files."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from realtime.synth import make_page

ROOT = Path(__file__).resolve().parents[1]
SEED = 1000  # a golden page (tests/test_engine_golden.py): read exactly


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "realtime", "read", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def good_png(tmp_path_factory):
    image, truth = make_page(SEED)
    path = tmp_path_factory.mktemp("cli") / "page.png"
    cv2.imwrite(str(path), image)
    return path, truth


def test_good_file_prints_its_lines(good_png):
    path, truth = good_png
    out = run_cli(path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == truth


def test_bad_file_is_one_stderr_line_and_the_good_one_is_still_read(good_png, tmp_path):
    path, truth = good_png
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    missing = tmp_path / "missing.jpg"
    out = run_cli(bad, path, missing)
    assert out.returncode != 0
    err = out.stderr.strip().splitlines()
    assert len(err) == 2
    assert str(bad) in err[0] and str(missing) in err[1]
    # the good file is still read, under its name
    assert f"{path}:" in out.stdout
    for line in truth:
        assert line in out.stdout



def test_a_folder_reads_the_images_in_it_and_names_what_it_left_out(good_png, tmp_path):
    path, truth = good_png
    folder = tmp_path / "scans"
    folder.mkdir()
    for name in ("b.png", "a.PNG"):
        (folder / name).write_bytes(path.read_bytes())
    (folder / "notes.txt").write_text("not an image")
    (folder / "older").mkdir()
    out = run_cli(folder)
    assert out.returncode == 0, out.stderr
    # both images, in name order, each under its path
    first, second = str(folder / "a.PNG"), str(folder / "b.png")
    assert out.stdout.splitlines() == [f"{first}:", *truth, f"{second}:", *truth]
    # what was not read is named, on one line
    [note] = out.stderr.strip().splitlines()
    assert str(folder) in note and "notes.txt" in note and "older" in note


def test_a_folder_without_images_is_one_error_line(good_png, tmp_path):
    path, truth = good_png
    empty = tmp_path / "empty"
    empty.mkdir()
    out = run_cli(empty, path)
    assert out.returncode == 1
    [err] = out.stderr.strip().splitlines()
    assert str(empty) in err and "no image files" in err
    assert out.stdout.splitlines() == [f"{path}:", *truth]  # the file given is still read

def test_json_is_one_object_per_image_per_line(good_png):
    path, truth = good_png
    out = run_cli("--json", path, path)
    assert out.returncode == 0
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == 2
    assert records[0]["file"] == str(path) and records[0]["lines"] == truth
    assert {"digits", "timings_ms", "image_size", "text"} <= set(records[0])


def test_annotate_writes_a_copy(good_png, tmp_path):
    path, _ = good_png
    out_dir = tmp_path / "ann"
    out = run_cli("--annotate", out_dir, path)
    assert out.returncode == 0
    written = list(out_dir.glob("*.png"))
    assert len(written) == 1
    assert cv2.imread(str(written[0])).shape == cv2.imread(str(path)).shape


def test_crop_reads_only_the_region(good_png):
    path, truth = good_png
    full = json.loads(run_cli("--json", path).stdout)
    first_line = [d for d in full["digits"] if d["line"] == 0]
    x0 = min(d["box"][0] for d in first_line) - 10
    y0 = min(d["box"][1] for d in first_line) - 10
    x1 = max(d["box"][0] + d["box"][2] for d in first_line) + 10
    y1 = max(d["box"][1] + d["box"][3] for d in first_line) + 10
    out = run_cli("--crop", f"{x0},{y0},{x1 - x0},{y1 - y0}", path)
    assert out.returncode == 0
    assert out.stdout.splitlines() == [truth[0]]


def test_bad_crop_argument_is_a_usage_error(good_png):
    path, _ = good_png
    out = run_cli("--crop", "1,2,three", path)
    assert out.returncode == 2 and "--crop" in out.stderr


def test_annotate_keeps_one_copy_per_input_when_names_collide(good_png, tmp_path):
    path, _ = good_png
    twins = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        twin = tmp_path / folder / path.name
        twin.write_bytes(path.read_bytes())
        twins.append(twin)
    out_dir = tmp_path / "ann"
    out = run_cli("--annotate", out_dir, *twins)
    assert out.returncode == 0, out.stderr
    assert len(list(out_dir.glob("*.png"))) == 2


def test_unwritable_annotate_folder_is_one_error_line(good_png, tmp_path):
    path, _ = good_png
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = run_cli("--annotate", blocker / "ann", path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    err = out.stderr.strip().splitlines()
    assert len(err) == 1 and str(blocker / "ann") in err[0]


@pytest.mark.parametrize("value", ["5", "-0.1", "nan", "abc"])
def test_min_confidence_outside_0_1_is_refused(good_png, value):
    path, _ = good_png
    out = run_cli("--min-confidence", value, path)
    assert out.returncode == 2
    assert "between 0 and 1" in out.stderr and "Traceback" not in out.stderr


def test_printed_words_are_left_out_unless_keep_words(tmp_path):
    """A form's label beside a number: read without it by default, with it as digits on
    --keep-words (the old behaviour, for whoever wants every mark)."""
    from realtime.synth import labelled_number
    image, number, _ = labelled_number(1)
    path = tmp_path / "label.png"
    cv2.imwrite(str(path), image)
    default = run_cli(path)
    kept = run_cli("--keep-words", path)
    assert default.returncode == kept.returncode == 0, default.stderr + kept.stderr
    assert "".join(default.stdout.split()) == number
    assert len("".join(kept.stdout.split())) > len(number)


def test_read_once_reads_a_small_line_in_doubt_once(tmp_path):
    """Page 2156's second line ("0 356", ~20 px): its small 6 on a ruled line reads 1 in one
    reading and 6 when the line is read again twice as large (the default)."""
    image, truth = make_page(2156)
    path = tmp_path / "small.png"
    cv2.imwrite(str(path), image)
    default = run_cli(path)
    once = run_cli("--read-once", path)
    assert default.returncode == once.returncode == 0, default.stderr + once.stderr
    assert default.stdout.splitlines() == truth
    assert once.stdout.splitlines()[1] != truth[1]

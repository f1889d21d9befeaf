"""The app's pure logic: crop maths, result formatting and downloads, ICE configuration."""
import json

import cv2
import numpy as np
import pytest

from realtime.app_logic import (
    ICE_ENV_VAR,
    annotate,
    box_to_image,
    confidence_rows,
    crop,
    display_scale,
    display_size,
    download_stem,
    full_box,
    ice_servers_from,
    png_bytes,
    result_dict,
    result_json,
    result_text,
    rtc_configuration,
)
from realtime.reading import Digit, Reading


def sample_reading():
    return Reading(lines=["12", "7"],
                   digits=[Digit(1, 0.98, (10, 10, 20, 30), 0), Digit(2, 0.61234, (40, 10, 20, 30), 0),
                           Digit(7, 0.4, (10, 60, 20, 30), 1)],
                   timings_ms={"total": 12.3456}, image_size=(100, 100))


# ---------------------------------------------------------------- crop maths

def test_display_scale_fits_longest_side():
    assert display_scale(1400, 700) == pytest.approx(0.5)
    assert display_scale(300, 200) == 1.0           # never upscales
    assert display_size(1280, 720) == (700, 394)
    assert display_scale(0, 10) == 1.0


def test_box_to_image_scales_back():
    box = {"left": 100, "top": 50, "width": 200, "height": 100}
    assert box_to_image(box, 0.5, 1400, 700) == (200, 100, 400, 200)
    assert box_to_image(box, 1.0, 1400, 700) == (100, 50, 200, 100)


def test_box_to_image_covers_fractional_edges():
    # display box edges at 33.3 px on a 1/3 scale -> image 99.9 -> floor/ceil keep the whole area
    x, y, w, h = box_to_image({"left": 33.3, "top": 0, "width": 10, "height": 10}, 1 / 3, 500, 500)
    assert x == 99 and x + w >= int(np.ceil(43.3 * 3))


@pytest.mark.parametrize("box", [
    {"left": -50, "top": -10, "width": 2000, "height": 2000},   # larger than the image
    {"left": 900, "top": 900, "width": 50, "height": 50},       # entirely outside
    {"left": 10, "top": 10, "width": 0, "height": 0},           # empty
    {},                                                         # nothing
])
def test_box_to_image_is_always_inside_and_non_empty(box):
    x, y, w, h = box_to_image(box, 1.0, 640, 480)
    assert 0 <= x < 640 and 0 <= y < 480 and w >= 1 and h >= 1
    assert x + w <= 640 and y + h <= 480


def test_crop_cuts_the_region():
    image = np.arange(100 * 80 * 3, dtype=np.uint32).reshape(80, 100, 3).astype(np.uint8)
    part = crop(image, (10, 20, 30, 40))
    assert part.shape == (40, 30, 3) and part.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(part, image[20:60, 10:40])
    assert full_box(image) == (0, 0, 100, 80)


# ---------------------------------------------------------------- results

def test_result_text_and_json():
    reading = sample_reading()
    assert result_text(reading) == "12\n7\n"
    assert result_text(Reading()) == ""
    data = json.loads(result_json(reading, "photo.jpg", (5, 6, 100, 100)))
    assert data["lines"] == ["12", "7"] and data["text"] == "12\n7"
    assert data["source"] == "photo.jpg" and data["region"] == [5, 6, 100, 100]
    assert data["digits"][1] == {"label": 2, "confidence": 0.6123, "box": [40, 10, 20, 30],
                                 "line": 0}
    assert result_dict(reading, "x", (0, 0, 1, 1))["image_size"] == [100, 100]


def test_confidence_rows_in_reading_order():
    rows = confidence_rows(sample_reading())
    assert [r["digit"] for r in rows] == ["1", "2", "7"]
    assert [r["line"] for r in rows] == [1, 1, 2]
    assert rows[2]["confidence"] == 0.4


def test_annotate_leaves_input_untouched_and_png_round_trips():
    image = np.full((100, 100, 3), 255, np.uint8)
    annotated = annotate(image, sample_reading())
    assert image.min() == 255 and annotated.min() < 255
    decoded = cv2.imdecode(np.frombuffer(png_bytes(annotated), np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(decoded, annotated)
    plain = annotate(image, sample_reading(), show_boxes=False, show_labels=False)
    assert plain.min() == 255


def test_download_stem_is_safe():
    assert download_stem("IMG 0001.JPG") == "IMG_0001"
    assert download_stem("../../etc/passwd") == "passwd"
    assert download_stem("") == "reading"


# ---------------------------------------------------------------- ICE servers

def test_no_ice_servers_by_default():
    assert ice_servers_from({}) == []
    assert ice_servers_from({ICE_ENV_VAR: "  "}, {}) == []
    assert rtc_configuration([]) == {"iceServers": []}


def test_ice_servers_from_env_json():
    env = {ICE_ENV_VAR: '[{"urls": ["stun:stun.example.org:3478"]}]'}
    assert ice_servers_from(env) == [{"urls": ["stun:stun.example.org:3478"]}]
    single = {ICE_ENV_VAR: '{"urls": "turn:t.example.org", "username": "u", "credential": "p"}'}
    assert ice_servers_from(single)[0]["username"] == "u"


def test_ice_servers_from_secrets_when_env_unset():
    secrets = {"ice_servers": [{"urls": "stun:s.example.org"}]}
    assert ice_servers_from({}, secrets) == [{"urls": "stun:s.example.org"}]
    env = {ICE_ENV_VAR: '[{"urls": "stun:env.example.org"}]'}
    assert ice_servers_from(env, secrets)[0]["urls"] == "stun:env.example.org"  # env wins


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '[{"url": "x"}]', "42"])
def test_bad_ice_config_is_one_clear_line(raw):
    with pytest.raises(ValueError) as e:
        ice_servers_from({ICE_ENV_VAR: raw})
    assert ICE_ENV_VAR in str(e.value) and "\n" not in str(e.value)


def test_plain_markdown_shows_file_names_literally():
    from realtime.app_logic import plain_markdown

    name = "**bold** [link](http://x) `code` :red[x].png"
    escaped = plain_markdown(name)
    # every markdown-active character is escaped, and removing the escapes gives the original
    for c in "*[]`":
        assert f"\\{c}" in escaped
    assert escaped.replace("\\", "") == name.replace("\\", "")


def test_app_confidence_default_is_the_engines():
    from realtime.reader import Settings
    from realtime.ui import AppSettings

    assert AppSettings().min_confidence == Settings().min_confidence


def test_app_leaves_out_printed_words_by_default_and_passes_the_setting_on():
    from realtime.reader import Settings
    from realtime.ui import AppSettings, reader_kwargs

    assert AppSettings().drop_words is Settings().drop_words is True
    assert reader_kwargs(AppSettings(drop_words=False))["drop_words"] is False

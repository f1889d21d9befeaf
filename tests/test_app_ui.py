"""The Streamlit app driven headless with AppTest: upload -> result panel, bad files, bad model.

The engine is real; the classifier is a nearest-prototype matcher over the same MNIST glyphs the
test page is drawn from, so these tests check the app's flow without depending on the model.
"""
import io
import json

import cv2
import numpy as np
import pytest
from app_pages import PrototypeClassifier, digit_page
from conftest import ROOT
from PIL import Image
from streamlit.testing.v1 import AppTest

from realtime import ui

APP = str(ROOT / "stream_app.py")
PAGE_LINES = ["4096", "1357"]


@pytest.fixture
def fake_model(monkeypatch):
    classifier = PrototypeClassifier()
    monkeypatch.setattr(ui, "shared_classifier", lambda model_path: classifier)
    return classifier


def png_of(bgr) -> bytes:
    return cv2.imencode(".png", bgr)[1].tobytes()


def uploaded_app(name: str, data: bytes, mime="image/png") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.segmented_control(key="mode").set_value("Upload a photo").run()
    at.file_uploader[0].set_value((name, data, mime)).run()
    return at


def test_live_view_is_the_default(fake_model):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception  # (AppTest has no WebRTC runtime: the app says so in a message)
    assert at.segmented_control(key="mode").value == "Live camera"
    assert any("START" in i.value for i in at.info)
    assert [b.label for b in at.button] == ["Freeze"] and at.button[0].disabled


def test_upload_shows_reading_confidences_and_downloads(fake_model):
    at = uploaded_app("page.png", png_of(digit_page(PAGE_LINES)))
    assert not at.exception and not at.error
    assert at.code[0].value == "\n".join(PAGE_LINES)
    rows = at.dataframe[0].value
    assert list(rows["digit"]) == list("40961357")
    assert ((rows["confidence"] > 0) & (rows["confidence"] <= 1)).all()
    labels = [d.label for d in at.get("download_button")]
    assert labels == ["Annotated PNG", "JSON", "Text"]
    assert len(at.image) == 1


def test_a_new_upload_of_the_same_size_is_read_anew(fake_model):
    at = uploaded_app("first.png", png_of(digit_page(PAGE_LINES)))
    assert at.code[0].value == "\n".join(PAGE_LINES)
    at.file_uploader[0].set_value(("second.png", png_of(digit_page(["2718"])), "image/png")).run()
    assert not at.exception
    assert at.code[0].value == "2718"


def test_upload_with_exif_rotation_reads_upright(fake_model):
    page = digit_page(PAGE_LINES)
    stored = np.ascontiguousarray(np.rot90(page[:, :, ::-1], k=1))  # stored turned 90 CCW ...
    exif = Image.Exif()
    exif[0x0112] = 6                                                # ... EXIF says turn it back
    buffer = io.BytesIO()
    Image.fromarray(stored).save(buffer, format="JPEG", quality=95, exif=exif)
    at = uploaded_app("phone.jpg", buffer.getvalue(), "image/jpeg")
    assert not at.exception
    assert at.code[0].value == "\n".join(PAGE_LINES)


@pytest.mark.parametrize("name,data,needle", [
    ("broken.png", b"\x89PNG\r\n\x1a\nnot really", "broken.png"),
    ("empty.jpg", b"", "empty.jpg"),
    ("notes.webp", b"just some text", "notes.webp"),
])
def test_bad_uploads_give_a_message_not_a_traceback(fake_model, name, data, needle):
    at = uploaded_app(name, data)
    assert not at.exception
    assert len(at.error) == 1 and needle in at.error[0].value
    assert not at.code


def test_decompression_bomb_upload_is_refused(fake_model):
    from test_imageio import png_bomb_bytes

    at = uploaded_app("huge.png", png_bomb_bytes(50_000, 50_000))
    assert not at.exception
    assert "megapixel limit" in at.error[0].value and "huge.png" in at.error[0].value


def test_region_toggle_is_offered(fake_model):
    at = uploaded_app("page.png", png_of(digit_page(PAGE_LINES)))
    assert at.toggle(key="upload-use-crop").value is False


def test_missing_model_is_a_clear_message(monkeypatch):
    from realtime.classifier import ModelLoadError

    def broken(model_path):
        raise ModelLoadError("digit model not found: /nowhere/digits_int8.tflite")

    monkeypatch.setattr(ui, "shared_classifier", broken)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "could not be loaded" in at.error[0].value
    assert "make train" in at.error[0].value


def test_settings_reach_the_session_reader(fake_model):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.sidebar.slider[0].set_value(0.8).run()
    reader = at.session_state["reader"]
    assert reader.settings.min_confidence == pytest.approx(0.8)
    assert at.session_state["live_processor"]._reader is reader


def test_result_json_download_content(fake_model):
    """The JSON offered for download has the lines, the digits and the region read."""
    from realtime import app_logic

    at = uploaded_app("page.png", png_of(digit_page(PAGE_LINES)))
    reading = at.session_state["still_reading"][1]
    data = json.loads(app_logic.result_json(reading, "page.png", (0, 0, 640, 360)))
    assert data["lines"] == PAGE_LINES and len(data["digits"]) == 8



def test_printed_label_is_left_out_and_said_so_and_the_setting_brings_it_back():
    """The real models: a form's printed label beside a number is left out, a caption says so,
    and unticking "Leave out printed words" reads it as digits again."""
    from realtime.synth import labelled_number
    image, number, _ = labelled_number(0)
    at = uploaded_app("form.png", png_of(image))
    assert not at.exception and not at.error
    assert "".join(at.code[0].value.split()) == number
    assert any("1 printed word left out" in c.value for c in at.caption)
    box = next(c for c in at.checkbox if c.label == "Leave out printed words")
    box.uncheck().run()
    assert not at.exception
    assert len("".join(at.code[0].value.split())) > len(number)
    assert not any("printed word" in c.value and "left out" in c.value for c in at.caption)


def test_missing_letter_model_is_a_clear_message_and_unticking_reads_without_it(fake_model,
                                                                                 monkeypatch,
                                                                                 tmp_path):
    import realtime.letters as letters

    monkeypatch.setattr(letters, "DEFAULT_LETTER_MODEL", tmp_path / "letters_int8.tflite")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert "printed-word model could not be loaded" in message and "letters_int8" in message
    assert "train-letters" in message
    box = next(c for c in at.checkbox if c.label == "Leave out printed words")
    box.uncheck().run()
    # (what error is left is AppTest's: it has no WebRTC runtime for the live view)
    assert not at.exception and not any("printed-word" in e.value for e in at.error)


def test_missing_group_model_is_a_clear_message_too(fake_model, monkeypatch, tmp_path):
    import realtime.groups as groups

    monkeypatch.setattr(groups, "DEFAULT_GROUP_MODEL", tmp_path / "groups_int8.tflite")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert "printed-word model could not be loaded" in message and "groups_int8" in message

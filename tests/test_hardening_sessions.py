"""Two browser sessions at once against one server never see each other's upload, reading,
settings or frozen frame.

One headless Chromium (fake camera), two browser CONTEXTS (separate cookies and Streamlit
sessions, like two people on two machines). Session A raises its confidence threshold and uploads
image 1; session B keeps the defaults and uploads image 2; each page must show exactly its own
reading (the one the engine gives for its own image under its own settings) and nothing of the
other's. Then A freezes its camera: B must not show a frozen frame. (test_browser.py covers two
cameras in two browsers; this one covers uploads and settings.)
"""
from __future__ import annotations

import cv2
import pytest
from app_pages import digit_page, write_y4m
from conftest import ROOT

from realtime import bench_sessions as bs
from realtime.ui import AppSettings

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

MODEL = ROOT / "models" / "digits_int8.tflite"
CAMERA_LINES = ["4096", "1357"]
IMAGE_A_LINES = ["385", "62"]
IMAGE_B_LINES = ["1479"]       # no digit in common with image A
THRESHOLD_STEPS = 10           # slider step 0.05: the default (0.3) -> 0.8
DEFAULT = AppSettings().min_confidence
RAISED = round(DEFAULT + THRESHOLD_STEPS * 0.05, 2)
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server_url():
    script = ROOT / "stream_app.py" if MODEL.exists() else ROOT / "tests" / "prototype_app.py"
    with bs.serve_app(script) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    y4m = tmp_path_factory.mktemp("camera") / "cam.y4m"
    write_y4m(y4m, digit_page(CAMERA_LINES))
    with playwright_api.sync_playwright() as p:
        browser = bs.launch_chromium(p, y4m, chromium)
        yield browser
        browser.close()


def expected_lines(image, drawn: list[str], min_confidence: float) -> list[str]:
    """What the engine reads on this image under these settings (the app must show the same).
    Without the model file the server uses the prototype stand-in, which reads `drawn` exactly."""
    if not MODEL.exists():
        return drawn
    from realtime.reader import DigitReader

    return DigitReader(min_confidence=min_confidence).read(image).lines


def threshold(page) -> str:
    return page.get_by_role("slider", name="Confidence threshold").input_value()


def raise_threshold(page, steps: int) -> None:
    slider = page.get_by_role("slider", name="Confidence threshold")
    slider.focus()
    for _ in range(steps):
        page.keyboard.press("ArrowRight")


def upload(page, path) -> None:
    page.locator("button", has_text="Upload a photo").click()  # segmented control
    page.locator("input[type='file']").set_input_files(str(path))


def reading_blocks(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid='stCode']").all_inner_texts()]


def wait_for_reading(page, lines: list[str]) -> None:
    page.locator("[data-testid='stCode']").filter(has_text="\n".join(lines)).first.wait_for(
        timeout=TIMEOUT_MS)


def test_two_contexts_keep_uploads_readings_settings_and_freeze_apart(browser, server_url,
                                                                      tmp_path):
    images = {"A": digit_page(IMAGE_A_LINES), "B": digit_page(IMAGE_B_LINES)}
    paths = {}
    for name, image in images.items():
        paths[name] = tmp_path / f"image_{name}.png"
        cv2.imwrite(str(paths[name]), image)
    (ctx_a, a), (ctx_b, b) = bs.open_session(browser, server_url), bs.open_session(browser, server_url)
    try:
        raise_threshold(a, THRESHOLD_STEPS)
        expect(a.get_by_test_id("stSliderThumbValue")).to_have_text(f"{RAISED:.2f}")
        upload(a, paths["A"])
        upload(b, paths["B"])
        lines_a = expected_lines(images["A"], IMAGE_A_LINES, RAISED)
        lines_b = expected_lines(images["B"], IMAGE_B_LINES, DEFAULT)
        assert lines_a and lines_b and set("".join(lines_a)).isdisjoint("".join(lines_b))
        wait_for_reading(a, lines_a)
        wait_for_reading(b, lines_b)

        # settings: A's threshold is A's only
        assert float(threshold(a)) == RAISED and float(threshold(b)) == DEFAULT
        # readings: each page shows its own image's reading and nothing of the other's
        assert reading_blocks(a) == ["\n".join(lines_a)]
        assert reading_blocks(b) == ["\n".join(lines_b)]
        assert b.get_by_text("image_A.png").count() == 0 and a.get_by_text("image_B.png").count() == 0

        # freeze: A goes live and freezes; B (also on the live view) sees no frozen frame
        a.locator("button", has_text="Live camera").click()
        b.locator("button", has_text="Live camera").click()
        bs.start_camera(a, show_stats=False)
        freeze = a.get_by_role("button", name="Freeze")
        expect(freeze).to_be_enabled(timeout=TIMEOUT_MS)  # enabled once A's video plays
        freeze.click()
        a.get_by_text("Frozen frame").wait_for(timeout=TIMEOUT_MS)
        a.locator("[data-testid='stImage'] img").first.wait_for(timeout=TIMEOUT_MS)

        b.get_by_text("Show live stats").click()  # B reruns its script after A's freeze
        b.wait_for_timeout(1500)
        assert b.get_by_text("Frozen frame").count() == 0
        assert b.locator("[data-testid='stImage']").count() == 0
        assert b.get_by_role("button", name="Back to live").count() == 0
        assert b.get_by_role("button", name="Freeze").is_disabled()  # B never pressed START
        assert float(threshold(b)) == DEFAULT and float(threshold(a)) == RAISED
    finally:
        ctx_a.close()
        ctx_b.close()

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ORAND = SHARED / "datasets" / "orand-car-a"


def chromium_path() -> str | None:
    env = os.environ.get("CHROMIUM_PATH")
    if env:
        return env
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium():
    """Path to a Chromium for Playwright. In CI a missing browser is a failure, not a skip."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium for the browser tests (make test installs it as root)")
        pytest.skip("no Chromium: install Debian's chromium or set CHROMIUM_PATH")
    return path


@pytest.fixture(scope="session")
def orand_dir():
    if not (ORAND / "labels.jsonl").exists():
        pytest.skip(f"real-data tests need {ORAND} (../shared beside the checkout)")
    return ORAND


@pytest.fixture(scope="session")
def mnist_test_set():
    """The 10,000 MNIST test digits and labels (int64), from training/mnist.py's cache;
    skipped (with the reason) where MNIST cannot be had offline."""
    import numpy as np
    mnist = pytest.importorskip("training.mnist")
    try:
        x, y = mnist.load("test")
    except mnist.MnistUnavailable as e:
        pytest.skip(f"MNIST unavailable offline: {e}")
    return x, y.astype(np.int64)

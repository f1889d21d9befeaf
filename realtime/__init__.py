"""Live handwritten-digit reader engine: image -> binarize -> components -> crops -> classify -> lines.

    from realtime import DigitReader
    reading = DigitReader().read(image)   # image: any ndarray (gray, BGR, BGRA)
    print(reading.lines)
"""
from realtime.reading import Digit, Reading

__all__ = ["Digit", "DigitReader", "Reading"]


def __getattr__(name):
    # DigitReader loads OpenCV and LiteRT; import it on first use so `import realtime` stays light.
    if name == "DigitReader":
        from realtime.reader import DigitReader

        return DigitReader
    raise AttributeError(f"module 'realtime' has no attribute {name!r}")

"""The one data type that flows out of the engine: a Reading of digits grouped into lines."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Digit:
    """One read digit. `box` is (x, y, w, h) in the pixels of the image given to `read`."""

    label: int
    confidence: float
    box: tuple[int, int, int, int]
    line: int

    def to_dict(self) -> dict:
        return {"label": self.label, "confidence": round(float(self.confidence), 4),
                "box": list(self.box), "line": self.line}


@dataclass
class Reading:
    """What the engine read: `lines` top to bottom, digits left to right (a space marks a wide gap)."""

    lines: list[str] = field(default_factory=list)
    digits: list[Digit] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    image_size: tuple[int, int] = (0, 0)  # (width, height) of the input
    # (x, y, w, h) in input pixels of each printed word left out (DigitReader's drop_words)
    words: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def __bool__(self) -> bool:
        return bool(self.digits)

    def to_dict(self) -> dict:
        return {
            "lines": list(self.lines),
            "text": self.text,
            "digits": [d.to_dict() for d in self.digits],
            "image_size": list(self.image_size),
            "words": [list(b) for b in self.words],
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }


__all__ = ["Digit", "Reading", "asdict"]

"""The real app with the prototype test classifier instead of the model file.

Browser tests serve this when models/digits_int8.tflite is absent (e.g. while the model is being
rebuilt), so the app's plumbing is still tested end to end in a real browser."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from app_pages import PrototypeClassifier  # noqa: E402

from realtime import ui  # noqa: E402

_classifier = PrototypeClassifier()
ui.shared_classifier = lambda model_path: _classifier
APP = HERE.parent / "stream_app.py"
exec(compile(APP.read_text(), str(APP), "exec"))

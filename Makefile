# Two commands on a fresh machine:  `make run`  (the app)  and  `make test`  (the tests).
# Each does its own set-up: a venv in .venv, the pip installs, and for tests a browser.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TRAIN_VENV := .venv-train

.PHONY: run test bench train train-second train-lookagain train-letters train-groups lint

$(VENV)/.app-installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(VENV)/.app-installed
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

run: $(VENV)/.app-installed
	$(PY) -m streamlit run stream_app.py

# TensorFlow lives in its own venv: the tests run the training script's smoke mode with it.
$(TRAIN_VENV)/.installed: training/requirements.txt
	@test -x $(TRAIN_VENV)/bin/python || $(PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install -q --upgrade pip
	$(TRAIN_VENV)/bin/python -m pip install -q -r training/requirements.txt
	@touch $@

test: $(VENV)/.dev-installed $(TRAIN_VENV)/.installed
	@bash scripts/ensure_test_tools.sh
	$(PY) -m pytest

bench: $(VENV)/.dev-installed
	$(PY) -m realtime.bench

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .

# Rebuilds models/digits_int8.tflite offline (TensorFlow goes in its own venv, never the app's).
train: $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python training/train_classifier.py

# ... and models/digits_int8_second.tflite, the second opinion asked about unsure crops.
train-second: $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python training/train_classifier.py --second

# ... and models/digits_int8_lookagain.tflite, read beside the first model where `classify`
# looks again at a digit in doubt (clean digits only; ~10 min on 2 cores).
train-lookagain: $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python training/train_lookagain.py

# ... and models/letters_int8.tflite, the printed-letter detector (a form's labels are not read).
train-letters: $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python training/train_letters.py

# Rebuilds models/groups_int8.tflite, the printed-text (group) detector (~15 min on 2 cores).
train-groups: $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python training/train_groups.py

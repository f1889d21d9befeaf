# Two commands on a fresh machine:  `make run`  (the app)  and  `make test`  (the tests).
# Each does its own set-up: a venv in .venv, the pip installs, and for tests a browser.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test bench train lint

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

test: $(VENV)/.dev-installed
	@bash scripts/ensure_browser.sh
	$(PY) -m pytest

bench: $(VENV)/.dev-installed
	$(PY) -m realtime.bench

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .

# Rebuilds models/digits_int8.tflite offline (TensorFlow goes in its own venv, never the app's).
train:
	@test -x .venv-train/bin/python || $(PYTHON) -m venv .venv-train
	.venv-train/bin/python -m pip install -q -r training/requirements.txt
	.venv-train/bin/python training/train_classifier.py

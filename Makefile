# The two commands: `make run` (the whole product) and `make test` (install and pass every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo test lint format bench bench-detection bench-detection-speed clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py run_stack

demo: install
	$(PY) manage.py run_stack --demo

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/ingest.py

bench-detection: install
	$(PY) bench/detection.py

bench-detection-speed: install
	$(PY) bench/detection_speed.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# The two commands: `make run` (the whole product) and `make test` (install and pass every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser run demo test lint format bench bench-burst drill bench-detection bench-detection-speed bench-scale screenshots clean

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

# Debian packages some tests and benchmarks drive: chromium (browser tests), nginx (the
# production proxy's tests), wrk (the load benchmark). Installed when we can (root with apt);
# otherwise those tests are skipped with a message (and fail under CI=true).
APT_TOOLS = chromium nginx
browser:
	@missing=""; for tool in $(APT_TOOLS); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's$$missing for the tests"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q $$missing >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $$missing >/dev/null 2>&1; } \
	      || echo "could not install$$missing: the tests that need them will be skipped"; \
	  else \
	    echo "$$missing missing and needs root with apt to install: the tests that need it will be skipped"; \
	  fi; \
	fi

test: install browser
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	@$(MAKE) --no-print-directory browser APT_TOOLS="wrk nginx"
	$(PY) bench/ingest.py

bench-burst: install
	@$(MAKE) --no-print-directory browser APT_TOOLS="wrk nginx"
	$(PY) bench/burst.py

drill: install
	@$(MAKE) --no-print-directory browser APT_TOOLS="redis-server"
	$(PY) bench/drill.py

bench-detection: install
	$(PY) bench/detection.py

bench-detection-speed: install
	$(PY) bench/detection_speed.py

bench-scale: install
	$(PY) bench/scale.py

screenshots: install browser
	$(PY) docs/make_screenshots.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

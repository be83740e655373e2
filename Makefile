# The two commands: `make run` (the whole product) and `make test` (install and pass every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install lock browser run demo test lint typecheck format bench bench-burst drill bench-detection bench-detection-speed bench-scale bench-pow screenshots clean

# The tested versions from the lock (runtime and the dev extra), then the project itself.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Regenerate the locks from pyproject.toml: requirements-prod.lock (runtime, for the image) and
# requirements.lock (runtime + dev, for make and CI) with the same runtime pins. Pins that still
# fit are kept; `make lock UPGRADE=1` takes the newest allowed. Resolved against PyPI alone (no
# local pip config or wheel folders), so the hashes are those of the files a fresh machine gets.
LOCK_ENV = env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock"
PIP_COMPILE = $(LOCK_ENV) $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url $(if $(UPGRADE),--upgrade)
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools
	$(PIP_COMPILE) --output-file requirements-prod.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements-prod.lock --output-file requirements.lock \
	  pyproject.toml

run: install
	$(PY) manage.py run_stack

# make demo OUTAGE_IN=2 OUTAGE_GROUP=google: the outage begins that many minutes after
# the live simulator starts.
OUTAGE_IN ?= 10
OUTAGE_GROUP ?= microsoft-365
demo: install
	$(PY) manage.py run_stack --demo --outage-in $(OUTAGE_IN) --outage-group $(OUTAGE_GROUP)

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

# mypy with the Django and DRF plugins on every app package ([tool.mypy] files). The plugin
# imports the settings (which start nothing); the URL is only a guard, and nothing connects to it.
typecheck: install
	DATABASE_URL=postgresql://mypy@localhost/mypy $(VENV)/bin/mypy

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

bench-pow: install browser
	$(PY) bench/proof_of_work.py

screenshots: install browser
	$(PY) docs/make_screenshots.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

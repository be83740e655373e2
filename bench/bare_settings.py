"""Tremor's own settings with the benchmark's bare views mounted next to the project's URLs.

The ingest benchmark serves Tremor and its yardsticks from the same gunicorn, middleware and
settings, so the ratio it prints compares the code and nothing else.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"

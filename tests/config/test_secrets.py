"""Secrets in production: a SECRET_KEY long enough, no example database password, and both
readable from files (Docker secrets)."""

import os
import secrets
import subprocess
import sys

from tests.factories import ROOT

PRINT = "import config.settings as s; print(s.SECRET_KEY); print(s.DATABASES['default'].get('PASSWORD', ''))"


def load(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "DATABASE_P"))}
    return subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=base | env, capture_output=True, text=True
    )


def test_production_refuses_a_short_secret_key():
    result = load(TREMOR_ENV="production", SECRET_KEY="x" * 49)
    assert result.returncode != 0
    assert "SECRET_KEY set to a random value of at least 50 characters" in result.stderr
    assert load(TREMOR_ENV="production", SECRET_KEY="x" * 50).returncode == 0


def test_the_secret_key_and_the_database_password_can_come_from_files(tmp_path):
    key, password = secrets.token_urlsafe(50), "p@ss word"
    (tmp_path / "key").write_text(key + "\n")
    (tmp_path / "password").write_text(password + "\n")
    result = load(
        TREMOR_ENV="production",
        SECRET_KEY_FILE=str(tmp_path / "key"),
        DATABASE_PASSWORD_FILE=str(tmp_path / "password"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [key, password]


def test_a_secret_file_that_cannot_be_read_or_a_second_source_is_refused(tmp_path):
    missing = load(SECRET_KEY_FILE=str(tmp_path / "nothing"))
    assert missing.returncode != 0
    assert "SECRET_KEY_FILE: cannot read" in missing.stderr
    (tmp_path / "key").write_text("k" * 60)
    both = load(SECRET_KEY_FILE=str(tmp_path / "key"), SECRET_KEY="k" * 60)
    assert both.returncode != 0 and "set SECRET_KEY or SECRET_KEY_FILE, not both" in both.stderr


def test_production_refuses_composes_old_example_database_password():
    result = load(
        TREMOR_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="postgresql://tremor:tremor@postgres:5432/tremor",
    )
    assert result.returncode != 0 and "compose's old example one" in result.stderr
    compose = (ROOT / "compose.yaml").read_text()
    assert "POSTGRES_PASSWORD:-" not in compose  # no default: compose refuses to start without
    assert compose.count("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}") == 2

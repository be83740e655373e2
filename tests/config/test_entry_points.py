"""Starting the embedded PostgreSQL is a step of the entry points, never of importing settings."""

import os
import subprocess
import sys
from pathlib import Path

from tests.factories import ROOT


def run_python(code: str, var_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_NAME"}}
    env |= {"TREMOR_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_importing_settings_without_a_database_url_starts_no_server(tmp_path):
    done = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['HOST'])",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("embedded-postgres-not-started")
    assert not (tmp_path / "pgdata").exists()


def test_a_query_before_the_start_fails_instead_of_finding_another_server(tmp_path):
    done = run_python(
        "import django; django.setup(); from django.db import connection; connection.cursor()",
        tmp_path,
    )
    assert done.returncode != 0
    assert "embedded-postgres-not-started" in done.stderr


def test_the_wsgi_entry_point_starts_the_embedded_server_and_queries_it(tmp_path):
    done = run_python(
        "import config.wsgi; from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('SELECT 41 + 1'); "
        "print(cursor.fetchone()[0]); connection.close(); "
        "from config import embedded_db; from django.conf import settings; "
        "embedded_db.stop_embedded(settings.EMBEDDED_PGDATA)",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "42"
    assert (tmp_path / "pgdata" / "PG_VERSION").exists()


def test_a_second_start_changes_nothing():
    from django.conf import settings

    from config.embedded_db import start_embedded_database

    before = dict(settings.DATABASES["default"])
    start_embedded_database()
    assert settings.DATABASES["default"] == before

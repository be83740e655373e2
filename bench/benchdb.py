"""A fresh, migrated database of its own for a benchmark (on the embedded or configured server)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_database(name: str) -> None:
    """Drop and recreate `name`, migrate it and load the catalogue (settings from the env)."""
    import psycopg

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "from config.embedded_db import start_embedded_database; start_embedded_database(); "
        "print(json.dumps(settings.DATABASES['default'], default=str))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    import json

    db = json.loads(out.stdout.strip().splitlines()[-1])
    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    env["DATABASE_NAME"] = name
    for args in (["migrate", "--verbosity", "0"], ["load_catalog"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)

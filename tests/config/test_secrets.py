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


def test_the_smtp_password_from_a_file_signs_in_to_a_real_smtp_server(tmp_path):
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    received, logins = [], []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content.decode())
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, data):
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret from a file")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(
        Inbox(), hostname="127.0.0.1", port=port, authenticator=authenticate,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    try:
        (tmp_path / "smtp").write_text("s3cret from a file\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
        env |= {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_HOST_USER": "tremor",
            "EMAIL_HOST_PASSWORD_FILE": str(tmp_path / "smtp"),
        }
        code = (
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
            "django.setup(); from django.core.mail import send_mail;"
            "send_mail('Tremor test', 'It works.', None, ['operator@example.org'])"
        )
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
    finally:
        controller.stop()
    assert logins == [("tremor", "s3cret from a file")]
    assert len(received) == 1 and "Subject: Tremor test" in received[0]

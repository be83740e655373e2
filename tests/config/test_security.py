import os
import secrets
import subprocess
import sys

from tests.factories import ROOT


def test_every_page_sends_a_strict_content_security_policy(client, outlook):
    for path in ("/", "/services/outlook/", "/about/", "/admin/login/"):
        policy = client.get(path)["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy, path
        assert "frame-ancestors 'none'" in policy
    docs = client.get("/api/docs/")["Content-Security-Policy"]
    assert "'unsafe-inline'" in docs  # the Swagger UI page only


def test_no_template_has_an_inline_script_or_style():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for chunk in text.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            assert "src=" in head or 'type="application/json"' in head, path
        assert "<style" not in text and 'style="' not in text, path


def run_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for this process; production must not.
        env={k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run_check(
        {
            "TREMOR_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "tremor.example.org",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_built_in_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "TREMOR_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "needs SECRET_KEY" in result.stderr

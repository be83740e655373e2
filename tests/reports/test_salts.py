"""Reporter keys come from a random salt per UTC day, shared by every process and destroyed after
the day and the dedupe window: whoever holds SECRET_KEY and a database dump cannot recompute a
past day's keys."""

import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from reports import salts
from reports.identity import reporter_key
from reports.models import Comment, Report
from tests.factories import ROOT

DAY = date(2026, 3, 2)


def at(moment: datetime, monkeypatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_the_salt_is_random_not_derived_from_the_secret_key(settings):
    key = reporter_key("203.0.113.9", "Firefox", DAY)
    # What the key was before: HMAC-SHA256 of the secret key and the date, recomputable forever.
    derived = hmac.new(
        settings.SECRET_KEY.encode(), f"tremor-reporter:{DAY.isoformat()}".encode(), hashlib.sha256
    ).digest()
    assert salts.salt_for(DAY) != derived
    assert key != hmac.new(derived, b"203.0.113.9|Firefox", hashlib.sha256).hexdigest()[:32]
    settings.SECRET_KEY = "another-" * 8  # the salt does not depend on it at all
    assert reporter_key("203.0.113.9", "Firefox", DAY) == key
    assert salts.salt_for(DAY) != salts.salt_for(DAY + timedelta(days=1))


def test_another_process_and_a_restart_use_the_same_salt(settings):
    today = timezone.now().date()
    salts.forget()
    mine = salts.salt_for(today)
    # A second process (a web worker, the Celery worker) started from the same environment.
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings');"
        "django.setup(); from datetime import date; from reports import salts;"
        f"print(salts.salt_for(date.fromisoformat('{today.isoformat()}')).hex())"
    )
    env = {**os.environ}
    if settings.REPORTER_SALTS != "cache":
        env["REPORTER_SALTS_DIR"] = settings.REPORTER_SALTS
    theirs = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert theirs == mine.hex()
    salts.forget()  # this process restarted: it reads the salt again and mints no second one
    assert salts.salt_for(today) == mine


def test_a_salt_file_is_readable_by_its_owner_only(tmp_path, settings):
    settings.REPORTER_SALTS = str(tmp_path / "salts")
    salts.forget()
    salt = salts.salt_for(timezone.now().date())
    files = list((tmp_path / "salts").iterdir())
    assert [f.read_bytes() for f in files] == [salt]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "salts").stat().st_mode) == 0o700


def test_a_days_salt_file_lives_through_the_dedupe_window_then_is_destroyed(
    tmp_path, settings, monkeypatch
):
    settings.REPORTER_SALTS = str(tmp_path)
    at(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), monkeypatch)
    salts.forget()
    key = reporter_key("203.0.113.9", "Firefox", DAY)
    # Ten minutes into the next day the old salt is still needed (the dedupe window is 15).
    at(datetime(2026, 3, 3, 0, 10, tzinfo=UTC), monkeypatch)
    salts.forget()
    salts.salt_for(DAY + timedelta(days=1))
    assert (tmp_path / "2026-03-02.salt").exists()
    # Once the window has passed it is gone, and the day's keys can never be computed again.
    at(datetime(2026, 3, 3, 0, 17, tzinfo=UTC), monkeypatch)
    salts.forget()
    salts.salt_for(DAY + timedelta(days=1))
    assert not (tmp_path / "2026-03-02.salt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-03-03.salt"]
    assert reporter_key("203.0.113.9", "Firefox", DAY) != key


@pytest.mark.skipif(settings.REPORTER_SALTS != "cache", reason="salts in files, not a cache")
def test_in_the_cache_a_salt_expires_at_the_end_of_the_day_and_the_window(monkeypatch):
    at(datetime(2026, 3, 2, 23, 0, tzinfo=UTC), monkeypatch)
    salts.salt_for(DAY)
    client = cache._cache.get_client(write=False)  # type: ignore[attr-defined]
    ttl = client.ttl(cache.make_and_validate_key("tremor:reporter-salt:2026-03-02"))
    # One hour to midnight, then the 15-minute dedupe window and a minute to spare.
    assert 3600 + 16 * 60 - 5 <= ttl <= 3600 + 16 * 60 + 2


def test_a_report_just_after_midnight_meets_the_one_just_before(client, outlook, monkeypatch):
    def press(moment: datetime) -> bool:
        at(moment, monkeypatch)
        response = client.post(
            "/api/v1/services/outlook/reports",
            json.dumps({"problem": "login"}),
            content_type="application/json",
            REMOTE_ADDR="198.51.100.7",
            HTTP_USER_AGENT="Firefox/128.0",
        )
        assert response.status_code in (200, 201), response.content  # 200: already counted
        return response.json()["counted"]

    assert press(datetime(2026, 3, 2, 23, 55, tzinfo=UTC)) is True
    assert press(datetime(2026, 3, 3, 0, 5, tzinfo=UTC)) is False  # ten minutes later: the same
    assert press(datetime(2026, 3, 3, 0, 9, tzinfo=UTC)) is False
    assert press(datetime(2026, 3, 3, 0, 20, tzinfo=UTC)) is True  # the window has passed
    keys = list(Report.objects.order_by("created_at").values_list("reporter_key", flat=True))
    assert keys[0] != keys[1] == keys[2] == keys[3]  # a new day, a new key


def test_the_privacy_page_lists_every_stored_field_and_what_a_database_holder_learns(client, db):
    page = client.get("/privacy/").content.decode()
    for model in (Report, Comment):
        for field in model._meta.concrete_fields:
            if field.column != "id":
                assert f"<code>{field.column}</code>" in page, f"{model.__name__}.{field.column}"
    assert "destroyed 16 minutes after the day ends" in page
    assert "What they cannot learn:" in page and "never in the database" in page


def test_with_the_store_down_a_report_still_gets_a_key(settings, caplog):
    today = timezone.now().date()
    before = salts.salt_for(today)
    settings.REPORTER_SALTS = "cache"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    salts._memo[today] = (before, 0.0)  # this process's copy is due to be read again
    assert salts.salt_for(today) == before  # it keeps the salt it had
    salts.forget()
    assert len(salts.salt_for(today)) == salts.SALT_BYTES  # a fresh process uses its own
    assert "reporter salt store failed" in caplog.text

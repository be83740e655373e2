"""`manage.py createmoderator`: an account that can sign in to the console in its role; bad
input is one line and a non-zero exit, and changes nothing."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.core.management import BaseCommand, CommandError, call_command
from django.db import connection

from console.roles import ADMINISTRATORS, MODERATORS
from tests.factories import ROOT

PASSWORD = "correct horse battery staple"


def test_a_new_moderator_signs_in_and_sees_the_console(client, catalog, monkeypatch, capsys):
    monkeypatch.setenv("TREMOR_MODERATOR_PASSWORD", PASSWORD)
    call_command("createmoderator", "ana", "--email", "ana@example.org", "--no-input")
    assert "ana: created moderator; sign in at /admin/" in capsys.readouterr().out
    ana = User.objects.get(username="ana")
    assert ana.is_staff and not ana.is_superuser
    assert [g.name for g in ana.groups.all()] == [MODERATORS]
    assert client.login(username="ana", password=PASSWORD)
    assert client.get("/admin/reports/comment/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403  # managing users is not theirs


def test_an_existing_account_is_given_the_role_and_keeps_its_password(catalog, capsys):
    User.objects.create_user("bo", password=PASSWORD)
    call_command("createmoderator", "bo", "--administrator", "--no-input")
    assert "already existed; given the role administrator" in capsys.readouterr().out
    bo = User.objects.get(username="bo")
    assert bo.is_staff and bo.check_password(PASSWORD)
    assert [g.name for g in bo.groups.all()] == [ADMINISTRATORS]


@pytest.mark.parametrize(
    ("password", "message"),
    [(None, r"no password: set \$TREMOR_MODERATOR_PASSWORD"), ("12345678", "is refused")],
)
def test_a_missing_or_weak_password_is_refused_and_creates_no_one(
    catalog, monkeypatch, password, message
):
    if password is None:
        monkeypatch.delenv("TREMOR_MODERATOR_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("TREMOR_MODERATOR_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        call_command("createmoderator", "cy", "--no-input")
    assert not User.objects.filter(username="cy").exists()


def test_from_the_shell_a_refusal_is_one_line_and_a_non_zero_exit(transactional_db):
    env = {
        **os.environ,
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "TREMOR_MODERATOR_PASSWORD": "short",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "createmoderator", "dee", "--no-input"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "the password is refused" in result.stderr
    assert not User.objects.filter(username="dee").exists()


def test_every_simulate_option_has_help_and_shows_its_default():
    from analytics.management.commands.simulate import Command

    django_own = {a.dest for a in BaseCommand().create_parser("manage.py", "x")._actions}
    parser = Command().create_parser("manage.py", "simulate")
    ours = [a for a in parser._actions if a.dest not in django_own]
    assert len(ours) == 8
    for action in ours:
        assert action.help, action.dest
        if action.default not in (None, False):
            assert "%(default)s" in action.help, action.dest

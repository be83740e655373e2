from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reports.models import BlockedPattern, Comment
from tests.factories import make_report


def comment(service, body, key="a" * 32):
    make_report(service, at=timezone.now() - timedelta(minutes=1), key=key, comment=body)
    return Comment.objects.get(report__reporter_key=key, body=body)


def test_a_plain_comment_shows_at_once(outlook):
    assert comment(outlook, "login page times out").status == "visible"


def test_a_comment_with_a_link_waits_for_review_until_a_moderator_shows_it(outlook, moderator):
    held = comment(outlook, "fixed it, see www.example-fix.com")
    assert (held.status, held.held_because) == ("pending", "contains a link")
    assert "example-fix" not in moderator.get("/services/outlook/").content.decode()
    queue = moderator.get("/admin/reports/comment/").content.decode()
    assert "example-fix" in queue and "contains a link" in queue
    moderator.post(
        "/admin/reports/comment/", {"action": "make_visible", "_selected_action": [held.pk]}
    )
    assert Comment.objects.get(pk=held.pk).status == "visible"


def test_blocklisted_words_and_patterns_hold_a_comment(outlook, moderator):
    BlockedPattern.objects.create(pattern="free crypto", kind="word")
    BlockedPattern.objects.create(pattern=r"\bcall \d{3}", kind="regex")
    assert comment(outlook, "Get FREE CRYPTO now", key="b" * 32).status == "pending"
    assert comment(outlook, "support: call 555 1234", key="c" * 32).status == "pending"
    assert comment(outlook, "cryptocurrency app is down", key="d" * 32).status == "visible"
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        BlockedPattern(pattern="(unclosed", kind="regex").full_clean()


def test_a_reporter_with_spam_history_waits_in_the_queue(outlook, moderator):
    spam = comment(outlook, "buy followers", key="e" * 32)
    moderator.post(
        "/admin/reports/comment/", {"action": "mark_spam", "_selected_action": [spam.pk]}
    )
    assert Comment.objects.get(pk=spam.pk).status == "spam"
    make_report(outlook, at=timezone.now(), key="e" * 32, comment="still down?")
    later = Comment.objects.get(body="still down?")
    assert later.status == "pending" and "hidden or marked as spam" in later.held_because


def test_the_queue_lists_pending_first_and_links_a_reporters_other_comments(outlook, moderator):
    comment(outlook, "ordinary", key="f" * 32)
    comment(outlook, "see http://x.example", key="g" * 32)
    body = moderator.get("/admin/reports/comment/").content.decode()
    assert body.index("see http://x.example") < body.index("ordinary")
    others = moderator.get(f"/admin/reports/comment/?report__reporter_key={'f' * 32}")
    assert others.status_code == 200
    text = others.content.decode()
    assert "ordinary" in text and "x.example" not in text


def test_moderation_actions_are_audited(outlook, moderator):
    from reports.models import AuditEntry

    spam = comment(outlook, "buy followers", key="h" * 32)
    moderator.post("/admin/reports/comment/", {"action": "hide", "_selected_action": [spam.pk]})
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.rows, entry.user.username) == ("comments hidden", 1, "mo")
    assert str(spam.pk) in entry.detail


def test_a_comment_sent_with_the_trap_field_filled_is_never_shown(client, outlook):
    client.post(
        "/services/outlook/report",
        {"problem": "login", "website": "http://spam.example", "comment": "buy cheap pills"},
    )
    stored = Comment.objects.get(body="buy cheap pills")
    assert stored.status == "spam" and "trap field" in stored.held_because
    assert "cheap pills" not in client.get("/services/outlook/").content.decode()


def test_invisible_control_characters_are_stripped_from_a_comment(outlook):
    body = "login \u202eedoc\u202c fails\u200b\u2066 here\u2069\ufeff"
    make_report(outlook, at=timezone.now() - timedelta(minutes=1), key="b" * 32, comment=body)
    assert Comment.objects.get().body == "login edoc fails here"


def test_line_breaks_and_accents_in_a_comment_are_kept(outlook):
    body = "Anmeldung schlägt fehl\nseit 9 Uhr — 登录失败"
    assert comment(outlook, body).body == body

"""The console's front page is an outage dashboard: what is held and why, what waits for review,
what burst in the last 15 minutes, each a link to act on it."""

from datetime import timedelta

from django.contrib.auth.models import User

from reports.models import Comment
from tests.factories import NOON, make_report


def test_the_front_page_shows_held_incidents_pending_comments_and_bursts(moderator, outlook, flood):
    make_report(outlook, at=NOON + timedelta(minutes=2), key="c" * 32, comment="is it down?")
    Comment.objects.update(status=Comment.Status.PENDING, held_because="its text matches a pattern")
    page = moderator.get("/admin/").content.decode()
    incidents = page[page.index('id="now-incidents"') : page.index('id="now-comments"')]
    assert "Outlook" in incidents and "held for review" in incidents
    assert "75% of its 40 reports come from one network" in incidents
    assert f'href="/admin/analytics/incident/{flood.pk}/change/"' in incidents
    assert f'href="/incidents/{flood.pk}/"' in incidents
    comments = page[page.index('id="now-comments"') : page.index('id="now-bursts"')]
    assert "Comments waiting for review (1)" in comments and "is it down?" in comments
    assert "its text matches a pattern" in comments
    bursts = page[page.index('id="now-bursts"') :]
    assert "Bursts in the last 15 minutes" in bursts and "network" in bursts
    assert "Quarantine this burst" in bursts and "network_key=" + "n" * 32 in bursts


def test_a_quiet_morning_says_so(moderator, catalog):
    page = moderator.get("/admin/").content.decode()
    assert "No open incidents." in page and "No comments wait for review." in page
    assert "No bursts." in page


def test_a_user_without_the_permissions_sees_none_of_it(client, outlook, flood):
    client.force_login(User.objects.create_user("viewer", is_staff=True))
    page = client.get("/admin/").content.decode()
    assert "now-incidents" not in page and "now-bursts" not in page

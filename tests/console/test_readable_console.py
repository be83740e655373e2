"""The console reads as words and rounded numbers, and keeps the detector's internals away
from moderators."""

from django.test import Client

from analytics.models import Incident
from console.roles import ADMINISTRATORS
from tests.factories import make_staff


def test_an_incident_reads_in_words_with_its_countries_as_a_table(moderator, fake_outage):
    Incident.objects.filter(pk=fake_outage.pk).update(
        countries=[{"country": "US", "excess": 30.4, "share": 0.8}], opened_probability=3.17e-9
    )
    page = moderator.get(f"/admin/analytics/incident/{fake_outage.pk}/change/").content.decode()
    assert "reports in 5 minutes against" in page and "p 3.2e-09" in page
    assert "<td>United States</td><td>30</td><td>80 %</td>" in page
    assert "quiet_buckets" not in page and "review_before" not in page
    assert 'class="chart-svg"' in page and 'class="svg-reports"' in page  # its window's chart
    listing = moderator.get("/admin/analytics/incident/").content.decode()
    assert "3.2e-09" in listing and "0.00000000317" not in listing


def test_a_held_incident_says_so_in_the_list(moderator, flood):
    listing = moderator.get("/admin/analytics/incident/").content.decode()
    assert "held for review" in listing


def test_moderators_do_not_see_buckets_statuses_or_baselines(moderator):
    administrator = Client()
    administrator.force_login(make_staff("ad", ADMINISTRATORS))
    for path in ("servicebucket", "servicestatus", "baseline"):
        assert moderator.get(f"/admin/analytics/{path}/").status_code == 403
        assert administrator.get(f"/admin/analytics/{path}/").status_code == 200


def test_messages_count_in_the_singular_and_the_plural(moderator, fake_outage):
    response = moderator.post(
        "/admin/analytics/incident/",
        {"action": "confirm", "_selected_action": [fake_outage.pk]},
        follow=True,
    )
    assert "1 incident marked: confirmed." in response.content.decode()
    from console.words import counted

    assert (counted(0, "report"), counted(2, "country", "countries")) == (
        "0 reports",
        "2 countries",
    )

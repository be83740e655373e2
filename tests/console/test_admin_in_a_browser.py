"""The console's pages work in chromium under the site's Content-Security-Policy: a moderator and
an administrator sign in through the form and every page their role uses loads without a
console error."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Incident
from console.roles import ADMINISTRATORS, MODERATORS
from reports.models import Quarantine, Service
from tests.factories import make_incident, make_reports, make_staff

PAGES = [
    "/admin/",
    "/admin/reports/report/",
    "/admin/reports/report/bursts/",
    "/admin/reports/comment/",
    "/admin/reports/quarantine/add/",
    "/admin/reports/auditentry/",
    "/admin/reports/service/",
    "/admin/analytics/incident/",
    "/admin/analytics/incident/verdicts/",
    "/admin/analytics/maintenancewindow/add/",
    "/admin/analytics/detectortuning/add/",
]


MODERATOR_PAGES = [
    "/admin/",
    "/admin/reports/comment/",
    "/admin/reports/report/bursts/",
    "/admin/reports/quarantine/add/",
    "/admin/analytics/incident/",
    "/admin/analytics/incident/verdicts/",
]


def sign_in(site, visit, name: str, role: str):
    make_staff(name, role)
    page = visit.page
    page.goto(site + "/admin/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", "a long enough password")
    page.click("input[type=submit]")
    page.wait_for_url(site + "/admin/")
    return visit


@pytest.fixture
def signed_in(site, desktop):
    return sign_in(site, desktop, "ad", ADMINISTRATORS)


@pytest.mark.parametrize("path", MODERATOR_PAGES)
def test_a_moderators_page_loads_under_the_policy_without_a_console_error(site, desktop, path):
    visit = sign_in(site, desktop, "mo", MODERATORS)
    response = visit.page.goto(site + path)
    assert response.status == 200
    visit.assert_clean()


def test_the_merge_form_the_verdicts_of_a_service_and_a_quarantine_load_under_the_policy(
    site, signed_in
):
    outlook = Service.objects.get(slug="outlook")
    page = signed_in.page
    page.goto(site + "/admin/reports/service/")
    page.check(f"input[name=_selected_action][value='{outlook.pk}']")
    page.select_option("select[name=action]", "merge_into")
    page.click("button[name=index]")
    assert "Merge Outlook into another service" in page.content()
    assert page.goto(site + f"/admin/analytics/incident/verdicts/{outlook.pk}/").status == 200
    quarantine = Quarantine.objects.create(
        service=outlook, start=timezone.now() - timedelta(hours=1), end=timezone.now(),
        network_key="n" * 32, reason="a flood",
    )  # fmt: skip
    assert page.goto(site + f"/admin/reports/quarantine/{quarantine.pk}/change/").status == 200
    signed_in.assert_clean()


@pytest.mark.parametrize("path", PAGES)
def test_a_console_page_loads_under_the_policy_without_a_console_error(site, signed_in, path):
    outlook = Service.objects.get(slug="outlook")
    make_reports(outlook, 3, at=timezone.now() - timedelta(minutes=5), comment="slow")
    make_incident(
        outlook, started_at=timezone.now() - timedelta(minutes=30), reports=40, expected=3
    )
    response = signed_in.page.goto(site + path)
    assert response.status == 200
    assert "content-security-policy" in response.headers
    signed_in.assert_clean()


def test_the_service_form_and_the_incident_form_run_their_scripts_under_the_policy(site, signed_in):
    outlook = Service.objects.get(slug="outlook")
    page = signed_in.page
    page.goto(site + f"/admin/reports/service/{outlook.pk}/change/")
    assert page.input_value("#id_slug") == "outlook"
    page.goto(site + "/admin/reports/service/add/")
    page.locator("#id_name").press_sequentially("Fresh Mail")  # prepopulate fills the slug
    assert page.input_value("#id_slug") == "fresh-mail"
    incident = make_incident(
        outlook, started_at=timezone.now() - timedelta(minutes=30), reports=40, expected=3
    )
    page.goto(site + f"/admin/analytics/incident/{incident.pk}/change/")
    assert Incident.objects.filter(pk=incident.pk).exists()
    signed_in.assert_clean()

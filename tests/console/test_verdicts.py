from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from analytics.models import DetectorTuning, Incident
from analytics.verdicts import verdicts_per_service
from console.roles import ADMINISTRATORS
from reports.models import Service
from tests.factories import make_incident, make_staff
from tests.query_budgets import QUERIES

LIST = "/admin/analytics/incident/verdicts/"


def judged(service: Service, verdict: str, *, days_ago: float, reports: int = 40) -> Incident:
    start = timezone.now() - timedelta(days=days_ago)
    incident = make_incident(
        service, started_at=start, reports=reports, expected=4, ended_at=start + timedelta(hours=1)
    )
    Incident.objects.filter(pk=incident.pk).update(verdict=verdict)
    incident.verdict = verdict
    return incident


def cry_wolf(outlook: Service, teams: Service, quiet: Service) -> None:
    """Outlook: 3 false alarms, 1 confirmed, 1 not judged. Teams: 1 confirmed. Quiet: 2 not
    judged."""
    for day in (1, 2, 3):
        judged(outlook, "false_alarm", days_ago=day)
    judged(outlook, "confirmed", days_ago=4)
    judged(outlook, "", days_ago=5)
    judged(teams, "confirmed", days_ago=6)
    judged(quiet, "", days_ago=7)
    judged(quiet, "", days_ago=8)


def test_a_moderator_sees_services_that_cry_wolf_first_with_their_counts_and_rate(
    moderator, outlook, teams
):
    quiet = Service.objects.get(slug="onedrive")
    cry_wolf(outlook, teams, quiet)
    response = moderator.get(LIST)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.slug for r in rows] == ["outlook", "microsoft-teams", "onedrive"]
    counts = [(r.counts.false_alarms, r.counts.confirmed, r.counts.not_judged) for r in rows]
    assert counts == [(3, 1, 1), (0, 1, 0), (0, 0, 2)]
    body = response.content.decode()
    assert "75 % (3 of 4 judged)" in body and "0 % (0 of 1 judged)" in body and "—" in body
    assert f'href="{LIST}{outlook.pk}/"' in body


def test_a_higher_rate_comes_before_more_false_alarms(db, outlook, teams):
    judged(outlook, "false_alarm", days_ago=1)  # 1 of 1
    for day in (2, 3, 4):
        judged(teams, "false_alarm", days_ago=day)  # 3 of 4
    judged(teams, "confirmed", days_ago=5)
    since = timezone.now() - timedelta(days=90)
    assert [r.slug for r in verdicts_per_service(since)] == ["outlook", "microsoft-teams"]


def test_incidents_older_than_90_days_are_left_out(moderator, outlook, teams):
    judged(outlook, "false_alarm", days_ago=91)
    judged(teams, "confirmed", days_ago=89)
    rows = moderator.get(LIST).context["rows"]
    assert [(r.slug, r.counts.judged) for r in rows] == [("microsoft-teams", 1)]


def test_the_list_takes_the_same_queries_for_one_service_or_many(
    moderator, outlook, teams, django_assert_num_queries
):
    judged(outlook, "false_alarm", days_ago=1)
    moderator.get(LIST)  # warm the content-type cache
    # Session, user, the user's and the group's permissions, and the verdicts.
    with django_assert_num_queries(QUERIES["verdicts in the console"]):
        assert len(moderator.get(LIST).context["rows"]) == 1
    for service in Service.objects.exclude(pk=outlook.pk)[:10]:
        judged(service, "confirmed", days_ago=2)
        judged(service, "", days_ago=3)
    with django_assert_num_queries(QUERIES["verdicts in the console"]):
        assert len(moderator.get(LIST).context["rows"]) == 11


def test_the_summary_is_one_query(db, outlook, teams, django_assert_num_queries):
    judged(outlook, "false_alarm", days_ago=1)
    judged(teams, "confirmed", days_ago=1)
    with django_assert_num_queries(1):
        assert len(verdicts_per_service(timezone.now() - timedelta(days=90))) == 2


def test_a_service_page_groups_its_incidents_by_verdict_with_links_and_the_rate(
    moderator, outlook, teams
):
    cry_wolf(outlook, teams, Service.objects.get(slug="onedrive"))
    old = judged(outlook, "false_alarm", days_ago=100)
    response = moderator.get(f"{LIST}{outlook.pk}/")
    assert response.status_code == 200
    report = response.context["report"]
    groups = [(g.label, len(g.incidents)) for g in report.groups]
    assert groups == [("false alarm", 3), ("confirmed outage", 1), ("not judged", 1)]
    newest_false_alarm = report.groups[0].incidents[0]
    assert newest_false_alarm.started_at > report.groups[0].incidents[1].started_at
    body = response.content.decode()
    assert "75 % (3 of 4 judged)" in body
    assert "10.0× over 5 min" in body  # 40 reports against 4 expected in one bucket
    assert f"/admin/analytics/incident/{newest_false_alarm.pk}/change/" in body
    assert f'href="/incidents/{newest_false_alarm.pk}/"' in body
    assert f"/incidents/{old.pk}/" not in body


def test_a_service_page_shows_the_commands_to_replay_the_history_with_its_tuning(
    moderator, outlook
):
    judged(outlook, "false_alarm", days_ago=1)
    body = moderator.get(f"{LIST}{outlook.pk}/").content.decode()
    assert "No tuning: the detector uses the shipped defaults" in body
    assert "python manage.py export_history outlook --days 28 -o outlook.csv" in body
    assert "python manage.py backtest outlook.csv --tuning-of outlook" in body
    assert "--tuning-of outlook --set NAME=VALUE" in body


def test_a_service_page_shows_the_tuning_and_an_administrator_gets_a_link_to_edit_it(
    client, moderator, outlook
):
    DetectorTuning.objects.create(
        service=outlook, overrides={"open_min_reports": 30}, reason="a support team reports"
    )
    page = f"{LIST}{outlook.pk}/"
    body = moderator.get(page).content.decode()
    assert "{&quot;open_min_reports&quot;: 30}" in body and "a support team reports" in body
    edit = f"/admin/analytics/detectortuning/{outlook.pk}/change/"
    assert edit not in body  # moderators cannot change tunings
    client.force_login(make_staff("ad", ADMINISTRATORS))
    assert edit in client.get(page).content.decode()


def test_a_service_page_says_when_the_stored_tuning_no_longer_validates(moderator, outlook):
    DetectorTuning.objects.create(service=outlook, overrides={"onset_threshold": 18})
    body = moderator.get(f"{LIST}{outlook.pk}/").content.decode()
    assert "This tuning no longer validates: unknown detector setting" in body


def test_a_service_without_incidents_has_a_page_and_an_unknown_one_is_not_found(moderator, outlook):
    response = moderator.get(f"{LIST}{outlook.pk}/")
    assert response.status_code == 200 and response.context["report"].counts.judged == 0
    assert "—" in response.content.decode()
    assert moderator.get(f"{LIST}999999/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client, outlook):
    for page in (LIST, f"{LIST}{outlook.pk}/"):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")


def test_staff_without_the_incident_permission_are_refused(client, outlook):
    user = User.objects.create_user("st", password="a long enough password", is_staff=True)
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{outlook.pk}/").status_code == 403


def test_the_incident_list_links_to_the_verdicts(moderator):
    assert f'href="{LIST}"' in moderator.get("/admin/analytics/incident/").content.decode()


def test_the_service_page_links_to_its_incidents_in_a_list_that_accepts_the_filter(
    moderator, outlook
):
    judged(outlook, "", days_ago=1)
    link = f"/admin/analytics/incident/?service__id__exact={outlook.pk}"
    assert link in moderator.get(f"{LIST}{outlook.pk}/").content.decode()
    response = moderator.get(link)
    assert response.status_code == 200 and response.context["cl"].result_count == 1

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.binning import refresh_buckets
from analytics.models import CountryBucket, Incident, ServiceBucket
from console.merge import MergeError, merge_services
from reports.models import Category, Report, Service
from tests.factories import make_incident, make_reports


@pytest.fixture
def duplicate(outlook):
    return Service.objects.create(
        name="Outlook.com", slug="outlook-com", category=outlook.category, aliases=["olk"]
    )


def test_a_merge_moves_reports_counts_and_incidents_and_retires_the_duplicate(outlook, duplicate):
    now = timezone.now().replace(second=0, microsecond=0)
    make_reports(outlook, 3, at=now - timedelta(minutes=10), prefix="a")
    make_reports(duplicate, 2, at=now - timedelta(minutes=10), prefix="b")
    make_reports(duplicate, 4, at=now - timedelta(hours=2), prefix="c")
    refresh_buckets(now - timedelta(hours=3), now)
    make_incident(duplicate, started_at=now - timedelta(hours=2), reports=4, expected=0.5,
                  ended_at=now - timedelta(hours=1))  # fmt: skip
    moved = merge_services(duplicate, outlook)
    assert moved["reports"] == 6
    assert Report.objects.filter(service=outlook).count() == 9
    sums = dict(ServiceBucket.objects.filter(service=outlook).values_list("start", "reports"))
    assert sorted(sums.values()) == [4, 5]  # the shared bucket summed, the other moved
    assert not ServiceBucket.objects.filter(service=duplicate).exists()
    assert CountryBucket.objects.filter(service=outlook).count() == 2
    assert Incident.objects.get().service == outlook
    duplicate.refresh_from_db()
    outlook.refresh_from_db()
    assert not duplicate.is_active and {"outlook.com", "olk"} <= set(outlook.aliases)


def test_services_of_different_categories_are_not_merged(outlook):
    other = Service.objects.exclude(category=outlook.category).first()
    with pytest.raises(MergeError, match="different categories"):
        merge_services(other, outlook)
    with pytest.raises(MergeError, match="itself"):
        merge_services(outlook, outlook)


def test_an_administrator_merges_and_deactivates_in_the_admin(administrator, outlook, duplicate):
    client = administrator
    form = client.post(
        "/admin/reports/service/", {"action": "merge_into", "_selected_action": [duplicate.pk]}
    )
    assert form.status_code == 200 and "Merge into" in form.content.decode()
    client.post(
        "/admin/reports/service/",
        {"action": "merge_into", "_selected_action": [duplicate.pk], "target": outlook.pk},
    )
    assert not Service.objects.get(pk=duplicate.pk).is_active
    gmail = Service.objects.get(slug="gmail")
    client.post("/admin/reports/service/", {"action": "deactivate", "_selected_action": [gmail.pk]})
    assert not Service.objects.get(pk=gmail.pk).is_active
    assert client.get("/services/gmail/").status_code == 404
    assert Category.objects.filter(pk=outlook.category_id).exists()

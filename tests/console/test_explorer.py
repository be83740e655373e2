from datetime import timedelta

from django.utils import timezone

from console.explorer import find_bursts
from reports.models import Report


def post_from(client, address, agent="Firefox/128.0", n=1):
    for _ in range(n):
        client.post(
            "/api/v1/services/outlook/reports",
            '{"problem": "login"}',
            content_type="application/json",
            REMOTE_ADDR=address,
            HTTP_USER_AGENT=agent,
        )


def test_reports_carry_a_network_key_shared_within_a_slash_24(client, outlook):
    post_from(client, "198.51.100.10")
    post_from(client, "198.51.100.200")
    post_from(client, "198.51.101.10")
    keys = list(Report.objects.order_by("pk").values_list("network_key", flat=True))
    assert len(keys[0]) == 32 and keys[0] == keys[1] != keys[2]
    assert len(set(Report.objects.values_list("reporter_key", flat=True))) == 3


def test_bursts_name_the_reporter_and_the_network_behind_a_flood(client, outlook):
    post_from(client, "203.0.113.5", n=8)  # one reporter pressing again and again
    for i in range(40):  # one network cycling addresses
        post_from(client, f"198.51.100.{i + 1}", agent=f"Agent{i}")
    post_from(client, "192.0.2.1")  # an ordinary person
    now = timezone.now()
    bursts = find_bursts(now - timedelta(hours=1), now + timedelta(seconds=1))
    kinds = {(b.kind, b.reports) for b in bursts if b.service == "Outlook"}
    assert ("reporter", 8) in kinds and ("network", 40) in kinds
    assert all(b.reports >= 5 for b in bursts)


def test_the_explorer_filters_by_key_and_shows_bursts(moderator, outlook):
    post_from(moderator, "203.0.113.5", n=6)
    key = Report.objects.first().reporter_key
    response = moderator.get(f"/admin/reports/report/?reporter_key={key}")
    assert response.status_code == 200 and response.context["cl"].result_count == 6
    page = moderator.get("/admin/reports/report/bursts/?minutes=15")
    assert page.status_code == 200 and key in page.content.decode()
    assert moderator.get("/admin/reports/report/bursts/?minutes=abc").status_code == 200

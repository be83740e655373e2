import json

import pytest
from django.db import connection

from reports.models import Comment, Report, Service

URL = "/api/v1/services/outlook/reports"


def post(client, body, *, ip="198.51.100.7", agent="Firefox/128.0", **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        URL if "url" not in extra else extra.pop("url"),
        data,
        content_type=extra.pop("content_type", "application/json"),
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=agent,
        **extra,
    )


def test_a_report_is_stored_and_counted(client, outlook):
    response = post(client, {"problem": "login", "comment": "Cannot sign in since 9"})
    assert response.status_code == 201
    assert response.json()["counted"] is True
    report = Report.objects.get()
    assert (report.service, report.problem.slug, report.is_counted) == (outlook, "login", True)
    assert Comment.objects.get().body == "Cannot sign in since 9"


def test_a_second_report_within_fifteen_minutes_is_stored_but_not_counted(client, outlook):
    post(client, {"problem": "login"})
    response = post(client, {"problem": "sending"})
    assert response.status_code == 200
    assert response.json()["counted"] is False
    assert "already counted" in response.json()["message"]
    second = Report.objects.order_by("pk").last()
    assert (second.is_counted, second.not_counted_reason) == (False, "duplicate")


def test_another_reporter_counts_separately(client, outlook):
    post(client, {"problem": "login"}, ip="198.51.100.7")
    post(client, {"problem": "login"}, ip="198.51.100.8")
    post(client, {"problem": "login"}, ip="198.51.100.7", agent="Chrome/130.0")
    assert Report.objects.counted().count() == 3


def test_forged_forwarded_for_headers_do_not_create_new_reporters(client, outlook):
    for i in range(30):
        post(client, {"problem": "login"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    assert Report.objects.counted().count() == 1


def test_no_raw_ip_address_is_stored(client, outlook):
    post(client, {"problem": "login", "comment": "hello"}, ip="203.0.113.77")
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(r)::text FROM reports_report r")
        rows = [r[0] for r in cursor.fetchall()]
    assert rows and not any("203.0.113.77" in row for row in rows)


def test_the_country_comes_from_the_offline_geoip_data(client, outlook):
    post(client, {"problem": "login"}, ip="8.8.8.8")
    assert Report.objects.get().country == "US"


def test_a_private_address_has_an_unknown_country(client, outlook):
    post(client, {"problem": "login"}, ip="192.168.1.20")
    assert Report.objects.get().country == ""


def test_a_location_sent_by_the_client_wins(client, outlook):
    post(client, {"problem": "login", "country": "de", "region": "Bavaria"}, ip="8.8.8.8")
    report = Report.objects.get()
    assert (report.country, report.region) == ("DE", "Bavaria")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"problem": "teleport"}, "problem"),
        ({}, "problem"),
        ({"problem": ""}, "problem"),
        ({"problem": "login", "comment": "x" * 1001}, "comment"),
        ({"problem": "login", "country": "ZZ"}, "country"),
        ({"problem": "login", "comment": "nul \u0000 byte"}, "comment"),
        ({"problem": ["login"]}, "problem"),
        ([1, 2], "non_field_errors"),
    ],
)
def test_bad_fields_get_a_400_naming_the_field_and_store_nothing(client, outlook, body, field):
    response = post(client, body)
    assert response.status_code == 400
    assert field in response.json()
    assert Report.objects.count() == 0


def test_a_comment_of_exactly_1000_characters_is_accepted(client, outlook):
    assert post(client, {"problem": "login", "comment": "y" * 1000}).status_code == 201


def test_malformed_json_is_a_400(client, outlook):
    response = post(client, '{"problem": "login"')
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_lone_surrogate_in_json_is_a_400_not_a_500(client, outlook):
    response = post(client, '{"problem": "login", "comment": "\\ud800"}')
    assert response.status_code == 400
    assert Report.objects.count() == 0


def test_a_form_encoded_body_is_a_400_asking_for_json(client, outlook):
    response = post(client, "problem=login", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "application/json" in response.json()["non_field_errors"][0]


def test_an_unknown_service_is_a_404(client, catalog):
    response = post(client, {"problem": "login"}, url="/api/v1/services/nope/reports")
    assert response.status_code == 404


def test_too_many_reports_from_one_reporter_get_a_429_with_retry_after(
    client, outlook, settings, throttle_clock
):
    settings.TREMOR = {**settings.TREMOR, "REPORT_THROTTLE_RATE": "3/min"}
    statuses = [post(client, {"problem": "login"}).status_code for _ in range(5)]
    response = post(client, {"problem": "login"})
    assert statuses == [201, 200, 200, 429, 429]
    assert int(response["Retry-After"]) > 0
    assert Report.objects.count() == 3


def test_the_throttle_is_per_reporter(client, outlook, settings, throttle_clock):
    settings.TREMOR = {**settings.TREMOR, "REPORT_THROTTLE_RATE": "1/min"}
    assert post(client, {"problem": "login"}, ip="198.51.100.7").status_code == 201
    assert post(client, {"problem": "login"}, ip="198.51.100.7").status_code == 429
    assert post(client, {"problem": "login"}, ip="198.51.100.8").status_code == 201


def test_an_oversized_body_is_rejected_with_a_4xx(client, outlook):
    response = post(client, {"problem": "login", "comment": "x" * 3_000_000})
    assert 400 <= response.status_code < 500
    assert Report.objects.count() == 0


def test_a_body_that_is_not_utf8_is_a_400(client, outlook):
    response = client.post(
        URL, b'{"problem": "\xff\xfe"}', content_type="application/json", REMOTE_ADDR="1.2.3.4"
    )
    assert response.status_code == 400
    assert Report.objects.count() == 0


def test_five_hundred_reports_from_one_client_in_a_minute_count_once(
    client, outlook, throttle_clock
):
    statuses = [post(client, {"problem": "login"}).status_code for _ in range(500)]
    assert statuses[:1] == [201] and set(statuses[1:10]) == {200}
    assert set(statuses[10:]) == {429}  # the default 10 a minute per reporter
    assert Report.objects.count() == 10 and Report.objects.counted().count() == 1


def test_a_flood_from_one_network_is_throttled_whatever_the_addresses(
    client, outlook, settings, throttle_clock
):
    # 200 addresses of one /24, each a new reporter: the network's 120 a minute stops them.
    statuses = [
        post(client, {"problem": "login"}, ip=f"203.0.113.{i}").status_code for i in range(200)
    ]
    assert statuses.count(201) == 120 and statuses.count(429) == 80
    # A neighbouring network is not affected.
    assert post(client, {"problem": "login"}, ip="203.0.114.1").status_code == 201
    ipv6 = [
        post(client, {"problem": "login"}, ip=f"2001:db8:1:{i:x}::1").status_code
        for i in range(125)
    ]
    assert ipv6.count(429) == 5  # one /48


def test_throttle_cache_keys_hold_no_address(client, outlook):
    from django.core.cache import caches

    cache = caches["default"]
    post(client, {"problem": "login"}, ip="198.51.100.77")
    if type(cache).__name__ == "LocMemCache":
        keys = [str(key) for key in cache._cache]
    else:  # Redis (CACHE_URL)
        keys = [key.decode() for key in cache._cache.get_client().keys("*")]
    assert any("reporter" in key for key in keys) and any("network" in key for key in keys)
    assert not any("198.51.100" in key for key in keys)


def test_refused_requests_use_up_no_allowance(client, outlook, settings, throttle_clock):
    """Ten bad requests (unknown problem, unknown service, a non-object body) then a good one:
    the good one is counted, not answered 429."""
    settings.TREMOR = {**settings.TREMOR, "REPORT_THROTTLE_RATE": "3/min"}
    bad = [post(client, {"problem": "nope"}).status_code for _ in range(4)]
    bad += [post(client, {"problem": "login"}, url="/api/v1/services/nope/reports").status_code]
    bad += [post(client, "[1]").status_code for _ in range(5)]
    assert sorted(set(bad)) == [400, 404]
    assert post(client, {"problem": "login"}).status_code == 201


def test_a_reporter_may_report_many_services_at_once(client, catalog, settings, throttle_clock):
    """During a provider-wide outage one person reports service after service: the reporter's
    limit is per service."""
    settings.TREMOR = {**settings.TREMOR, "REPORT_THROTTLE_RATE": "2/min"}
    services = list(Service.objects.active().order_by("slug")[:12])

    def report(service: Service) -> int:
        problem = service.category.problem_types.first().slug
        url = f"/api/v1/services/{service.slug}/reports"
        return post(client, {"problem": problem}, url=url).status_code

    assert [report(s) for s in services] == [201] * 12
    again = [report(services[0]) for _ in range(2)]
    assert again == [200, 429]  # still limited on any one service

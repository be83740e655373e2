from datetime import date

import pytest
from django.test import RequestFactory, override_settings

from reports.identity import client_address, reporter_key, ua_family

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
EDGE = CHROME + " Edg/130.0"
SAFARI = (
    "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
)


@pytest.mark.parametrize(
    "agent, family",
    [(FIREFOX, "Firefox"), (CHROME, "Chrome"), (EDGE, "Edge"), (SAFARI, "Safari"),
     ("curl/8.5.0", "curl"), ("", "None"), ("something odd", "Other")],
)  # fmt: skip
def test_the_browser_family_ignores_versions(agent, family):
    assert ua_family(agent) == family


def test_the_reporter_key_is_stable_within_a_day_and_changes_the_next_day():
    today = reporter_key("203.0.113.9", "Firefox", date(2026, 3, 2))
    assert today == reporter_key("203.0.113.9", "Firefox", date(2026, 3, 2))
    assert today != reporter_key("203.0.113.9", "Firefox", date(2026, 3, 3))
    assert today != reporter_key("203.0.113.9", "Chrome", date(2026, 3, 2))
    assert "203.0.113.9" not in today and len(today) == 32


def test_without_trusted_proxies_forwarded_for_is_ignored():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    assert client_address(request) == "198.51.100.7"


@override_settings(TREMOR={"TRUSTED_PROXY_COUNT": 1})
def test_with_one_trusted_proxy_the_address_it_saw_is_used_not_a_forged_one():
    # The client forged "1.2.3.4"; our proxy appended the address it really saw.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50"
    )
    assert client_address(request) == "203.0.113.50"


@override_settings(TREMOR={"TRUSTED_PROXY_COUNT": 1})
def test_a_garbage_forwarded_for_falls_back_to_the_socket_address():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_address(request) == "10.0.0.2"

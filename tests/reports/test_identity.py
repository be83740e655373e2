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


PROXIES = {"TRUSTED_PROXIES": ["10.0.0.0/24", "2001:db8:ffff::/48"]}


@override_settings(TREMOR=PROXIES)
def test_behind_a_trusted_proxy_the_address_it_saw_is_used_not_a_forged_one():
    # The client forged "1.2.3.4"; our proxy appended the address it really saw.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50"
    )
    assert client_address(request) == "203.0.113.50"


@override_settings(TREMOR=PROXIES)
def test_the_walk_passes_every_trusted_hop_from_the_right():
    # A load balancer (10.0.0.7) in front of nginx (10.0.0.2): both trusted, both appended.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50, 10.0.0.7"
    )
    assert client_address(request) == "203.0.113.50"
    ipv6 = RequestFactory().get(
        "/", REMOTE_ADDR="2001:db8:ffff::1", HTTP_X_FORWARDED_FOR="2001:db8:1::9"
    )
    assert client_address(ipv6) == "2001:db8:1::9"


@override_settings(TREMOR=PROXIES)
def test_a_client_that_connects_directly_is_taken_at_its_sockets_word():
    # It reached the published port itself: its header is its own invention, whatever it says.
    for forged in ("1.2.3.4", "10.0.0.2", "203.0.113.1, 10.0.0.3"):
        request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=forged)
        assert client_address(request) == "198.51.100.7"


@override_settings(TREMOR=PROXIES)
def test_a_garbage_forwarded_for_stops_at_the_proxy_that_passed_it():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_address(request) == "10.0.0.2"
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, junk, 10.0.0.5"
    )
    assert client_address(request) == "10.0.0.5"

"""The submission throttles: sliding-window counters in the cache (Redis under CACHE_URL, the
in-process cache otherwise: CI runs this file against both)."""

import logging

import pytest
from django.test import RequestFactory, override_settings

from reports import throttling


def request(ip="198.51.100.20"):
    return RequestFactory().post("/", REMOTE_ADDR=ip, HTTP_USER_AGENT="Mozilla/5.0 Firefox/120.0")


def test_the_previous_window_still_counts_as_far_as_the_sliding_window_covers_it(
    settings, throttle_clock
):
    settings.TREMOR = {**settings.TREMOR, "REPORT_THROTTLE_RATE": "3/min"}
    assert [throttling.check_reporter_throttle(request()) for _ in range(3)] == [None] * 3
    assert throttling.check_reporter_throttle(request()) == 20  # the window ends at 120 s
    throttle_clock["now"] = 121.0  # a new fixed window, but the last minute still holds 3 reports
    assert throttling.check_reporter_throttle(request()) is not None
    throttle_clock["now"] = 170.0  # a sixth of the previous window is left: 0.5 + 1 ≤ 3
    assert throttling.check_reporter_throttle(request()) is None
    assert throttling.check_reporter_throttle(request("198.51.100.21")) is None  # another one


def test_refused_attempts_do_not_count_against_later_ones(settings, throttle_clock):
    settings.TREMOR = {**settings.TREMOR, "REPORT_THROTTLE_RATE": "2/min"}
    results = [throttling.check_reporter_throttle(request()) for _ in range(9)]
    assert results[:2] == [None, None] and None not in results[2:]
    throttle_clock["now"] = 170.0  # had the 7 refusals counted: 9 × 1/6 + 1 > 2
    assert throttling.check_reporter_throttle(request()) is None


def test_the_network_window_stops_many_reporters_of_one_network(settings, throttle_clock):
    settings.TREMOR = {**settings.TREMOR, "NETWORK_THROTTLE_RATE": "5/min"}
    results = [throttling.check_reporter_throttle(request(f"203.0.113.{i}")) for i in range(8)]
    assert results.count(None) == 5
    assert throttling.check_reporter_throttle(request("203.0.114.1")) is None


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
)
def test_with_the_cache_down_submissions_go_through_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="reports.throttling"):
        assert throttling.check_reporter_throttle(request()) is None
    assert "submission throttles skipped, the cache failed" in caplog.text


def test_a_bad_rate_is_refused_with_its_text():
    with pytest.raises(ValueError, match="'ten/min' is not a rate like 10/min"):
        throttling.parse_rate("reporter", "ten/min")
    assert throttling.parse_rate("network", "2000/hour") == throttling.Window("network", 2000, 3600)

"""Coarse location from the offline country data shipped with geoip2fast."""

import threading
import warnings
from functools import cache

_lock = threading.Lock()


@cache
def _reader():
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from geoip2fast import GeoIP2Fast

        # The IPv6 file covers IPv4 as well.
        return GeoIP2Fast(geoip2fast_data_file="geoip2fast-ipv6.dat.gz", verbose=False)


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → English name, for the countries the data file knows."""
    _reader()
    from geoip2fast import geoip2fast as module

    names = getattr(module, "geoipCountryNamesDict", {}) or {}
    return {code: name for code, name in names.items() if len(code) == 2 and code.isalpha()}


def country_for_address(address: str) -> str:
    """The country code of an address, or "" when unknown (private, reserved, not found)."""
    try:
        code = _reader().lookup(address).country_code
    except Exception:  # the lookup must never cost a report
        return ""
    return code if code in country_names() else ""


def country_name(code: str) -> str:
    return country_names().get(code, "Unknown") if code else "Unknown"

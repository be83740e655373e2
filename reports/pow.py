"""An optional proof-of-work challenge on the report form, self-hosted, harder under load.

The page carries a signed challenge (a random nonce and a difficulty in bits). The browser
(static/js/proof-of-work.js) finds a counter such that SHA-256("<challenge>:<counter>") starts
with that many zero bits, and sends both with the report. One challenge is good for one report
within 10 minutes. Each extra bit doubles the work: difficulty rises by one bit every time the
site-wide rate of form submissions doubles past POW_LOAD_STEP per minute.
"""

import hashlib
import math
import secrets
import time
from typing import cast

from django.conf import settings
from django.core import signing
from django.core.cache import cache

SALT = "tremor-report-pow"
MAX_AGE_SECONDS = 600
_LOAD_KEY = "tremor:pow:load:{minute}"


def enabled() -> bool:
    return cast(dict[str, bool], settings.TREMOR["POW"])["enabled"]


def current_bits() -> int:
    """The difficulty now: the base, plus one bit per doubling of last minute's submissions."""
    pow_settings = cast(dict[str, int], settings.TREMOR["POW"])
    minute = int(time.time() // 60)
    load = cache.get(_LOAD_KEY.format(minute=minute - 1), 0)
    extra = int(math.log2(1 + load / pow_settings["load_step"]))
    return min(pow_settings["base_bits"] + extra, pow_settings["max_bits"])


def record_submission() -> None:
    key = _LOAD_KEY.format(minute=int(time.time() // 60))
    if not cache.add(key, 1, timeout=180):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=180)


def new_challenge() -> tuple[str, int]:
    """A signed challenge for one report, and its difficulty in bits."""
    bits = current_bits()
    return signing.dumps({"n": secrets.token_hex(12), "b": bits}, salt=SALT), bits


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def check(challenge: str, counter: str) -> str | None:
    """None when the work is done and the challenge unused; otherwise why not, in words."""
    try:
        data = signing.loads(challenge, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        return "The page is too old: reload it and press again."
    except signing.BadSignature:
        return "Your browser did not confirm the report: please enable JavaScript and try again."
    if not counter.isdigit() or len(counter) > 20:
        return "Your browser did not confirm the report: please try again."
    digest = hashlib.sha256(f"{challenge}:{counter}".encode()).digest()
    if leading_zero_bits(digest) < data["b"]:
        return "Your browser did not confirm the report: please try again."
    if not cache.add(f"tremor:pow:used:{data['n']}", 1, timeout=MAX_AGE_SECONDS):
        return "This page was already used for a report: reload it to report again."
    return None

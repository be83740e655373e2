import hashlib
import time

import pytest
from django.core.cache import cache

from reports import pow
from reports.models import Report


def solve(challenge: str, bits: int) -> str:
    counter = 0
    while pow.leading_zero_bits(hashlib.sha256(f"{challenge}:{counter}".encode()).digest()) < bits:
        counter += 1
    return str(counter)


@pytest.fixture
def pow_on(settings):
    settings.TREMOR = {
        **settings.TREMOR,
        "POW": {"enabled": True, "base_bits": 8, "max_bits": 12, "load_step": 100},
    }


def test_leading_zero_bits():
    assert pow.leading_zero_bits(bytes([0, 0, 0x0F, 0xFF])) == 20
    assert pow.leading_zero_bits(bytes([0x80])) == 0
    assert pow.leading_zero_bits(bytes(4)) == 32


def test_a_solved_challenge_passes_once(pow_on):
    challenge, bits = pow.new_challenge()
    assert bits == 8
    counter = solve(challenge, bits)
    assert pow.check(challenge, counter) is None
    assert "already used" in pow.check(challenge, counter)


def test_wrong_work_and_forged_challenges_are_refused(pow_on):
    challenge, bits = pow.new_challenge()
    counter = int(solve(challenge, bits))
    wrong = next(
        str(c) for c in range(counter + 1, counter + 10_000)
        if pow.leading_zero_bits(hashlib.sha256(f"{challenge}:{c}".encode()).digest()) < bits
    )  # fmt: skip
    assert "did not confirm" in pow.check(challenge, wrong)
    assert "did not confirm" in pow.check(challenge + "x", str(counter))
    assert "did not confirm" in pow.check(challenge, "-1")


def test_the_work_grows_with_load(pow_on):
    minute = int(time.time() // 60)
    for load, bits in ((0, 8), (100, 9), (300, 10), (10_000, 12)):
        cache.set(f"tremor:pow:load:{minute - 1}", load)
        assert pow.current_bits() == bits, load


def test_the_form_refuses_a_report_without_the_work(client, outlook, pow_on):
    page = client.get("/services/outlook/").content.decode()
    assert 'name="pow_challenge"' in page and "js/proof-of-work.js" in page
    state = client.get("/report-form/state").json()
    assert state["pow_bits"] == 8
    response = client.post("/services/outlook/report", {"problem": "login"}, follow=True)
    assert "did not confirm" in response.content.decode()
    assert not Report.objects.exists()
    challenge = state["pow_challenge"]
    client.post(
        "/services/outlook/report",
        {"problem": "login", "pow_challenge": challenge, "pow_counter": solve(challenge, 8)},
    )
    assert Report.objects.counted().count() == 1

"""The public level is decided in one function, after the holds, and `since` follows it."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics.detector import IncidentState, Level, Status
from analytics.incidents import level_since, public_level

T = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def state(status: Status) -> IncidentState:
    return IncidentState(
        status=status, started_at=T - timedelta(minutes=15), detected_at=T - timedelta(minutes=5),
        last_active_at=T, opened_reports=120, opened_expected=4.0, opened_probability=1e-12,
        opened_buckets=1, peak_at=T, peak_reports=120, peak_expected=4.0, peak_probability=1e-12,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("quiet", "status", "held", "shown"),
    [
        (Level.OK, None, False, Level.OK),
        (Level.POSSIBLE, None, False, Level.POSSIBLE),
        (Level.OK, Status.OPEN, False, Level.PROBLEMS),
        (Level.OK, Status.RECOVERING, False, Level.POSSIBLE),
        (Level.POSSIBLE, Status.RESOLVED, False, Level.POSSIBLE),
        (Level.OK, Status.OPEN, True, Level.POSSIBLE),
        (Level.OK, None, True, Level.OK),
    ],
)
def test_the_public_level_follows_the_incident_and_a_hold_caps_it_at_possible(
    quiet, status, held, shown
):
    assert public_level(int(quiet), state(status) if status else None, held) == shown


def test_a_level_that_stays_keeps_its_since():
    assert level_since(1, None, (1, T - timedelta(hours=2)), T) == T - timedelta(hours=2)


def test_a_change_to_problems_dates_from_the_detectors_decision():
    assert level_since(2, state(Status.OPEN), (0, T - timedelta(hours=2)), T) == T - timedelta(
        minutes=5
    )


def test_any_other_change_dates_from_now():
    assert level_since(0, None, (1, T - timedelta(hours=2)), T) == T
    assert level_since(1, None, None, T) == T


def test_a_held_incident_does_not_restart_the_since_of_a_status_already_at_possible():
    """Held, an open incident shows amber; amber already shown keeps its start (decided after
    the hold, not before it, when it would have looked like a change to red)."""
    level = public_level(int(Level.POSSIBLE), state(Status.OPEN), held=True)
    assert level_since(level, state(Status.OPEN), (1, T - timedelta(hours=1)), T) == T - timedelta(
        hours=1
    )

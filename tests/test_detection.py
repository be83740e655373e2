from datetime import UTC, datetime, timedelta

from analytics.detection import Evidence, Level, advance, classify

W = timedelta(minutes=5)
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def feed(counts, expected=2.0, start=T0):
    state, history = None, []
    for i, observed in enumerate(counts):
        state = advance(state, Evidence(start + i * W, observed, expected), W)
        history.append(state)
        if state is not None and state.status == "resolved":
            state = None
    return history


def test_a_quiet_service_is_not_flagged_for_a_couple_of_reports():
    assert classify(2, 0.0) == Level.OK
    assert classify(3, 0.1) == Level.OK


def test_a_large_ratio_with_enough_reports_is_problems():
    assert classify(40, 3.0) == Level.PROBLEMS
    assert classify(9, 0.5) == Level.POSSIBLE  # large ratio but below the minimum count


def test_a_moderate_rise_is_possible_problems():
    assert classify(8, 3.0) == Level.POSSIBLE


def test_fewer_reports_than_usual_is_not_an_outage():
    assert classify(0, 500.0) == Level.OK


def test_an_incident_opens_on_the_first_bucket_at_problems_and_keeps_the_evidence():
    history = feed([2, 3, 40, 60, 30])
    assert history[1] is None
    opened = history[2]
    assert (opened.status, opened.started_at, opened.opened_reports) == ("open", T0 + 2 * W, 40)
    assert (history[4].peak_reports, history[4].peak_at) == (60, T0 + 3 * W)


def test_it_recovers_then_resolves_after_three_quiet_buckets():
    history = feed([40, 50, 9, 2, 2, 2, 2])
    assert history[2].status == "recovering"  # 9 vs 2 expected: possible problems
    assert history[3].status == "recovering" and history[3].quiet_buckets == 1
    assert history[5].status == "resolved"
    assert history[5].ended_at == T0 + 2 * W  # the end of the last bucket at problems
    assert history[6] is None


def test_a_new_spike_while_recovering_continues_the_same_incident():
    history = feed([40, 2, 2, 45, 2])
    assert history[3].status == "open"
    assert history[3].started_at == T0


def test_a_filling_bucket_can_open_an_incident_but_never_counts_as_quiet():
    state = advance(None, Evidence(T0, 30, 2.0, closed=False), W)
    assert state.status == "open"
    state = advance(state, Evidence(T0 + W, 0, 2.0, closed=False), W)
    assert state.status == "open" and state.quiet_buckets == 0

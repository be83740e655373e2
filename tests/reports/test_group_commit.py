"""Reports written in batches: one round trip for many reports, each counted exactly as alone."""

import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, OperationalError, connection

from reports.api import ReportCreateAPI
from reports.group_commit import GroupCommit
from reports.models import Comment, Report
from reports.services import Reporter, pending_report, store_reports, submit_pending
from tests.factories import NOON


def pending(service, key, *, at=NOON, **kw):
    return pending_report(
        service=service,
        problem=service.category.problem_types.first(),
        reporter=Reporter(key=key, ua_family="Firefox", country="DE"),
        now=at,
        **kw,
    )


def test_a_batch_counts_each_reporter_once_and_keeps_its_order(outlook):
    store_reports([pending(outlook, "a" * 32, at=NOON - timedelta(minutes=5))])
    batch = [
        pending(outlook, "b" * 32, comment="no mail since nine"),
        pending(outlook, "a" * 32),  # counted five minutes ago
        pending(outlook, "b" * 32, at=NOON + timedelta(seconds=1)),  # twice in the batch
        pending(outlook, "c" * 32, honeypot=True),
        pending(outlook, "d" * 32, at=NOON - timedelta(seconds=1)),
    ]
    submissions = store_reports(batch)
    assert [s.counted for s in submissions] == [True, False, False, False, True]
    assert [s.report.reporter_key for s in submissions] == [p.reporter.key for p in batch]
    stored = {r.pk: r for r in Report.objects.all()}
    for s in submissions:
        row = stored[s.report.pk]
        assert (row.reporter_key, row.is_counted, row.created_at) == (
            s.report.reporter_key,
            s.counted,
            s.report.created_at,
        )
    reasons = [stored[s.report.pk].not_counted_reason for s in submissions]
    assert reasons == ["", "duplicate", "duplicate", "honeypot", ""]
    comment = Comment.objects.get()
    assert (comment.report_id, comment.body) == (submissions[0].report.pk, "no mail since nine")
    # Past the window the same reporter counts again.
    later = store_reports([pending(outlook, "a" * 32, at=NOON + timedelta(minutes=20))])
    assert later[0].counted


@pytest.mark.django_db(transaction=True)
def test_simultaneous_presses_from_many_threads_count_each_reporter_once(outlook):
    # 40 threads, 20 reporters each pressing twice at once: batches form, none double-counts.
    start = threading.Barrier(40)
    answers, errors = [], []

    def press(i: int) -> None:
        try:
            start.wait()
            answers.append(submit_pending(pending(outlook, f"{i % 20:032d}")))
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(a.counted for a in answers) == 20
    assert Report.objects.count() == 40
    assert Report.objects.filter(is_counted=True).values("reporter_key").distinct().count() == 20


def test_one_bad_report_does_not_fail_the_others_of_its_batch():
    def write(items):
        if "bad" in items:
            raise DatabaseError("value too long")
        return [f"stored {item}" for item in items]

    group = GroupCommit(write)
    outcomes = group._write_batch(["one", "bad", "two"])
    assert [result for result, _ in outcomes] == ["stored one", None, "stored two"]
    assert isinstance(outcomes[1][1], DatabaseError)


def test_an_unreachable_database_fails_every_waiter_with_the_same_error():
    calls = []

    def write(items):
        calls.append(list(items))
        raise OperationalError("connection refused")

    outcomes = GroupCommit(write)._write_batch(["one", "two"])
    assert calls == [["one", "two"]]  # not retried one by one against a dead server
    assert all(isinstance(error, OperationalError) for _, error in outcomes)
    with pytest.raises(OperationalError):
        GroupCommit(write).submit("three")


def test_the_answer_has_exactly_the_documented_fields(client, outlook):
    response = client.post(
        "/api/v1/services/outlook/reports", {"problem": "login"}, content_type="application/json"
    )
    assert response.status_code == 201
    documented = ReportCreateAPI.ReportReceiptSerializer(data=response.json())
    assert documented.is_valid(), documented.errors
    assert set(response.json()) == set(ReportCreateAPI.ReportReceiptSerializer().fields)

"""Two presses of the same reporter at the same moment, on separate connections, count once:
stored one by one (`submit_report`) or through the group commit the API and the form use
(`submit_pending`)."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from reports.models import Report, Service
from reports.services import Reporter, pending_report, submit_pending, submit_report

PRESSES = 6
ROUNDS = 5


def through_the_group_commit(**fields: object) -> object:
    return submit_pending(pending_report(**fields))  # type: ignore[arg-type]


def press_together(service: Service, key: str, submit) -> list[bool]:
    """PRESSES threads submit the same reporter's report as one, each on its own connection."""
    problem = service.category.problem_types.first()
    start = threading.Barrier(PRESSES)
    counted: list[bool] = []
    errors: list[BaseException] = []

    def press() -> None:
        try:
            start.wait(timeout=30)
            submission = submit(
                service=service,
                problem=problem,
                reporter=Reporter(key=key, ua_family="Firefox", country="US"),
                now=timezone.now() - timedelta(seconds=1),
            )
            counted.append(submission.counted)
        except BaseException as error:  # handed to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(PRESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return counted


@pytest.mark.parametrize("submit", [submit_report, through_the_group_commit])
def test_simultaneous_presses_of_one_reporter_count_once_and_are_all_stored(
    transactional_db, submit
):
    call_command("load_catalog", verbosity=0)
    outlook = Service.objects.get(slug="outlook")
    for round_ in range(ROUNDS):
        counted = press_together(outlook, f"{round_:032x}", submit)
        assert sorted(counted) == [False] * (PRESSES - 1) + [True]
    assert Report.objects.count() == PRESSES * ROUNDS
    assert Report.objects.counted().count() == ROUNDS
    assert set(
        Report.objects.exclude(is_counted=True).values_list("not_counted_reason", flat=True)
    ) == {Report.NotCountedReason.DUPLICATE}

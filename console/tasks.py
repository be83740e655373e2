"""Celery tasks the console queues."""

from celery import shared_task

from analytics.reassess import recount_after_quarantine as recount
from reports.models import Quarantine


@shared_task(soft_time_limit=600, time_limit=660, ignore_result=True)
def recount_after_quarantine(quarantine_id: int, releasing: bool) -> None:
    recount(Quarantine.objects.get(pk=quarantine_id), releasing=releasing)


# The task's name before the console had an app of its own: a recount queued by the previous
# release and still in the broker at the upgrade must run, or that window keeps counting the
# quarantined reports. Remove once no such message can be left.
@shared_task(
    name="reports.tasks.recount_after_quarantine",
    soft_time_limit=600,
    time_limit=660,
    ignore_result=True,
)
def recount_after_quarantine_under_its_old_name(quarantine_id: int, releasing: bool) -> None:
    recount_after_quarantine(quarantine_id, releasing)

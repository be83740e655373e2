"""Celery tasks the console queues."""

from celery import shared_task

from analytics.reassess import recount_after_quarantine as recount
from reports.models import Quarantine


@shared_task(soft_time_limit=600, time_limit=660, ignore_result=True)
def recount_after_quarantine(quarantine_id: int, releasing: bool) -> None:
    recount(Quarantine.objects.get(pk=quarantine_id), releasing=releasing)

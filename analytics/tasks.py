"""Celery tasks: a few lines each, the work is in analytics.pipeline."""

from celery import shared_task
from django.utils import timezone

from analytics import pipeline


@shared_task(soft_time_limit=50, time_limit=55, ignore_result=True)
def refresh_analytics() -> str:
    refreshed, detected = pipeline.refresh_analytics(timezone.now())
    return f"{refreshed.buckets} buckets, {detected.opened} opened, {detected.resolved} resolved"


@shared_task(soft_time_limit=600, time_limit=660, ignore_result=True)
def rebuild_baselines() -> int:
    return pipeline.rebuild_baselines(timezone.now())

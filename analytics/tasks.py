"""Celery tasks: a few lines each, the work is in analytics.pipeline."""

from datetime import datetime

from celery import group, shared_task
from django.utils import timezone

from analytics import baselines, pipeline


@shared_task(soft_time_limit=50, time_limit=55, ignore_result=True)
def refresh_analytics() -> str:
    refreshed, detected = pipeline.refresh_analytics(timezone.now())
    return f"{refreshed.buckets} buckets, {detected.opened} opened, {detected.resolved} resolved"


@shared_task(soft_time_limit=30, time_limit=35, ignore_result=True)
def rebuild_baselines() -> int:
    """The hourly rebuild as a group, one task per range of services: the worker's processes
    fit them in parallel (one process takes about 80 s for 10,000 services × 8 weeks)."""
    parts = baselines.baseline_parts()
    now = timezone.now().isoformat()
    group(rebuild_baselines_part.s(now, first, last) for first, last in parts).apply_async()
    return len(parts)


@shared_task(soft_time_limit=300, time_limit=330, ignore_result=True)
def rebuild_baselines_part(now: str, first: int, last: int) -> int:
    return baselines.rebuild_baselines_between(datetime.fromisoformat(now), first, last)

"""Bucket arithmetic: buckets are aligned to a fixed width from the Unix epoch, in UTC."""

from datetime import UTC, datetime, timedelta
from typing import cast

from django.conf import settings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bucket_width() -> timedelta:
    return timedelta(minutes=cast(int, settings.TREMOR["BUCKET_MINUTES"]))


def floor_bucket(moment: datetime, width: timedelta | None = None) -> datetime:
    """The start of the bucket containing `moment` (an aware datetime)."""
    width = width or bucket_width()
    return EPOCH + ((moment - EPOCH) // width) * width


def ceil_bucket(moment: datetime, width: timedelta | None = None) -> datetime:
    width = width or bucket_width()
    start = floor_bucket(moment, width)
    return start if start == moment else start + width

"""Indexes on start for the problem and country buckets: the per-minute recount deletes the
stale buckets of its window across all services (analytics.binning). Built concurrently: these
tables hold the whole history and the recount keeps writing them."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("analytics", "0006_detected_at_and_noise")]

    operations = [
        AddIndexConcurrently(
            model_name="problembucket",
            index=models.Index(fields=["start"], name="problembucket_start_idx"),
        ),
        AddIndexConcurrently(
            model_name="countrybucket",
            index=models.Index(fields=["start"], name="countrybucket_start_idx"),
        ),
    ]

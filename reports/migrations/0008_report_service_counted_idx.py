"""An index for one service's counted reports over a window (analytics.concentration).

Built concurrently: the reports table is the big one (its retention), and ingest keeps writing.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("reports", "0007_report_seconds_to_submit")]

    operations = [
        AddIndexConcurrently(
            model_name="report",
            index=models.Index(
                fields=["service", "created_at"],
                name="report_service_counted_idx",
                condition=models.Q(is_counted=True),
            ),
        ),
    ]

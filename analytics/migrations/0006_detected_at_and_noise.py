"""Decision time on incidents, the deciding window's length, and per-window noise on baselines.

Existing incidents get `detected_at` = the end of their opening bucket: the best that is known.
Baselines lose the negative-binomial alpha for the measured noise; the next rebuild fills it (an
empty noise list is read as the prior until then).
"""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_incident_withdrawn")]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="detected_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunSQL(
            "UPDATE analytics_incident SET detected_at = started_at + interval '5 minutes'",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="incident",
            name="detected_at",
            field=models.DateTimeField(
                help_text="When the detector decided: the end of the closed bucket, or the minute "
                "the filling bucket was judged."
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="opened_buckets",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RemoveField(model_name="baseline", name="alpha"),
        migrations.AddField(
            model_name="baseline",
            name="noise",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.FloatField(),
                default=list,
                help_text="Noise of the log rate per window of 1, 2, 3, 6 and 12 buckets "
                "(analytics.detector.windows).",
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="detectortuning",
            name="overrides",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Setting name → value, e.g. {"open_min_reports": 30}. See the README.',
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="started_at",
            field=models.DateTimeField(
                help_text="When reports began rising: the first elevated bucket of the window that "
                "opened the incident (before the detector knew)."
            ),
        ),
    ]

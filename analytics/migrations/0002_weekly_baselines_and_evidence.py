# The weekly baselines replace the time-of-day ones (one row per service with an array per slot
# of the week), and incidents and statuses keep the tail probability of their evidence.
import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.DeleteModel(name="Baseline"),
        migrations.CreateModel(
            name="Baseline",
            fields=[
                (
                    "service",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="baseline",
                        serialize=False,
                        to="reports.service",
                    ),
                ),
                (
                    "expected",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.FloatField(),
                        help_text="Per slot of the week, level included.",
                        size=None,
                    ),
                ),
                (
                    "alpha",
                    models.FloatField(default=0.0, help_text="Negative-binomial over-dispersion."),
                ),
                (
                    "level",
                    models.FloatField(
                        default=1.0, help_text="Recent level over the weekly profile."
                    ),
                ),
                ("history_days", models.PositiveIntegerField(default=0)),
                ("updated_at", models.DateTimeField()),
            ],
        ),
    ]

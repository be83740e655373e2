from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """pg_trgm, for a search that forgives typos. It is a trusted extension (PostgreSQL 13+),
    so the database's owner may create it without superuser rights."""

    dependencies = [("reports", "0009_partition_reports_by_day")]

    operations = [TrigramExtension()]

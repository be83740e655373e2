"""Partition reports_report by day (reports.partitions says why).

The table is rebuilt as a partitioned one with the same columns, checks, foreign keys and
indexes, one partition per day that holds rows, the next days' partitions, and a default one;
the rows are copied over and the old table dropped. On a large installation this copy takes
the time of rewriting the table (stop the web and worker first). The primary key becomes
(id, created_at), as PostgreSQL requires the partition key in it; ids still come from one
sequence, so `id` alone stays unique. A comment keeps its report's id without a foreign key:
a key into a partitioned table would have to carry created_at too. Deleting a report through
Django still deletes its comment; dropping a partition deletes them in reports.partitions.
"""

import re
from datetime import UTC, datetime

from django.db import migrations, models

OLD = "reports_report_unpartitioned"


def _partition(apps, schema_editor) -> None:
    from reports.partitions import DEFAULT, PARENT, ensure_partitions, ensure_upcoming_partitions

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        run = cursor.execute
        run(f"ALTER TABLE {PARENT} RENAME TO {OLD}")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
            [OLD, f"{PARENT}_pkey"],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [OLD],
        )
        foreign_keys = cursor.fetchall()
        for name, _ in indexes:
            run(f"DROP INDEX {name}")
        run(f"ALTER INDEX {PARENT}_pkey RENAME TO {OLD}_pkey")
        run(
            f"CREATE TABLE {PARENT} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            "PARTITION BY RANGE (created_at)"
        )
        run(f"CREATE SEQUENCE {PARENT}_id OWNED BY {PARENT}.id")
        run(f"SELECT setval('{PARENT}_id', COALESCE((SELECT max(id) FROM {OLD}), 0) + 1, false)")
        run(f"ALTER TABLE {PARENT} ALTER id SET DEFAULT nextval('{PARENT}_id')")
        run(f"ALTER TABLE {PARENT} ADD CONSTRAINT {PARENT}_pkey PRIMARY KEY (id, created_at)")
        for name, definition in foreign_keys:
            run(f"ALTER TABLE {PARENT} ADD CONSTRAINT {name} {definition}")
        for _, definition in indexes:
            run(re.sub(rf" ON (\w+\.)?{OLD} ", f" ON {PARENT} ", definition))
        run(f"CREATE TABLE {DEFAULT} PARTITION OF {PARENT} DEFAULT")
        cursor.execute(
            f"SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM {OLD} ORDER BY 1"
        )
        for (day,) in cursor.fetchall():
            ensure_partitions(day, day)
        ensure_upcoming_partitions(datetime.now(UTC).date())
        run(f"INSERT INTO {PARENT} SELECT * FROM {OLD}")
        run(f"DROP TABLE {OLD}")
        run(f"ALTER SEQUENCE {PARENT}_id RENAME TO {PARENT}_id_seq")


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_report_service_counted_idx")]

    operations = [
        migrations.AlterField(
            model_name="comment",
            name="report",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=models.deletion.CASCADE,
                related_name="comment",
                to="reports.report",
            ),
        ),
        migrations.RunPython(_partition, elidable=False),  # irreversible: no way back to one table,
    ]

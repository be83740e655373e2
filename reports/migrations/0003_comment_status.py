# Comments get a moderation status instead of a visible flag; hidden ones stay hidden.

from django.db import migrations, models


def visible_flag_to_status(apps, schema_editor):
    Comment = apps.get_model("reports", "Comment")
    Comment.objects.filter(is_visible=False).update(status="hidden")


def status_to_visible_flag(apps, schema_editor):
    Comment = apps.get_model("reports", "Comment")
    Comment.objects.exclude(status="visible").update(is_visible=False)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_honeypot_reason"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="held_because",
            field=models.CharField(
                blank=True, help_text="Why it waits for review.", max_length=200
            ),
        ),
        migrations.AddField(
            model_name="comment",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "pending review"),
                    ("visible", "visible"),
                    ("hidden", "hidden"),
                    ("spam", "spam"),
                ],
                default="visible",
                max_length=10,
            ),
        ),
        migrations.RunPython(visible_flag_to_status, status_to_visible_flag),
        migrations.RemoveField(
            model_name="comment",
            name="is_visible",
        ),
    ]

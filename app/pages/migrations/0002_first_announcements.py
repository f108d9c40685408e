from datetime import UTC, datetime, timedelta

from django.db import migrations

ANNOUNCEMENTS = [
    ("Welcome", "This site is up and running."),
    ("Error reporting", "Unhandled errors reach Sentry with the release that caused them."),
    ("Health checks", "The container reports its health at /healthz."),
]


def add_announcements(apps, schema_editor):
    announcement = apps.get_model("pages", "Announcement")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    announcement.objects.bulk_create(
        announcement(title=title, body=body, published_at=start + timedelta(days=i))
        for i, (title, body) in enumerate(ANNOUNCEMENTS)
    )


def remove_announcements(apps, schema_editor):
    apps.get_model("pages", "Announcement").objects.filter(
        title__in=[title for title, _ in ANNOUNCEMENTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("pages", "0001_initial")]

    operations = [migrations.RunPython(add_announcements, remove_announcements)]

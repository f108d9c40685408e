from django.db import models


class Announcement(models.Model):
    """A short notice shown on the front page."""

    title = models.CharField(max_length=200)
    body = models.TextField()
    published_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return self.title

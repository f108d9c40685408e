import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from pages.models import Announcement

FRONT_PAGE_SIZE = 10


def index(request: HttpRequest) -> HttpResponse:
    """The front page: one query for the latest announcements, rendered by a template."""
    announcements = list(Announcement.objects.all()[:FRONT_PAGE_SIZE])
    return render(request, "pages/index.html", {"announcements": announcements})


def version(request: HttpRequest) -> JsonResponse:
    """Which release is running (no database): SENTRY_RELEASE, else the image's version."""
    return JsonResponse(
        {"release": os.environ.get("SENTRY_RELEASE") or os.environ.get("APP_VERSION")}
    )

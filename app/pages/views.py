from django.conf import settings
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
    return JsonResponse({"release": settings.APP_RELEASE})


def sentry_debug(request: HttpRequest) -> HttpResponse:
    """Raises on purpose to prove errors reach Sentry (routed only if SENTRY_DEBUG_VIEW=1)."""
    division_by_zero = 1 / 0
    return HttpResponse(str(division_by_zero))

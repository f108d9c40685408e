from django.http import HttpRequest, HttpResponse


def sentry_debug(request: HttpRequest) -> HttpResponse:
    """Raises on purpose to prove errors reach Sentry (routed only if SENTRY_DEBUG_VIEW=1)."""
    division_by_zero = 1 / 0
    return HttpResponse(str(division_by_zero))

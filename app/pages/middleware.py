"""Health check answered before any other middleware.

It runs first so that it needs no database, no session and no Host validation
(container health checks and load balancers call it by IP address), and the
Sentry sampler never traces it (config.sentry.HEALTH_PATH).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.sentry import HEALTH_PATH


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return HttpResponse(b"ok\n", content_type="text/plain")
        return self.get_response(request)

"""The health check, answered in front of Django.

It needs no database, no Host validation (container health checks and load balancers
call it by IP address) and no Sentry transaction: it never reaches Django, whose
handler is what Sentry instruments (the traces sampler also refuses it, as a second
line of defence).
"""

from collections.abc import Callable, Iterable
from typing import Any

HEALTH_PATH = "/healthz"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class HealthCheck:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            body = b"" if environ["REQUEST_METHOD"] == "HEAD" else b"ok\n"
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/plain"),
                    ("Content-Length", "3"),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [body]
        return self.app(environ, start_response)

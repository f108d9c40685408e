"""The readiness check (/readyz), answered in front of the project's WSGI application.

Where /healthz only says the process is up, /readyz says this container can serve real
requests: Django accepts the Host header, the URLconf imports, every database answers and
the default database has every migration of this release applied. A deployment waits for it
before moving traffic.

It runs before the project's middleware and URLconf, so neither can hide or break it, and
outside Django's handler, which Sentry instruments: no transaction, no session. Its queries
run in a scope of their own, so they leave no breadcrumbs behind for the next event.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Callable
from typing import Any

import sentry_sdk
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.db.migrations.executor import MigrationExecutor
from django.urls import get_resolver

from django_sentry_deploy.health import WSGIApp

READY_PATH = "/readyz"
# How many unapplied migrations an answer names.
MIGRATIONS_SHOWN = 3
ERROR_LENGTH = 200
# Credentials a driver may quote: `user:password@` of a URL, `password=...` of a DSN.
_URL_CREDENTIALS = re.compile(r"[^\s/:@'\"]+:[^\s/@'\"]*@")
_DSN_PASSWORD = re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE)
OK = "ok"


class NotReady(Exception):
    """A check failed; the message is its one line."""


def one_line(error: BaseException) -> str:
    """`Type: first line of the message`, shortened, without credentials."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    text = _DSN_PASSWORD.sub(r"\1***", _URL_CREDENTIALS.sub("***@", text))
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 3] + "..."


def check_host(environ: dict[str, Any]) -> None:
    """Django's own Host validation (ALLOWED_HOSTS, USE_X_FORWARDED_HOST)."""
    WSGIRequest(environ).get_host()


def check_urls() -> None:
    """ROOT_URLCONF imports, and with it every included URLconf and view module."""
    get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf


def check_databases() -> None:
    """Every alias of DATABASES connects and answers a query."""
    for alias in settings.DATABASES:
        try:
            connection = connections[alias]
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as error:
            raise NotReady(f"{alias}: {one_line(error)}") from None


def check_migrations() -> None:
    """No migration of this release is left to apply on the default database."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{m.app_label}.{m.name}" for m, _ in plan[:MIGRATIONS_SHOWN]]
        more = ", ..." if len(plan) > MIGRATIONS_SHOWN else ""
        raise NotReady(f"{len(plan)} unapplied: {', '.join(names)}{more}")


def _run(check: Callable[[], None]) -> str:
    try:
        check()
    except NotReady as error:
        return str(error)
    except Exception as error:
        return one_line(error)
    return OK


def readiness(environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The status and the JSON body of /readyz.

    An unknown host is answered at once (400, nothing else runs: a stranger's request does
    no database work); the migrations are read only when the databases answer.
    """
    checks: dict[str, str] = {"host": _run(lambda: check_host(environ))}
    if checks["host"] == OK:
        with sentry_sdk.isolation_scope():
            close_old_connections()
            try:
                checks["urls"] = _run(check_urls)
                checks["database"] = _run(check_databases)
                if checks["database"] == OK:
                    checks["migrations"] = _run(check_migrations)
            finally:
                # As at the end of a request: the check keeps no connection Django would not.
                close_old_connections()
    ready = all(result == OK for result in checks.values())
    status = 200 if ready else 400 if checks["host"] != OK else 503
    body = {
        "ready": ready,
        "release": os.environ.get("SENTRY_RELEASE"),
        "container": socket.gethostname(),
        "checks": checks,
    }
    return status, body


_REASONS = {200: "200 OK", 400: "400 Bad Request", 503: "503 Service Unavailable"}


class ReadinessCheck:
    """WSGI middleware answering GET and HEAD /readyz; every other request goes on."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") != READY_PATH or environ.get("REQUEST_METHOD") not in (
            "GET",
            "HEAD",
        ):
            return self.app(environ, start_response)
        status, body = readiness(environ)
        payload = json.dumps(body).encode() + b"\n"
        start_response(
            _REASONS[status],
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else payload]

"""Imports the Django settings in a fresh interpreter and prints what they did, as JSON.

Run by the tests as `python settings_probe.py record|real|requests|unreachable` with the
runtime and a project on the path and the overlay as DJANGO_SETTINGS_MODULE. `record`
replaces `sentry_sdk.init` to capture its arguments; `real` lets the SDK initialise and
reports the client's resolved options; `requests` also answers a few requests in-process
and lists the envelopes the SDK hands to its transport; `unreachable` sends one error
event to a DSN nobody answers and counts the error envelopes the transport is handed in
the next seconds.
"""

import json
import logging
import sys
import time
import wsgiref.util
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

SAMPLING_CONTEXTS = {
    "health": {"wsgi_environ": {"PATH_INFO": "/healthz"}, "parent_sampled": None},
    "health_with_sampled_parent": {
        "wsgi_environ": {"PATH_INFO": "/healthz"},
        "parent_sampled": True,
    },
    "page": {"wsgi_environ": {"PATH_INFO": "/"}, "parent_sampled": None},
    "page_with_unsampled_parent": {"wsgi_environ": {"PATH_INFO": "/"}, "parent_sampled": False},
}
SECURITY_SETTINGS = (
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "CSRF_TRUSTED_ORIGINS",
)
# Settings reported as they are.
REPORTED_SETTINGS = ("SECRET_KEY", "INSTALLED_APPS", "ROOT_URLCONF")
# A `sentry-trace` header of an upstream service (trace id, span id, sampled).
CALLER_TRACE = "771a43a4192642f0b136d5159a501700-b2fb4a6c3ae8e4d1-1"


def describe_logging(integration: LoggingIntegration) -> dict[str, Any]:
    handlers = {
        "breadcrumbs": integration._breadcrumb_handler,
        "events": integration._handler,
        "sentry_logs": integration._sentry_logs_handler,
    }
    return {
        "class": "LoggingIntegration",
        **{name: logging.getLevelName(h.level) if h else None for name, h in handlers.items()},
    }


def describe(kwargs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key == "integrations":
            out[key] = [
                describe_logging(i)
                if isinstance(i, LoggingIntegration)
                else {
                    "class": "DjangoIntegration" if isinstance(i, DjangoIntegration) else "?",
                    "transaction_style": i.transaction_style,
                    # As configured (the app's subclass applies it to sampled requests).
                    "middleware_spans": getattr(i, "_middleware_spans", i.middleware_spans),
                    "signals_spans": i.signals_spans,
                    "cache_spans": i.cache_spans,
                }
                for i in value
            ]
        elif key == "traces_sampler" and value is not None:
            out[key] = {name: value(ctx) for name, ctx in SAMPLING_CONTEXTS.items()}
        elif key == "transport":
            out[key] = f"{value.__module__}.{value.__qualname__}"
        else:
            out[key] = value
    return out


def main(mode: str) -> None:
    calls: list[dict[str, Any]] = []
    if mode == "record":

        def fake_init(*args: Any, **kwargs: Any) -> None:
            assert not args, "settings must pass options by keyword"
            calls.append(kwargs)

        sentry_sdk.init = fake_init

    import django

    django.setup()
    from django.conf import settings

    client = sentry_sdk.get_client()
    result = {
        "init_calls": [describe(c) for c in calls],
        "logging": settings.LOGGING,
        "django_logger_level": logging.getLogger("django").level,
        "debug": settings.DEBUG,
        "allowed_hosts": settings.ALLOWED_HOSTS,
        "database": {k: settings.DATABASES["default"][k] for k in ("ENGINE", "NAME")},
        "client_active": client.is_active(),
        "settings": {name: getattr(settings, name) for name in REPORTED_SETTINGS},
        "security": {name: getattr(settings, name) for name in SECURITY_SETTINGS},
    }
    if mode != "record" and client.is_active():
        options = client.options
        result["client"] = {
            "traces_sample_rate": options["traces_sample_rate"],
            "profile_session_sample_rate": options["profile_session_sample_rate"],
            "profile_lifecycle": options["profile_lifecycle"],
            "profiles_sample_rate": options["profiles_sample_rate"],
            "enable_tracing": options["enable_tracing"],
            "environment": options["environment"],
            "release": options["release"],
            "should_send_default_pii": client.should_send_default_pii(),
            "user_info": options["data_collection"]["user_info"],
            "transport": type(client.transport).__name__,
            "sessions_flush_seconds": client.session_flusher.flush_interval,
        }
    if mode == "requests":
        result["requests"] = serve_requests(client)
    if mode == "unreachable":
        result["error_envelopes"] = count_error_envelopes(client, seconds=2.0)
    json.dump(result, sys.stdout)


def count_error_envelopes(client: Any, seconds: float) -> int:
    """Error envelopes handed to the transport within `seconds` of one captured message."""
    handed: list[Any] = []
    capture = client.transport.capture_envelope

    def counting(envelope: Any) -> None:
        if any(item.type == "event" for item in envelope.items):
            handed.append(envelope)
        capture(envelope)

    client.transport.capture_envelope = counting
    sentry_sdk.capture_message("probe message")
    time.sleep(seconds)
    return len(handed)


def describe_envelope(envelope: Any) -> dict[str, Any]:
    transaction = envelope.get_transaction_event() or {}
    error = next((i.payload.json for i in envelope.items if i.type == "event"), None) or {}
    return {
        "types": [item.type for item in envelope.items],
        "transaction": transaction.get("transaction"),
        "span_ops": sorted({s["op"] for s in transaction.get("spans", [])}),
        "error": error
        and {
            "transaction": error.get("transaction"),
            "message": error.get("message"),
            "exception": [v["type"] for v in error.get("exception", {}).get("values", [])],
            "trace_id": error["contexts"]["trace"]["trace_id"],
            "environment": error.get("environment"),
            "release": error.get("release"),
            "url": error.get("request", {}).get("url"),
            "breadcrumbs": [
                [b.get("category"), b.get("message")] for b in error["breadcrumbs"]["values"]
            ],
        },
    }


def serve_requests(client: Any) -> dict[str, Any]:
    """Answers a few requests in-process and reports the envelopes Sentry would send."""
    from django.core.management import call_command

    sent: list[dict[str, Any]] = []
    if client.is_active():
        client.transport.capture_envelope = lambda envelope: sent.append(
            describe_envelope(envelope)
        )
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    # Imported only now: WhiteNoise indexes the static files when the app is built.
    from django_sentry_deploy.wsgi import application

    bodies: dict[str, str] = {}

    def get(path: str, host: str = "testserver", **headers: str) -> int:
        """One GET through the WSGI application, as Gunicorn would call it."""
        environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_HOST": host, **headers}
        wsgiref.util.setup_testing_defaults(environ)
        status: list[str] = []
        body = application(environ, lambda s, headers, exc_info=None: status.append(s))
        bodies[path] = b"".join(body).decode(errors="replace")
        if hasattr(body, "close"):  # PEP 3333: the server closes what has a close()
            body.close()
        return int(status[0].split()[0])

    statuses = {path: get(path) for path in ("/healthz", "/readyz", "/", "/version")}
    version = json.loads(bodies["/version"]) if statuses["/version"] == 200 else None
    statuses["/healthz again"] = get("/healthz")
    statuses["/healthz, unknown host"] = get("/healthz", host="10.1.2.3:8000")
    statuses["/, unknown host"] = get("/", host="10.1.2.3:8000")
    statuses["/, forwarded https"] = get("/", HTTP_X_FORWARDED_PROTO="https")
    statuses["/sentry-debug/"] = get("/sentry-debug/")
    statuses["/sentry-debug/ again"] = get("/sentry-debug/")
    statuses["/sentry-debug/, traced caller"] = get(
        "/sentry-debug/", HTTP_SENTRY_TRACE=CALLER_TRACE
    )
    # A log line becomes a breadcrumb of the next event (outside a request here).
    logging.getLogger("pages").warning("probe breadcrumb")
    sentry_sdk.capture_message("probe message")
    sentry_sdk.flush(timeout=2)
    return {
        "statuses": statuses,
        "version": version,
        "envelopes": [e for e in sent if "client_report" not in e["types"]],
    }


if __name__ == "__main__":
    main(sys.argv[1])

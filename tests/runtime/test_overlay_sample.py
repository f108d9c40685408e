"""The overlay over the sample project: what reaches sentry_sdk.init, LOGGING, requests
through the WSGI application, and start-up errors.

Settings are module-level code, so each case imports them in a fresh interpreter
(settings_probe.py) with a controlled environment and `-W error`: any warning at
start-up, deprecation warnings included, fails the test.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from runtimeprocess import django_admin, run_python

PROBE = Path(__file__).with_name("settings_probe.py")
# The `sentry-trace` header settings_probe.py sends as an upstream service would.
CALLER_TRACE = "771a43a4192642f0b136d5159a501700-b2fb4a6c3ae8e4d1-1"

DSN = "http://0123456789abcdef@127.0.0.1:9/4501"
LEGACY_DSN = "http://fedcba9876543210@127.0.0.1:9/4502"
SECRET = "s3cr3t-value-that-must-never-be-printed-0123456789abcdefghijkl"

# The seed document's LOGGING, with DJANGO_LOG_LEVEL at its default.
SEED_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

SEED_INTEGRATION = {
    "class": "DjangoIntegration",
    "transaction_style": "url",
    "middleware_spans": True,
    "signals_spans": False,
    "cache_spans": False,
}

# The SDK's default logging integration, without the handler for Sentry Logs (not enabled).
LOGGING_INTEGRATION = {
    "class": "LoggingIntegration",
    "breadcrumbs": "INFO",
    "events": "ERROR",
    "sentry_logs": None,
}


def run_probe(mode: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_python(
        ["-W", "error", str(PROBE), mode], {"DJANGO_SECRET_KEY": SECRET, **env}, tmp_path
    )


def probe(mode: str, env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    proc = run_probe(mode, env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    if mode != "requests":  # requests log their errors (the debug view's traceback)
        assert proc.stderr == "", proc.stderr
    return json.loads(proc.stdout)


def only_init_call(result: dict[str, Any]) -> dict[str, Any]:
    assert len(result["init_calls"]) == 1
    return result["init_calls"][0]


def test_init_defaults_are_the_seeds(tmp_path: Path) -> None:
    kwargs = only_init_call(probe("record", {"SENTRY_DSN": DSN}, tmp_path))

    assert kwargs["dsn"] == DSN
    assert kwargs["traces_sample_rate"] == 1.0
    # profiles_sample_rate=1.0 (deprecated) becomes continuous profiling of every trace.
    assert kwargs["profile_session_sample_rate"] == 1.0
    assert kwargs["profile_lifecycle"] == "trace"
    assert kwargs["integrations"] == [SEED_INTEGRATION, LOGGING_INTEGRATION]
    assert kwargs["environment"] == "production"
    assert kwargs["release"] is None
    # send_default_pii=False, expressed as the SDK's current option.
    assert kwargs["data_collection"]["user_info"] is False
    assert kwargs["data_collection"]["database_query_data"] is False
    assert kwargs["transport"] == "django_sentry_deploy.sentry.transport.PriorityTransport"
    # Deprecated options are not passed at all (their behaviour is covered above).
    for deprecated in ("enable_tracing", "profiles_sample_rate", "send_default_pii"):
        assert deprecated not in kwargs


def test_health_check_is_never_sampled(tmp_path: Path) -> None:
    kwargs = only_init_call(probe("record", {"SENTRY_DSN": DSN}, tmp_path))

    assert kwargs["traces_sampler"] == {
        "health": 0.0,
        "health_with_sampled_parent": 0.0,
        "page": 1.0,
        "page_with_unsampled_parent": 0.0,
    }


@pytest.mark.parametrize(
    ("variable", "value", "option", "expected"),
    [
        ("SENTRY_TRACES_SAMPLE_RATE", "0.25", "traces_sample_rate", 0.25),
        ("SENTRY_PROFILES_SAMPLE_RATE", "0.5", "profile_session_sample_rate", 0.5),
        ("SENTRY_PROFILES_SAMPLE_RATE", "0", "profile_session_sample_rate", 0.0),
        ("SENTRY_ENVIRONMENT", "staging", "environment", "staging"),
        ("SENTRY_RELEASE", "web@1.2.3", "release", "web@1.2.3"),
        ("SENTRY_TRANSPORT_QUEUE_SIZE", "500", "transport_queue_size", 500),
    ],
)
def test_each_option_follows_its_variable(
    tmp_path: Path, variable: str, value: str, option: str, expected: object
) -> None:
    kwargs = only_init_call(probe("record", {"SENTRY_DSN": DSN, variable: value}, tmp_path))

    assert kwargs[option] == expected
    if variable == "SENTRY_TRACES_SAMPLE_RATE":
        assert kwargs["traces_sampler"]["page"] == expected
        assert kwargs["traces_sampler"]["health"] == 0.0


def test_zero_traces_rate_turns_tracing_off(tmp_path: Path) -> None:
    env = {"SENTRY_DSN": DSN, "SENTRY_TRACES_SAMPLE_RATE": "0"}
    kwargs = only_init_call(probe("record", env, tmp_path))

    assert kwargs["traces_sample_rate"] is None
    assert kwargs["traces_sampler"] is None


def test_real_init_starts_without_warnings(tmp_path: Path) -> None:
    env = {"SENTRY_DSN": DSN, "SENTRY_RELEASE": "web@2.0.0", "SENTRY_ENVIRONMENT": "test"}
    client = probe("real", env, tmp_path)["client"]

    assert client == {
        "traces_sample_rate": 1.0,
        "profile_session_sample_rate": 1.0,
        "profile_lifecycle": "trace",
        "profiles_sample_rate": None,
        "enable_tracing": None,
        "environment": "test",
        "release": "web@2.0.0",
        "should_send_default_pii": False,
        "user_info": False,
        "transport": "PriorityTransport",
        "sessions_flush_seconds": 10,
    }


def test_legacy_dsn_is_used_when_sentry_dsn_is_absent(tmp_path: Path) -> None:
    assert only_init_call(probe("record", {"DSN": LEGACY_DSN}, tmp_path))["dsn"] == LEGACY_DSN


def test_sentry_dsn_wins_over_legacy_dsn(tmp_path: Path) -> None:
    env = {"SENTRY_DSN": DSN, "DSN": LEGACY_DSN}
    assert only_init_call(probe("record", env, tmp_path))["dsn"] == DSN


def test_env_file_with_legacy_dsn_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text(f"DSN={LEGACY_DSN}\nSENTRY_ENVIRONMENT=from-file\n")
    env = {"DJANGO_ENV_FILE": str(env_file), "SENTRY_ENVIRONMENT": "from-process"}
    kwargs = only_init_call(probe("record", env, tmp_path))

    assert kwargs["dsn"] == LEGACY_DSN
    assert kwargs["environment"] == "from-process"


def test_no_dsn_means_sentry_off_and_the_app_runs(tmp_path: Path) -> None:
    env = {"DJANGO_ALLOWED_HOSTS": "testserver", "SENTRY_DEBUG_VIEW": "1"}
    result = probe("requests", env, tmp_path)

    assert result["init_calls"] == []
    assert result["client_active"] is False
    assert result["requests"]["statuses"] == {
        "/healthz": 200,
        "/readyz": 200,
        "/": 200,
        "/version": 200,
        "/healthz again": 200,
        "/healthz, unknown host": 200,
        "/, unknown host": 400,
        "/, forwarded https": 200,
        "/sentry-debug/": 500,
        "/sentry-debug/ again": 500,
        "/sentry-debug/, traced caller": 500,
    }


def test_requests_send_transactions_except_for_the_health_checks(tmp_path: Path) -> None:
    env = {"SENTRY_DSN": DSN, "DJANGO_ALLOWED_HOSTS": "testserver", "SENTRY_DEBUG_VIEW": "1"}
    sent = probe("requests", env, tmp_path)["requests"]["envelopes"]

    transactions = [e for e in sent if e["types"] == ["transaction"]]
    errors = [e for e in sent if "event" in e["types"] and e["error"]["exception"]]
    assert {t["transaction"] for t in transactions} == {"/", "/sentry-debug/", "/version"}
    assert len(errors) == 3  # the debug view, called three times
    # The seed's middleware spans, database and template spans are all in a traced request.
    page = next(t for t in transactions if t["transaction"] == "/")
    assert {"middleware.django", "db", "template.render"} <= set(page["span_ops"])


def test_errors_only_reports_full_errors_without_transactions(tmp_path: Path) -> None:
    env = {
        "SENTRY_DSN": DSN,
        "SENTRY_TRACES_SAMPLE_RATE": "0",
        "SENTRY_RELEASE": "web@3.0.0",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "SENTRY_DEBUG_VIEW": "1",
    }
    sent = probe("requests", env, tmp_path)["requests"]["envelopes"]

    assert [e["types"] for e in sent] == [["event"]] * 4 + [["sessions"]]
    *errors, message = (e["error"] for e in sent[:4])
    for error in errors:
        assert error["transaction"] == "/sentry-debug/"
        assert error["exception"] == ["ZeroDivisionError"]
        assert (error["environment"], error["release"]) == ("production", "web@3.0.0")
        assert error["url"] == "http://testserver/sentry-debug/"
    # One trace per request, or the caller's when it sends one.
    first, again, traced_caller = (e["trace_id"] for e in errors)
    assert first != again
    assert traced_caller == CALLER_TRACE.split("-")[0]
    # Log lines still become breadcrumbs.
    assert message["message"] == "probe message"
    assert ["pages", "probe breadcrumb"] in message["breadcrumbs"]
    # /readyz ran its queries in a scope of its own, outside any request.
    assert ["query", "SELECT 1"] not in message["breadcrumbs"]


def test_version_answers_the_release_else_the_image_version(tmp_path: Path) -> None:
    env = {"DJANGO_ALLOWED_HOSTS": "testserver", "APP_VERSION": "1.4.2"}
    assert probe("requests", env, tmp_path)["requests"]["version"] == {"release": "1.4.2"}
    env["SENTRY_RELEASE"] = "web@1.4.2-rc1"
    assert probe("requests", env, tmp_path)["requests"]["version"] == {"release": "web@1.4.2-rc1"}


def test_debug_view_is_not_routed_by_default(tmp_path: Path) -> None:
    result = probe("requests", {"DJANGO_ALLOWED_HOSTS": "testserver"}, tmp_path)
    assert result["requests"]["statuses"]["/sentry-debug/"] == 404
    assert result["settings"]["ROOT_URLCONF"] == "config.urls"


def test_debug_view_goes_in_front_of_the_samples_urls(tmp_path: Path) -> None:
    assert probe("record", {"SENTRY_DEBUG_VIEW": "1"}, tmp_path)["settings"]["ROOT_URLCONF"] == (
        "django_sentry_deploy.urls"
    )


def test_logging_is_the_seeds(tmp_path: Path) -> None:
    result = probe("record", {}, tmp_path)

    assert result["logging"] == SEED_LOGGING
    assert result["django_logger_level"] == 20


def test_django_log_level_comes_from_the_environment(tmp_path: Path) -> None:
    result = probe("record", {"DJANGO_LOG_LEVEL": "DEBUG"}, tmp_path)

    expected = json.loads(json.dumps(SEED_LOGGING))
    expected["loggers"]["django"]["level"] = "DEBUG"
    assert result["logging"] == expected
    assert result["django_logger_level"] == 10


def test_defaults_are_production_safe(tmp_path: Path) -> None:
    result = probe("record", {}, tmp_path)

    assert result["debug"] is False
    assert result["allowed_hosts"] == ["localhost", "127.0.0.1", "[::1]"]
    assert result["settings"] == {
        "SECRET_KEY": SECRET,
        "INSTALLED_APPS": ["django.contrib.staticfiles", "pages", "django_sentry_deploy"],
        "ROOT_URLCONF": "config.urls",
    }
    assert result["database"] == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "db.sqlite3"),
    }


def assert_one_line_error(proc: subprocess.CompletedProcess[str], variable: str) -> str:
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("configuration error: ")
    assert variable in lines[0]
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SENTRY_DSN", "not-a-dsn"),
        ("SENTRY_DSN", "http://127.0.0.1:9/4501"),
        ("SENTRY_DSN", "http://0123456789abcdef@127.0.0.1:9/project"),
        ("SENTRY_DSN", "ftp://0123456789abcdef@127.0.0.1/4501"),
        ("SENTRY_DSN", "http://0123456789abcdef@127.0.0.1:port/4501"),
        ("DSN", "http://0123456789abcdef@/4501"),
    ],
)
def test_invalid_dsn_stops_startup_with_one_line(tmp_path: Path, variable: str, value: str) -> None:
    line = assert_one_line_error(run_probe("record", {variable: value}, tmp_path), variable)
    assert "0123456789abcdef" not in line
    assert "valid Sentry DSN" in line


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"SENTRY_TRACES_SAMPLE_RATE": "1.5"}, "SENTRY_TRACES_SAMPLE_RATE"),
        ({"SENTRY_PROFILES_SAMPLE_RATE": "all"}, "SENTRY_PROFILES_SAMPLE_RATE"),
        ({"SENTRY_TRANSPORT_QUEUE_SIZE": "0"}, "SENTRY_TRANSPORT_QUEUE_SIZE"),
        ({"SENTRY_TRACES_MAX_PER_SECOND": "many"}, "SENTRY_TRACES_MAX_PER_SECOND"),
        ({"DJANGO_LOG_LEVEL": "LOUD"}, "DJANGO_LOG_LEVEL"),
        ({"DATABASE_URL": f"postgres://app:{SECRET}@db:notaport/app"}, "DATABASE_URL"),
        ({"DATABASE_URL": f"nosuchdb://app:{SECRET}@db/app"}, "DATABASE_URL"),
    ],
)
def test_bad_settings_stop_startup_with_one_line(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    proc = run_probe("record", env, tmp_path)

    assert_one_line_error(proc, variable)
    assert SECRET not in proc.stderr


# A DSN pasted without its scheme: `<key>:` parses as a URL scheme.
UNSCHEMED_KEY = "abcdef0123456789abcdef0123456789"


@pytest.mark.parametrize("variable", ["SENTRY_DSN", "DSN"])
@pytest.mark.parametrize(
    "value",
    [
        f"{UNSCHEMED_KEY}:legacy-secret@sentry.example.com/4501",
        f"{UNSCHEMED_KEY}@sentry.example.com/4501",
        f"//{UNSCHEMED_KEY}@sentry.example.com/4501",
    ],
)
def test_dsn_without_scheme_is_reported_without_any_part_of_it(
    tmp_path: Path, variable: str, value: str
) -> None:
    proc = run_probe("record", {variable: value}, tmp_path)

    line = assert_one_line_error(proc, variable)
    assert line.startswith(f"configuration error: {variable} is not a valid Sentry DSN (")
    assert "scheme must be http or https" in line
    for part in (UNSCHEMED_KEY, "legacy-secret", "sentry.example.com", "4501"):
        assert part not in proc.stderr.lower()


DB_USER = "dbuserwithsecretname"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"mysql://{DB_USER}:{SECRET}@db/app", "driver that is not installed"),
        (f"postgres://{DB_USER}:{SECRET}@[db/app", "cannot be parsed"),
        (f"{DB_USER}:{SECRET}@db/app", "unsupported scheme"),
        (f"postgres://{DB_USER}:{SECRET}@db:5432/", "names no database"),
        (f"postgres://{DB_USER}:{SECRET}@db/app?conn_max_age=soon", "conn_max_age"),
        (f"postgres://{DB_USER}:{SECRET}@db:99999/app", "not a valid database URL"),
    ],
)
def test_bad_database_url_is_one_line_without_its_value(
    tmp_path: Path, url: str, reason: str
) -> None:
    proc = run_probe("record", {"DATABASE_URL": url}, tmp_path)

    line = assert_one_line_error(proc, "DATABASE_URL")
    assert reason in line
    assert SECRET not in proc.stderr
    assert DB_USER not in proc.stderr.lower()


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_urls_use_the_postgresql_backend(tmp_path: Path, scheme: str) -> None:
    result = probe("record", {"DATABASE_URL": f"{scheme}://user:pw@host:5432/db"}, tmp_path)

    assert result["database"] == {"ENGINE": "django.db.backends.postgresql", "NAME": "db"}


def test_an_unreachable_ingest_gets_one_error_event_not_a_loop(tmp_path: Path) -> None:
    # Each loss is logged at ERROR; as an event of its own it would be lost in turn.
    proc = run_probe("unreachable", {"SENTRY_DSN": DSN}, tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["error_envelopes"] == 1
    # The event, then the lane's client report about it (sent at most once a minute).
    assert proc.stderr.count("Sentry error event lost") <= 2


HTTPS_OFF = {
    "SECURE_PROXY_SSL_HEADER": None,
    "SECURE_SSL_REDIRECT": False,
    "SESSION_COOKIE_SECURE": False,
    "CSRF_COOKIE_SECURE": False,
    "SECURE_HSTS_SECONDS": 0,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
    "SECURE_HSTS_PRELOAD": False,
    "CSRF_TRUSTED_ORIGINS": [],
}
HTTPS_ON = {
    "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "CSRF_TRUSTED_ORIGINS": [],
}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, HTTPS_OFF),
        # The HSTS variables only matter behind HTTPS.
        ({"DJANGO_SECURE_HSTS_SECONDS": "60"}, HTTPS_OFF),
        ({"DJANGO_HTTPS": "1"}, HTTPS_ON),
        (
            {
                "DJANGO_HTTPS": "true",
                "DJANGO_SECURE_HSTS_SECONDS": "3600",
                "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "0",
                "DJANGO_SECURE_HSTS_PRELOAD": "off",
                "DJANGO_CSRF_TRUSTED_ORIGINS": "https://example.com, https://*.example.org",
            },
            {
                **HTTPS_ON,
                "SECURE_HSTS_SECONDS": 3600,
                "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
                "SECURE_HSTS_PRELOAD": False,
                "CSRF_TRUSTED_ORIGINS": ["https://example.com", "https://*.example.org"],
            },
        ),
    ],
)
def test_https_settings_follow_their_variables(
    tmp_path: Path, env: dict[str, str], expected: dict[str, Any]
) -> None:
    assert probe("record", env, tmp_path)["security"] == expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_HTTPS", "maybe"),
        ("DJANGO_SECURE_HSTS_SECONDS", "-1"),
        ("DJANGO_SECURE_HSTS_PRELOAD", "2"),
        ("DJANGO_CSRF_TRUSTED_ORIGINS", "example.com"),
    ],
)
def test_bad_https_settings_stop_startup_with_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    assert_one_line_error(run_probe("record", {variable: value}, tmp_path), variable)


def test_behind_https_only_the_health_check_answers_plain_http(tmp_path: Path) -> None:
    env = {"DJANGO_HTTPS": "1", "DJANGO_ALLOWED_HOSTS": "testserver"}
    statuses = probe("requests", env, tmp_path)["requests"]["statuses"]

    assert statuses["/healthz"] == 200
    assert statuses["/"] == 301  # to https://
    assert statuses["/, forwarded https"] == 200


def run_deploy_check(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {
        "DJANGO_SECRET_KEY": SECRET,  # 50+ characters, 5+ different ones
        "DJANGO_ALLOWED_HOSTS": "app.example.com",
    }
    args = ["check", "--deploy", "--fail-level", "WARNING"]
    return django_admin(args, {**base, **env}, tmp_path)


def test_https_behind_a_proxy_passes_the_deploy_check(tmp_path: Path) -> None:
    proc = run_deploy_check({"DJANGO_HTTPS": "1"}, tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert "System check identified no issues" in proc.stdout


def test_without_https_the_deploy_check_warns(tmp_path: Path) -> None:
    proc = run_deploy_check({}, tmp_path)

    assert proc.returncode == 1
    for warning in ("security.W004", "security.W008"):
        assert warning in proc.stderr


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_secret_key_is_one_line(tmp_path: Path, value: str | None) -> None:
    # The sample's own settings fall back to an insecure key: the overlay never does.
    env = {"DJANGO_DEBUG": "1"} if value is None else {"DJANGO_SECRET_KEY": value}
    proc = run_python(["-W", "error", str(PROBE), "record"], env, tmp_path)

    line = assert_one_line_error(proc, "DJANGO_SECRET_KEY")
    assert line == "configuration error: DJANGO_SECRET_KEY is required"


def test_debug_is_off_whatever_the_sample_reads(tmp_path: Path) -> None:
    # The sample turns DEBUG on for runserver (DJANGO_DEBUG=1 by default).
    assert probe("record", {"DJANGO_DEBUG": "1"}, tmp_path)["debug"] is False

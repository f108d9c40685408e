"""The app image, run as in production, reporting to the Sentry stand-in's ingest.

The stand-in listens on the Docker bridge gateway (the host's address as seen from
containers) so the container reaches it by the DSN; the app is published on 127.0.0.1.
Needs a Docker engine and the base image (`make images`); the app image is built once
and reused while app/ and docker/ are unchanged.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import appimage
import pytest

from module_utils.readiness import wait_ready

pytestmark = pytest.mark.docker

SECRET_KEY = "test-only-9f8e7d6c5b4a39281706f5e4d3c2b1a0-secret-key-value"
PROJECT_ID = "4501"
PUBLIC_KEY = "0a1b2c3d4e5f40718293a4b5c6d74501"  # the stand-in's seeded key for `web`
RELEASE = "web@0.0.0-test"
ENVIRONMENT = "integration"


@pytest.fixture(scope="session")
def app_image() -> str:
    if not appimage.docker_available():
        # `make test` sets REQUIRE_DOCKER=1: there a missing engine is a failure, not a skip.
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail("no Docker engine answers (REQUIRE_DOCKER=1)")
        pytest.skip("no Docker engine")
    return appimage.ensure_image()


@pytest.fixture(scope="session")
def gateway() -> str:
    return appimage.bridge_gateway()


def app_env(ingest_url: str, **extra: str) -> dict[str, str]:
    host_port = ingest_url.split("://", 1)[1]
    return {
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "SENTRY_DSN": f"http://{PUBLIC_KEY}@{host_port}/{PROJECT_ID}",
        "SENTRY_ENVIRONMENT": ENVIRONMENT,
        "SENTRY_RELEASE": RELEASE,
        "SENTRY_DEBUG_VIEW": "1",
        "GUNICORN_WORKERS": "3",
        **extra,
    }


@pytest.fixture
def standin_on_bridge(make_sentry_standin: Callable[..., Any], gateway: str) -> Callable[..., Any]:
    def start(**options: Any) -> Any:
        return make_sentry_standin(host=gateway, **options)

    return start


def wait_for(predicate: Callable[[], Any], deadline_s: float, what: str) -> Any:
    deadline = time.monotonic() + deadline_s
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def items(standin: Any, kind: str) -> list[dict[str, Any]]:
    return [e for e in standin.events() if e["type"] == kind]


def test_image_has_no_secrets_compiler_or_root_user(app_image: str) -> None:
    config = appimage.json.loads(appimage.docker("image", "inspect", app_image))[0]["Config"]
    assert config["User"] == "app:app"
    assert config["Healthcheck"]["Test"] == ["CMD", "entrypoint", "healthcheck"]
    assert config["Labels"]["org.opencontainers.image.version"] == "0.0.0-test"
    assert config["Labels"]["org.opencontainers.image.revision"]
    env_names = {entry.split("=", 1)[0] for entry in config["Env"]}
    assert not env_names & {"DJANGO_SECRET_KEY", "SENTRY_DSN", "DSN", "BUILD_CA_CERTS"}

    history = appimage.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", app_image)
    for marker in ("SECRET_KEY=", "SENTRY_DSN", "BEGIN CERTIFICATE", "BUILD_CA_CERTS"):
        assert marker not in history

    tools = appimage.docker(
        "run", "--rm", "--entrypoint", "sh", app_image, "-c",
        "for t in gcc cc c++ make pip; do command -v $t || true; done",
    )  # fmt: skip
    assert tools == ""


def test_hardened_container_reports_one_error_and_no_health_transactions(
    app_image: str, standin_on_bridge: Callable[..., Any], tmp_path: Path
) -> None:
    standin = standin_on_bridge()
    with appimage.run_app(app_image, app_env(standin.url), tmp_path) as app:
        appimage.wait_until_answering(app.url)
        host = app.inspect()["HostConfig"]
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"]
        assert "no-new-privileges" in host["SecurityOpt"]
        assert appimage.docker("exec", app.name, "id", "-u") == str(appimage.APP_UID)
        wait_for(lambda: app.health() == "healthy", 60, "the container to turn healthy")

        for _ in range(10):
            assert appimage.get(f"{app.url}/healthz") == (200, b"ok\n")
        status, page = appimage.get(f"{app.url}/")
        assert status == 200 and b"Announcements" in page
        css = page.split(b'href="', 2)[1].split(b'"', 1)[0].decode()
        assert css.startswith("/static/pages/site.") and appimage.get(app.url + css)[0] == 200

        status, _ = appimage.get(
            f"{app.url}/sentry-debug/?token=query-secret&page=2",
            headers={
                "Cookie": "sessionid=cookie-secret",
                "Authorization": "Bearer header-secret",
                "X-Forwarded-For": "203.0.113.7",
            },
        )
        assert status == 500
        wait_for(lambda: len(items(standin, "transaction")) >= 2, 30, "transactions")
        time.sleep(2)  # anything sent late (a duplicate event) would land by now

        errors = items(standin, "event")
        assert len(errors) == 1
        event = errors[0]["payload"]
        assert errors[0]["project_id"] == PROJECT_ID
        assert [v["type"] for v in event["exception"]["values"]] == ["ZeroDivisionError"]
        assert event["transaction"] == "/sentry-debug/"
        assert event["environment"] == ENVIRONMENT
        assert event["release"] == RELEASE
        raw = appimage.json.dumps(event)
        for pii in ("cookie-secret", "header-secret", "query-secret", "203.0.113.7"):
            assert pii not in raw
        assert "ip_address" not in event.get("user", {})

        names = {t["payload"]["transaction"] for t in items(standin, "transaction")}
        assert "/" in names and "/sentry-debug/" in names
        assert "/healthz" not in names
        for t in items(standin, "transaction"):
            assert "/healthz" not in t["payload"]["request"]["url"]

        logs = app.logs()
        assert SECRET_KEY not in logs and PUBLIC_KEY not in logs


@pytest.fixture
def hanging_ingest(gateway: str) -> Iterator[str]:
    """A port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind((gateway, 0))
    listener.listen(64)
    try:
        yield f"http://{gateway}:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.mark.parametrize("ingest", ["stopped", "hanging"])
def test_requests_do_not_wait_for_an_unavailable_ingest(
    app_image: str,
    standin_on_bridge: Callable[..., Any],
    hanging_ingest: str,
    tmp_path: Path,
    ingest: str,
) -> None:
    if ingest == "stopped":
        standin = standin_on_bridge()
        url = standin.url
        standin.stop()
    else:
        url = hanging_ingest
    with appimage.run_app(app_image, app_env(url), tmp_path) as app:
        appimage.wait_until_answering(app.url)
        # Every request must finish well inside the client timeout: a request that
        # waited on the SDK's HTTP timeout (30 s) would fail here.
        took = []
        for path, expected in [("/", 200), ("/sentry-debug/", 500)] * 10:
            start = time.monotonic()
            assert appimage.get(app.url + path, timeout=5)[0] == expected
            took.append((time.monotonic() - start) * 1000)
        took.sort()
        print(f"ingest {ingest}: 20 requests, median {took[10]:.0f} ms, slowest {took[-1]:.0f} ms")


def test_every_error_arrives_under_load_with_a_slow_ingest(
    app_image: str, standin_on_bridge: Callable[..., Any], tmp_path: Path
) -> None:
    standin = standin_on_bridge(ingest_delay_ms=50)
    errors_wanted = 50
    with appimage.run_app(app_image, app_env(standin.url), tmp_path) as app:
        appimage.wait_until_answering(app.url)
        stop = threading.Event()
        served = [0] * 8

        def load(slot: int) -> None:
            deadline = time.monotonic() + 30  # bounded even if `stop` is never set
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    appimage.get(f"{app.url}/", timeout=10)
                    served[slot] += 1
                except OSError:
                    pass

        workers = [threading.Thread(target=load, args=(i,)) for i in range(len(served))]
        for worker in workers:
            worker.start()
        try:
            for _ in range(errors_wanted):
                assert appimage.get(f"{app.url}/sentry-debug/", timeout=10)[0] == 500
                time.sleep(0.05)
        finally:
            stop.set()
            for worker in workers:
                worker.join()

        def all_errors() -> bool:
            return len(items(standin, "event")) >= errors_wanted

        wait_for(all_errors, 60, f"{errors_wanted} error events")
        time.sleep(1)
        errors = items(standin, "event")
        assert len(errors) == errors_wanted
        assert len({e["event_id"] for e in errors}) == errors_wanted
        transactions = len(items(standin, "transaction"))
        shed = [line for line in app.logs().splitlines() if "Sentry shed" in line]
        print(
            f"load: {sum(served)} page requests, {transactions} transactions received, "
            f"shed log lines: {shed}"
        )


def test_version_is_the_release_else_the_image_version(app_image: str, tmp_path: Path) -> None:
    env = {"DJANGO_SECRET_KEY": SECRET_KEY}
    for extra, expected in [({"SENTRY_RELEASE": RELEASE}, RELEASE), ({}, "0.0.0-test")]:
        with appimage.run_app(app_image, {**env, **extra}, tmp_path) as app:
            appimage.wait_until_answering(app.url)
            status, body = appimage.get(f"{app.url}/version")
            assert (status, appimage.json.loads(body)) == (200, {"release": expected})


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_urls_load_the_bundled_driver(app_image: str, tmp_path: Path, scheme: str) -> None:
    env = {"DJANGO_SECRET_KEY": SECRET_KEY, "DATABASE_URL": f"{scheme}://user:pw@host:5432/db"}
    script = (
        "from django.db import connection as c; import psycopg; "
        "print(c.settings_dict['ENGINE'], c.Database.__name__, psycopg.pq.__impl__)"
    )
    proc = appimage.run_once(app_image, env, tmp_path, "manage", "shell", "-c", script)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "django.db.backends.postgresql psycopg binary"


def test_a_database_url_without_its_driver_is_one_line(app_image: str, tmp_path: Path) -> None:
    env = {"DJANGO_SECRET_KEY": SECRET_KEY, "DATABASE_URL": "mysql://user:pw-secret@db/app"}
    proc = appimage.run_once(app_image, env, tmp_path, "migrate")

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "configuration error: DATABASE_URL needs a database driver that is not installed "
        "(backend django.db.backends.mysql)"
    ]


@pytest.fixture
def data_volume() -> Iterator[str]:
    name = f"dsd-apptest-data-{os.urandom(4).hex()}"
    appimage.docker("volume", "create", name)
    try:
        yield name
    finally:
        appimage.docker("volume", "rm", "--force", name, check=False)


def test_one_off_migrate_then_serving_containers_skip_migrations(
    app_image: str, data_volume: str, tmp_path: Path
) -> None:
    env = {"DJANGO_SECRET_KEY": SECRET_KEY, "DJANGO_MIGRATE_ON_START": "0"}
    # Not migrated yet, and the serving container does not migrate: the page has no table.
    with appimage.run_app(app_image, env, tmp_path, data_volume=data_volume) as app:
        appimage.wait_until_answering(app.url)
        assert appimage.get(f"{app.url}/")[0] == 500
        assert "Applying" not in app.logs()

    # The deploy's one-off container, read-only root filesystem, on the data volume.
    proc = appimage.run_once(app_image, env, tmp_path, "migrate", data_volume=data_volume)
    assert proc.returncode == 0, proc.stderr
    assert "Applying pages.0001_initial... OK" in proc.stdout

    with appimage.run_app(app_image, env, tmp_path, data_volume=data_volume) as app:
        appimage.wait_until_answering(app.url)
        status, page = appimage.get(f"{app.url}/")
        assert status == 200 and b"Announcements" in page
        assert "Operations to perform" not in app.logs()


def test_an_invalid_migrate_on_start_stops_with_one_line(app_image: str, tmp_path: Path) -> None:
    env = {"DJANGO_SECRET_KEY": SECRET_KEY, "DJANGO_MIGRATE_ON_START": "sometimes"}
    proc = appimage.run_once(app_image, env, tmp_path, "serve")

    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("configuration error: DJANGO_MIGRATE_ON_START is invalid")


def test_behind_https_the_health_check_stays_plain_http(app_image: str, tmp_path: Path) -> None:
    env = {
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_HTTPS": "1",
        "DJANGO_ALLOWED_HOSTS": "app.example.com,127.0.0.1",
    }
    with appimage.run_app(app_image, env, tmp_path) as app:
        # The image's HEALTHCHECK calls http://127.0.0.1:8000/healthz inside the container.
        wait_for(lambda: app.health() == "healthy", 60, "the container to turn healthy")
        assert appimage.get(f"{app.url}/healthz") == (200, b"ok\n")

        request = appimage.urllib.request.Request(
            f"{app.url}/version", headers={"Host": "app.example.com"}
        )
        opener = appimage.urllib.request.build_opener(NoRedirect)
        with pytest.raises(appimage.urllib.error.HTTPError) as redirect:
            opener.open(request, timeout=10)
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"] == "https://app.example.com/version"

        # As the proxy forwards it: served, with HSTS.
        forwarded = {"Host": "app.example.com", "X-Forwarded-Proto": "https"}
        request = appimage.urllib.request.Request(f"{app.url}/version", headers=forwarded)
        with appimage.urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Strict-Transport-Security"] == (
                "max-age=31536000; includeSubDomains; preload"
            )


class NoRedirect(appimage.urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_sentry_test_event_from_the_container(
    app_image: str, standin_on_bridge: Callable[..., Any], tmp_path: Path
) -> None:
    standin = standin_on_bridge()
    with appimage.run_app(app_image, app_env(standin.url), tmp_path) as app:
        appimage.wait_until_answering(app.url)
        event_id = appimage.docker(
            "exec", app.name, "entrypoint", "manage", "sentry_test_event",
            "--tag", "rotation=r42", "--tag", "host=web1",
        )  # fmt: skip

    events = [e for e in items(standin, "event") if e["event_id"] == event_id]
    assert len(events) == 1
    assert events[0]["payload"]["tags"] == {"rotation": "r42", "host": "web1"}
    assert events[0]["payload"]["release"] == RELEASE


def test_the_readiness_check_waits_for_the_migrations_of_the_running_release(
    app_image: str, tmp_path: Path
) -> None:
    env = {
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "SENTRY_RELEASE": RELEASE,
        "DJANGO_MIGRATE_ON_START": "0",  # the one-off migrate container has not run yet
    }
    with appimage.run_app(app_image, env, tmp_path) as app:
        options = {
            "url": app.url, "host": "localhost", "release": RELEASE, "paths": ["/"],
            "timeout": 2, "interval": 0.2, "container": app.name,
            "docker_socket": "/var/run/docker.sock",
        }  # fmt: skip
        appimage.wait_until_answering(app.url)
        progress, failure = wait_ready(options)
        assert failure is not None and "readiness check migrations failed: " in failure
        assert progress.ready is not None
        assert progress.ready["checks"]["database"] == "ok"
        assert progress.ready["release"] == RELEASE

        appimage.docker("exec", app.name, "entrypoint", "migrate")
        progress, failure = wait_ready(options)
        assert failure is None
        checks = ("host", "urls", "database", "migrations")
        assert progress.ready["checks"] == dict.fromkeys(checks, "ok")
        assert progress.ready["container"] == app.inspect()["Config"]["Hostname"]
        assert progress.paths == {"/": 200}

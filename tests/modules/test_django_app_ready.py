"""django_app_ready against a real HTTP server standing in for the app behind the proxy,
and a Docker Engine API stand-in on a unix socket."""

from __future__ import annotations

import json
import socket
import socketserver
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sentry_harness import run_module

HOST = "www.example.com"
NEW = "web@new"
OLD = "web@old"
ALL_OK = {"host": "ok", "urls": "ok", "database": "ok", "migrations": "ok"}


def readyz(release: str = NEW, status: int = 200, **failing: str) -> tuple[int, dict[str, Any]]:
    checks = {**ALL_OK, **failing}
    body = {"ready": status == 200, "release": release, "container": f"{release}-box",
            "checks": checks}
    return status, body


class Handler(BaseHTTPRequestHandler):
    server: Any

    def do_GET(self) -> None:
        status, body, headers = self.server.answer(self.path, self.headers.get("Host"))
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        """Quiet; a unix socket's client has no address to log anyway."""


class App(ThreadingHTTPServer):
    """The candidate behind the proxy: /readyz answers `readyz` in turn (the last one
    repeats), pages answer `pages`."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.readyz: list[tuple[int, Any]] = [readyz()]
        self.pages: dict[str, int] = {"/": 200}
        self.seen: list[tuple[str, str | None]] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, path: str, host: str | None) -> tuple[int, Any, dict[str, str]]:
        self.seen.append((path, host))
        if path == "/readyz":
            status, body = self.readyz.pop(0) if len(self.readyz) > 1 else self.readyz[0]
            return status, body, {"Content-Type": "application/json"}
        status = self.pages.get(path, 404)
        return status, b"page", {"Location": "/login/"} if 300 <= status < 400 else {}


class Docker(socketserver.ThreadingUnixStreamServer):
    """GET /containers/{name}/json answers `containers[name]`, else 404."""

    def __init__(self, path: str) -> None:
        super().__init__(path, Handler)
        self.containers: dict[str, dict[str, Any]] = {}
        self.seen: list[str] = []

    def answer(self, path: str, host: str | None) -> tuple[int, Any, dict[str, str]]:
        self.seen.append(path)
        name = path.removeprefix("/containers/").removesuffix("/json")
        if name in self.containers:
            return 200, self.containers[name], {"Content-Type": "application/json"}
        return 404, {"message": f"No such container: {name}"}, {}


def serve(server: socketserver.BaseServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return thread


@pytest.fixture
def app() -> Iterator[App]:
    server = App()
    thread = serve(server)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def docker() -> Iterator[Docker]:
    # A short directory: a unix socket's path is limited to about 100 characters.
    with tempfile.TemporaryDirectory(prefix="docker-") as directory:
        server = Docker(str(Path(directory) / "docker.sock"))
        thread = serve(server)
        yield server
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def running(restarts: int = 0) -> dict[str, Any]:
    state = {"Status": "running", "Running": True, "Restarting": False, "ExitCode": 0}
    return {"State": state, "RestartCount": restarts}


def wait(app: App, **options: Any) -> dict[str, Any]:
    args = {"url": app.url, "host": HOST, "release": NEW, "timeout": 30, "interval": 0.01}
    return run_module("django_app_ready", {**args, **options})


def test_a_ready_candidate_passes_and_its_pages_are_fetched(app: App) -> None:
    app.pages = {"/": 200, "/account/": 302}
    result = wait(app, paths=["/", "/account/"])

    assert result.get("failed") is not True, result
    assert (result["changed"], result["attempts"]) == (False, 1)
    assert result["ready"] == readyz()[1]
    assert result["container"] == "web@new-box"
    assert result["paths"] == {"/": 200, "/account/": 302}
    # Every request carried the site's Host; the redirect was not followed.
    assert app.seen == [("/readyz", HOST), ("/", HOST), ("/account/", HOST)]


def test_it_waits_through_503_then_passes(app: App) -> None:
    unapplied = readyz(status=503, migrations="1 unapplied: shop.0002_item_price")
    app.readyz = [(503, b"<html>starting</html>"), unapplied, unapplied, readyz()]
    result = wait(app)

    assert result.get("failed") is not True, result
    assert result["attempts"] == 4
    assert result["paths"] == {"/": 200}


def test_another_release_is_not_ready_yet(app: App) -> None:
    app.readyz = [readyz(OLD), readyz(OLD), readyz()]
    result = wait(app)

    assert result.get("failed") is not True, result
    assert result["attempts"] == 3
    assert result["ready"]["release"] == NEW


def test_another_release_until_the_timeout_is_reported(app: App) -> None:
    app.readyz = [readyz(OLD)]
    result = wait(app, timeout=0.3, interval=0.05)

    assert result["failed"] is True
    first_line = result["msg"].splitlines()[0]
    assert first_line.startswith(
        "not ready after 0.3 s (django_app_health_timeout); if it only starts slowly, "
        "raise django_app_health_timeout. Last answer: GET /readyz answered release 'web@old'"
    )
    assert "not 'web@new': the proxy does not reach the candidate" in first_line
    assert result["attempts"] > 1
    assert ("/", HOST) not in app.seen


def test_a_refused_host_fails_at_once(app: App) -> None:
    refused = "DisallowedHost: Invalid HTTP_HOST header: 'www.example.com'."
    app.readyz = [(400, {"ready": False, "release": NEW, "container": "c",
                         "checks": {"host": refused}})]
    result = wait(app)

    assert result["failed"] is True
    assert result["msg"] == f"readiness check host failed: {refused}"
    assert result["attempts"] == 1


@pytest.mark.parametrize("status", [400, 500, 502])
def test_a_page_answering_400_or_5xx_fails(app: App, status: int) -> None:
    app.pages = {"/": status}
    result = wait(app)

    assert result["failed"] is True
    assert result["msg"] == f"GET / answered {status}"
    assert result["paths"] == {"/": status}


@pytest.mark.parametrize("status", [301, 401, 403, 404])
def test_a_page_answering_a_redirect_or_a_refusal_passes(app: App, status: int) -> None:
    app.pages = {"/": status}
    result = wait(app)

    assert result.get("failed") is not True, result
    assert result["paths"] == {"/": status}


def test_the_timeout_names_the_failing_check(app: App) -> None:
    app.readyz = [readyz(status=503, migrations="1 unapplied: shop.0002_item_price")]
    result = wait(app, timeout=0.3, interval=0.05)

    assert result["failed"] is True
    assert result["msg"] == (
        "not ready after 0.3 s (django_app_health_timeout); if it only starts slowly, raise "
        "django_app_health_timeout. Last answer: readiness check migrations failed: "
        "1 unapplied: shop.0002_item_price"
    )
    assert result["ready"]["checks"]["migrations"] == "1 unapplied: shop.0002_item_price"
    assert result["attempts"] > 1


def test_a_candidate_that_never_answers_times_out(app: App) -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = wait(app, url=f"http://127.0.0.1:{port}", timeout=0.3, interval=0.05)

    assert result["failed"] is True
    assert "Last answer: GET /readyz: [Errno 111] Connection refused" in result["msg"]
    assert result["ready"] is None


def test_an_urlconf_that_does_not_import_fails_at_once(app: App) -> None:
    app.readyz = [readyz(status=503, urls="ImportError: cannot import name 'views'")]
    result = wait(app)

    assert result["failed"] is True
    assert result["msg"] == "readiness check urls failed: ImportError: cannot import name 'views'"
    assert result["attempts"] == 1


def test_an_urlconf_failing_with_the_database_is_waited_for(app: App) -> None:
    down = readyz(status=503, urls="OperationalError: no such table", database="default: down")
    app.readyz = [down, down, readyz()]
    result = wait(app)

    assert result.get("failed") is not True, result
    assert result["attempts"] == 3


def test_the_container_state_is_read_at_every_attempt(app: App, docker: Docker) -> None:
    docker.containers["web-new"] = running()
    app.readyz = [readyz(status=503, database="default: down"), readyz()]
    result = wait(app, container="web-new", docker_socket=str(docker.server_address))

    assert result.get("failed") is not True, result
    assert docker.seen == ["/containers/web-new/json"] * 2


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"State": {"Status": "exited", "Running": False, "ExitCode": 3}, "RestartCount": 0},
            "container web-new exited with code 3",
        ),
        (
            {"State": {"Status": "restarting", "Running": True, "Restarting": True,
                       "ExitCode": 1}, "RestartCount": 1},
            "container web-new is restarting after a crash (exit code 1)",
        ),
        (
            {**running(restarts=2), "State": {**running()["State"], "ExitCode": 137}},
            "container web-new restarted after a crash (2 times, last exit code 137)",
        ),
        (
            {"State": {"Status": "created", "Running": False, "ExitCode": 0}},
            "container web-new is not running (it is created)",
        ),
    ],
)
def test_a_container_that_is_not_running_fails_at_once(
    app: App, docker: Docker, document: dict[str, Any], message: str
) -> None:
    docker.containers["web-new"] = document
    app.readyz = [readyz(status=503, database="default: down")]
    result = wait(app, container="web-new", docker_socket=str(docker.server_address))

    assert result["failed"] is True
    assert result["msg"] == message
    assert result["attempts"] == 1


def test_a_missing_container_or_socket_fails_at_once(app: App, docker: Docker) -> None:
    missing = wait(app, container="web-gone", docker_socket=str(docker.server_address))
    assert (missing["msg"], missing["attempts"]) == ("container web-gone does not exist", 1)

    no_socket = wait(app, container="web-new", docker_socket="/nonexistent/docker.sock")
    assert no_socket["msg"] == (
        "cannot read the state of container web-new from /nonexistent/docker.sock: "
        "[Errno 2] No such file or directory"
    )


def test_check_mode_asks_nothing(app: App) -> None:
    result = run_module(
        "django_app_ready",
        {"url": app.url, "host": HOST, "release": NEW, "timeout": 30},
        check=True,
    )

    assert (result["changed"], result["skipped"]) == (False, True)
    assert app.seen == []


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("url", "https://127.0.0.1:8082", "url must be a plain http:// base URL"),
        ("url", "http://127.0.0.1:99999", "url has an invalid port"),
        ("host", "http://www.example.com", "host must be a host name"),
        ("release", "", "release must not be empty"),
        ("paths", ["home"], "paths must list paths that start with '/'"),
        ("timeout", 0, "timeout and interval must be more than 0 seconds"),
    ],
)
def test_bad_options_fail_with_a_line_naming_them(
    app: App, option: str, value: Any, message: str
) -> None:
    result = wait(app, **{option: value})

    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert app.seen == []

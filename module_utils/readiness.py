"""Wait until a candidate release of the app answers /readyz, then try its real pages.

Polls ``{url}/readyz`` with the site's Host header until it answers 200 for the expected
release, then GETs each page once (no redirect followed). The container's state, read from
the Docker Engine API, stops the wait at once when the container exited or restarts.
Standard library only: it runs on the target host.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from ansible.module_utils.docker_socket import UnixHTTPConnection

READY_PATH = "/readyz"
TIMEOUT_VARIABLE = "django_app_health_timeout"
# One request never waits longer than this, so a hung answer is asked again.
REQUEST_TIMEOUT = 10.0
MAX_BODY = 65536
# Checks whose failure cannot heal while the container runs (an import error is no less
# an import error a second later); the others (a database starting, migrations being
# applied) may pass on a later poll.
FINAL_CHECKS = ("host", "urls")


class InputError(ValueError):
    """An option that cannot be used; the message names it."""


class NotReady(Exception):
    """The candidate failed; the message is the first line of the module's error."""


@dataclass
class Answer:
    """One HTTP answer, or why there was none (status 0)."""

    status: int
    body: bytes = b""
    error: str = ""


@dataclass
class Progress:
    """What the wait saw so far: returned on success and on failure."""

    attempts: int = 0
    elapsed: float = 0.0
    ready: dict[str, Any] | None = None
    paths: dict[str, int] = field(default_factory=dict)
    last: str = "no answer yet"

    def result(self) -> dict[str, Any]:
        return {
            "elapsed": round(self.elapsed, 3),
            "attempts": self.attempts,
            "ready": self.ready,
            "container": (self.ready or {}).get("container"),
            "paths": self.paths,
        }


@dataclass
class Target:
    hostname: str
    port: int
    prefix: str
    host: str
    release: str
    paths: list[str]
    timeout: float
    interval: float
    container: str | None
    docker_socket: str


def target(params: Mapping[str, Any]) -> Target:
    """The options, checked: every error names its option."""
    parts = urlsplit(params["url"])
    if parts.scheme != "http" or not parts.hostname or parts.query or parts.fragment:
        raise InputError("url must be a plain http:// base URL, for example http://127.0.0.1:8082")
    try:
        port = parts.port or 80
    except ValueError:
        raise InputError("url has an invalid port") from None
    if not params["host"] or any(c in params["host"] for c in " /\r\n"):
        raise InputError("host must be a host name (and port), without scheme or path")
    if not params["release"]:
        raise InputError("release must not be empty")
    if not params["paths"] or not all(p.startswith("/") for p in params["paths"]):
        raise InputError("paths must list paths that start with '/'")
    if params["timeout"] <= 0 or params["interval"] <= 0:
        raise InputError("timeout and interval must be more than 0 seconds")
    return Target(
        hostname=parts.hostname,
        port=port,
        prefix=parts.path.rstrip("/"),
        host=params["host"],
        release=params["release"],
        paths=list(params["paths"]),
        timeout=params["timeout"],
        interval=params["interval"],
        container=params.get("container") or None,
        docker_socket=params["docker_socket"],
    )


def fetch(connection: http.client.HTTPConnection, path: str, host: str | None) -> Answer:
    """GET `path`; a refused, reset or silent connection is an answer with status 0."""
    try:
        connection.request("GET", path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return Answer(response.status, response.read(MAX_BODY))
    except (OSError, http.client.HTTPException) as error:
        return Answer(0, error=str(error) or type(error).__name__)
    finally:
        connection.close()


def container_state(socket_path: str, name: str, timeout: float) -> dict[str, Any]:
    """The container's inspect document (GET /containers/{name}/json)."""
    connection = UnixHTTPConnection(socket_path, timeout)
    answer = fetch(connection, f"/containers/{quote(name)}/json", None)
    if answer.status == 404:
        raise NotReady(f"container {name} does not exist")
    if answer.status != 200:
        cause = answer.error or f"HTTP {answer.status}"
        raise NotReady(f"cannot read the state of container {name} from {socket_path}: {cause}")
    try:
        document = json.loads(answer.body)
    except ValueError:
        raise NotReady(f"the Docker API answered no JSON for container {name}") from None
    return document if isinstance(document, dict) else {}


def check_container(document: dict[str, Any], name: str) -> None:
    """Running, and never restarted: a crash loop would pass a poll between two crashes."""
    state = document.get("State") or {}
    exit_code = state.get("ExitCode")
    if state.get("Restarting"):
        raise NotReady(f"container {name} is restarting after a crash (exit code {exit_code})")
    restarts = document.get("RestartCount") or 0
    if restarts:
        raise NotReady(
            f"container {name} restarted after a crash ({restarts} times, last exit code "
            f"{exit_code})"
        )
    status = state.get("Status") or "unknown"
    if status in ("exited", "dead"):
        raise NotReady(f"container {name} exited with code {exit_code}")
    if not state.get("Running"):
        raise NotReady(f"container {name} is not running (it is {status})")


def parse_ready(answer: Answer) -> dict[str, Any] | None:
    try:
        body = json.loads(answer.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("checks"), dict) else None


def failing_check(body: dict[str, Any]) -> tuple[str, str] | None:
    for name, result in body["checks"].items():
        if result != "ok":
            return name, str(result)
    return None


def describe(answer: Answer, body: dict[str, Any] | None, where: str, release: str) -> str:
    """One line about an answer that is not ready yet."""
    if answer.status == 0:
        return f"GET {where}: {answer.error}"
    if body is None:
        return f"GET {where} answered {answer.status} without the readiness JSON"
    if body.get("release") != release:
        return (
            f"GET {where} answered release {body.get('release')!r} (container "
            f"{body.get('container')}), not {release!r}: the proxy does not reach the candidate"
        )
    failing = failing_check(body)
    if failing is None:
        return f"GET {where} answered {answer.status}"
    return f"readiness check {failing[0]} failed: {failing[1]}"


def is_final(body: dict[str, Any]) -> bool:
    """A failure of the expected release that waiting cannot cure."""
    failing = failing_check(body)
    if failing is None or failing[0] not in FINAL_CHECKS:
        return False
    # An URLconf that queries the database at import fails while the database does.
    return failing[0] != "urls" or body["checks"].get("database") == "ok"


def check_paths(goal: Target, timeout: float, progress: Progress) -> None:
    for path in goal.paths:
        connection = http.client.HTTPConnection(goal.hostname, goal.port, timeout=timeout)
        answer = fetch(connection, goal.prefix + path, goal.host)
        progress.paths[path] = answer.status
        if answer.status == 0:
            raise NotReady(f"GET {path} got no answer: {answer.error}")
        if answer.status == 400 or answer.status >= 500:
            raise NotReady(f"GET {path} answered {answer.status}")


def poll(goal: Target, timeout: float, progress: Progress) -> bool:
    """One attempt: True when the expected release is ready."""
    progress.attempts += 1
    if goal.container:
        document = container_state(goal.docker_socket, goal.container, timeout)
        check_container(document, goal.container)
    connection = http.client.HTTPConnection(goal.hostname, goal.port, timeout=timeout)
    answer = fetch(connection, goal.prefix + READY_PATH, goal.host)
    body = parse_ready(answer)
    if body is not None:
        progress.ready = body
    if body is not None and body.get("release") == goal.release:
        if answer.status == 200 and body.get("ready") is True:
            return True
        if is_final(body):
            raise NotReady(describe(answer, body, READY_PATH, goal.release))
    progress.last = describe(answer, body, READY_PATH, goal.release)
    return False


def wait_ready(
    params: Mapping[str, Any],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Progress, str | None]:
    """Poll until ready or timeout; returns what was seen and the failure's line, if any."""
    goal = target(params)
    start = clock()
    deadline = start + goal.timeout
    progress = Progress()
    try:
        while True:
            timeout = max(min(deadline - clock(), REQUEST_TIMEOUT), 0.05)
            if poll(goal, timeout, progress):
                check_paths(goal, timeout, progress)
                return progress, None
            if clock() + goal.interval > deadline:
                raise NotReady(
                    f"not ready after {goal.timeout:g} s ({TIMEOUT_VARIABLE}); if it only "
                    f"starts slowly, raise {TIMEOUT_VARIABLE}. Last answer: {progress.last}"
                )
            sleep(goal.interval)
    except NotReady as failure:
        return progress, str(failure)
    finally:
        progress.elapsed = clock() - start

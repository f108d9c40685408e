"""The API client against a scripted HTTP server on 127.0.0.1 (real sockets, fake clock)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from ansible.module_utils import sentry_api

TOKEN = "sntrys_client_secret_value"


@dataclass
class Scripted:
    """Answers requests in order from a script; records what it received."""

    url: str = ""
    answers: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    def then(self, status: int, body: Any = None, **headers: str) -> Scripted:
        self.answers.append((status, {k.replace("_", "-"): v for k, v in headers.items()}, body))
        return self


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    state = Scripted()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.received.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "auth": self.headers.get("Authorization"),
                    "body": json.loads(raw) if raw else None,
                }
            )
            status, headers, body = state.answers.pop(0) if state.answers else (599, {}, None)
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def client(url: str, sleeps: list[float], **kwargs: Any) -> sentry_api.SentryClient:
    return sentry_api.SentryClient(
        url, TOKEN, timeout=5, sleep=sleeps.append, clock=lambda: 1_000_000.0, **kwargs
    )


def link(base: str, cursor: str, results: bool) -> str:
    flag = "true" if results else "false"
    return (
        f'<{base}?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", '
        f'<{base}?&cursor={cursor}>; rel="next"; results="{flag}"; cursor="{cursor}"'
    )


def test_api_root_appends_api_0_once() -> None:
    assert sentry_api.api_root("https://sentry.io") == "https://sentry.io/api/0"
    assert sentry_api.api_root("https://sentry.io/") == "https://sentry.io/api/0"
    assert sentry_api.api_root("https://s.example/api/0/") == "https://s.example/api/0"
    assert sentry_api.api_root("https://s.example/api/") == "https://s.example/api/0"


def test_sends_bearer_token_json_and_api_path(scripted: Scripted) -> None:
    scripted.then(201, {"id": "7"})
    answer = client(scripted.url, []).request("POST", "/projects/acme/web/rules/", body={"a": 1})
    assert (answer.status, answer.data) == (201, {"id": "7"})
    assert scripted.received == [
        {
            "method": "POST",
            "path": "/api/0/projects/acme/web/rules/",
            "auth": f"Bearer {TOKEN}",
            "body": {"a": 1},
        }
    ]


def test_pagination_follows_next_while_results_true(scripted: Scripted) -> None:
    base = f"{scripted.url}/api/0/organizations/acme/members/"
    scripted.then(200, [{"id": 1}], Link=link(base, "100:1:0", True))
    scripted.then(200, [{"id": 2}], Link=link(base, "100:2:0", True))
    scripted.then(200, [{"id": 3}], Link=link(base, "100:3:0", False))
    items = client(scripted.url, []).paginate("/organizations/acme/members/", {"query": "x"})
    assert items == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert [r["path"] for r in scripted.received] == [
        "/api/0/organizations/acme/members/?query=x",
        "/api/0/organizations/acme/members/?query=x&cursor=100%3A1%3A0",
        "/api/0/organizations/acme/members/?query=x&cursor=100%3A2%3A0",
    ]


def test_pagination_without_link_header_is_one_page(scripted: Scripted) -> None:
    scripted.then(200, [{"id": 1}])
    assert client(scripted.url, []).paginate("/x/") == [{"id": 1}]
    assert len(scripted.received) == 1


def test_next_cursor_parsing() -> None:
    assert sentry_api.next_cursor(link("http://h/p", "5:0:0", True)) == "5:0:0"
    assert sentry_api.next_cursor(link("http://h/p", "5:0:0", False)) is None
    assert sentry_api.next_cursor(None) is None


def test_429_retry_after_is_honoured_then_succeeds(scripted: Scripted) -> None:
    scripted.then(429, {"detail": "slow down"}, Retry_After="2")
    scripted.then(200, {"ok": True})
    sleeps: list[float] = []
    assert client(scripted.url, sleeps).get("/x/") == {"ok": True}
    assert sleeps == [2.0]
    assert len(scripted.received) == 2


def test_429_wait_is_capped(scripted: Scripted) -> None:
    scripted.then(429, None, Retry_After="3600").then(200, {})
    sleeps: list[float] = []
    client(scripted.url, sleeps, max_wait=5).get("/x/")
    assert sleeps == [5]


def test_429_uses_rate_limit_reset_when_no_retry_after(scripted: Scripted) -> None:
    scripted.then(429, None, X_Sentry_Rate_Limit_Reset="1000003").then(200, {})
    sleeps: list[float] = []
    client(scripted.url, sleeps).get("/x/")
    assert sleeps == [3.0]


def test_persistent_5xx_fails_after_bounded_attempts(scripted: Scripted) -> None:
    for _ in range(10):
        scripted.then(503, {"detail": "upstream unavailable"})
    sleeps: list[float] = []
    with pytest.raises(sentry_api.SentryAPIError) as caught:
        client(scripted.url, sleeps, max_attempts=3, backoff=0.5).get("/projects/acme/web/")
    assert len(scripted.received) == 3
    assert sleeps == [0.5, 1.0]
    message = str(caught.value)
    assert "GET /api/0/projects/acme/web/" in message
    assert "HTTP 503" in message
    assert "upstream unavailable" in message
    assert "gave up after 3 attempts" in message


def test_post_is_not_repeated_after_plain_500(scripted: Scripted) -> None:
    scripted.then(500, {"detail": "boom"}).then(201, {})
    with pytest.raises(sentry_api.SentryAPIError, match="HTTP 500: boom"):
        client(scripted.url, []).request("POST", "/x/", body={})
    assert len(scripted.received) == 1


def test_error_names_method_path_status_detail_never_token(scripted: Scripted) -> None:
    scripted.then(403, {"detail": f"token {TOKEN} lacks alerts:write"})
    with pytest.raises(sentry_api.SentryAPIError) as caught:
        client(scripted.url, []).request("PUT", "/projects/acme/web/rules/3/", body={})
    message = str(caught.value)
    assert message.startswith("Sentry API PUT /api/0/projects/acme/web/rules/3/ failed: HTTP 403")
    assert "lacks alerts:write" in message
    assert TOKEN not in message
    assert caught.value.status == 403


def test_allowed_status_is_returned_not_raised(scripted: Scripted) -> None:
    scripted.then(404, {"detail": "Not found"})
    answer = client(scripted.url, []).request("GET", "/x/", allow=(404,))
    assert answer.status == 404


def test_connection_refused_is_a_clear_error() -> None:
    with pytest.raises(sentry_api.SentryAPIError, match="GET /api/0/x/ failed: no response"):
        client("http://127.0.0.1:9", []).get("/x/")


def test_path_segments_are_quoted() -> None:
    assert sentry_api.path_segment("web@1.0 rc") == "web%401.0%20rc"


def test_pagination_stops_at_an_empty_page(scripted: Scripted) -> None:
    base = f"{scripted.url}/api/0/x/"
    scripted.then(200, [{"id": 1}], Link=link(base, "100:1:0", True))
    scripted.then(200, [], Link=link(base, "100:2:0", True))
    scripted.then(200, [{"id": 3}], Link=link(base, "100:3:0", False))
    assert client(scripted.url, []).paginate("/x/") == [{"id": 1}]
    assert len(scripted.received) == 2

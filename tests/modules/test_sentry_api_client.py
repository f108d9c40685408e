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
    yield from serve()


@pytest.fixture
def elsewhere() -> Iterator[Scripted]:
    """A second server: another origin (another port)."""
    yield from serve()


def serve() -> Iterator[Scripted]:
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
            if isinstance(body, bytes):
                data = body
            else:
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
    assert sentry_api.path_segment("a/b?c#d%e") == "a%2Fb%3Fc%23d%25e"
    assert sentry_api.path_segment("..a") == "..a"
    for dots in (".", "..", ""):
        with pytest.raises(sentry_api.InputError):
            sentry_api.path_segment(dots)


def test_pagination_stops_at_an_empty_page(scripted: Scripted) -> None:
    base = f"{scripted.url}/api/0/x/"
    scripted.then(200, [{"id": 1}], Link=link(base, "100:1:0", True))
    scripted.then(200, [], Link=link(base, "100:2:0", True))
    scripted.then(200, [{"id": 3}], Link=link(base, "100:3:0", False))
    assert client(scripted.url, []).paginate("/x/") == [{"id": 1}]
    assert len(scripted.received) == 2


# ---- a hostile network -------------------------------------------------------------------


def test_redirect_to_another_origin_never_carries_the_token(
    scripted: Scripted, elsewhere: Scripted
) -> None:
    scripted.then(302, None, Location=f"{elsewhere.url}/api/0/x/")
    elsewhere.then(200, {"stolen": True})
    with pytest.raises(sentry_api.SentryAPIError, match=r"redirect to http://127\.0\.0\.1:\d+ not"):
        client(scripted.url, []).get("/x/")
    assert elsewhere.received == []


def test_redirect_within_the_origin_is_followed_for_reads_only(scripted: Scripted) -> None:
    scripted.then(301, None, Location="/api/0/y/").then(200, {"ok": 1})
    assert client(scripted.url, []).get("/x/") == {"ok": 1}
    assert [r["path"] for r in scripted.received] == ["/api/0/x/", "/api/0/y/"]
    scripted.then(307, None, Location="/api/0/y/")
    with pytest.raises(sentry_api.SentryAPIError, match="HTTP 307: redirect"):
        client(scripted.url, []).request("POST", "/x/", body={})
    assert len(scripted.received) == 3


def test_http_url_to_another_host_warns() -> None:
    assert sentry_api.url_warnings("http://sentry.example.com") != []
    assert sentry_api.url_warnings("http://127.0.0.1:9000") == []
    assert sentry_api.url_warnings("https://sentry.example.com") == []


@pytest.mark.parametrize("slug", ["..", "a/b", "a?b", "a#b", "a b", "Web", "", "a%2f"])
def test_slugs_are_refused_before_they_reach_a_url(slug: str) -> None:
    with pytest.raises(sentry_api.InputError, match=r"^org must be a Sentry slug"):
        sentry_api.check_slug(slug, "org")


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "soon"])
def test_unusable_retry_after_falls_back_to_backoff(scripted: Scripted, value: str) -> None:
    scripted.then(429, None, Retry_After=value).then(200, {})
    sleeps: list[float] = []
    client(scripted.url, sleeps, backoff=0.5).get("/x/")
    assert sleeps == [0.5]


def test_a_huge_link_header_is_refused_quickly() -> None:
    import signal

    def too_slow(*_: Any) -> None:
        raise TimeoutError("Link header parsing took more than 5 seconds")

    hostile = "<" * 60_000 + "a" * 60_000
    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(5)
    try:
        with pytest.raises(ValueError, match="Link header"):
            sentry_api.next_cursor(hostile)
        long_but_fine = ", ".join(
            f'<http://h/p?cursor={i}>; rel="previous"; results="false"' for i in range(200)
        ) + ', <http://h/p?cursor=9>; rel="next"; results="true"; cursor="9:0:0"'
        assert len(long_but_fine) < sentry_api.MAX_LINK_HEADER
        assert sentry_api.next_cursor(long_but_fine) == "9:0:0"
        assert sentry_api.next_cursor("a" * 16_000 + "=") is None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_an_answer_that_is_not_json_names_the_request(scripted: Scripted) -> None:
    scripted.then(200, b"<html>login</html>")
    with pytest.raises(sentry_api.SentryAPIError) as caught:
        client(scripted.url, []).get("/projects/acme/web/")
    assert str(caught.value) == (
        "Sentry API GET /api/0/projects/acme/web/ failed: HTTP 200: the answer is not JSON"
    )


@pytest.mark.parametrize(
    ("answer", "message"),
    [({"id": 1}, "the answer is not a JSON list"), ([1, 2], "an item without a usable 'id'")],
)
def test_a_wrong_shape_names_the_request(scripted: Scripted, answer: Any, message: str) -> None:
    scripted.then(200, answer)
    api = client(scripted.url, [])
    with pytest.raises(sentry_api.SentryAPIError, match=f"GET /api/0/x/ failed: .*{message}"):
        items = api.paginate("/x/")
        sentry_api.field_of(items[0], "id", "GET /api/0/x/")
        raise AssertionError(f"accepted {items}")


def test_post_after_a_gateway_error_is_read_back_not_repeated(scripted: Scripted) -> None:
    scripted.then(502, b"<html>bad gateway</html>")
    found = {"id": "7", "name": "made"}
    lookups: list[int] = []

    def find() -> dict[str, Any]:
        lookups.append(1)
        return found

    assert client(scripted.url, []).create("/x/", {"name": "made"}, find) is found
    assert [r["method"] for r in scripted.received] == ["POST"]
    assert lookups == [1]


def test_post_is_repeated_only_when_the_read_does_not_find_it(scripted: Scripted) -> None:
    scripted.then(504, None).then(201, {"id": "8"})
    made = client(scripted.url, []).create("/x/", {"name": "n"}, lambda: None)
    assert made == {"id": "8"}
    assert [r["method"] for r in scripted.received] == ["POST", "POST"]


def test_post_is_not_repeated_blindly_after_a_gateway_error(scripted: Scripted) -> None:
    scripted.then(502, None).then(201, {"id": "9"})
    with pytest.raises(sentry_api.SentryAPIError, match="HTTP 502") as caught:
        client(scripted.url, []).request("POST", "/x/", body={})
    assert caught.value.uncertain
    assert len(scripted.received) == 1


def test_a_silent_server_is_bounded_by_the_deadline() -> None:
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        port = listener.getsockname()[1]
        api = sentry_api.SentryClient(
            f"http://127.0.0.1:{port}", TOKEN, timeout=30, deadline=1.5, max_attempts=5
        )
        started = time.monotonic()
        with pytest.raises(sentry_api.SentryAPIError, match="api_deadline"):
            for _ in range(10):
                api.get("/x/")
        elapsed = time.monotonic() - started
        assert elapsed < 10, f"the deadline did not bound the run: {elapsed:.1f} s"
    finally:
        listener.close()

"""The token never shows, in any form, from any module; the deadline holds against a server
that trickles its answer; a repeated cursor is an error, not the end of the list."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ansible.module_utils import sentry_api
from sentry_harness import run_module

TOKEN = "sntrys_test_full"
MODULE_ARGS: dict[str, dict[str, Any]] = {
    "sentry_alert_rules": {"project": "web", "rules": [
        {"name": "New issue", "when": ["first_seen"], "email": {"to": "issue_owners"}}]},
    "sentry_client_key": {"project": "web", "name": "production"},
    "sentry_release": {"version": "web@1.0.0", "projects": ["web"]},
}


def forms(secret: str) -> list[str]:
    """Every way a secret can be written into a message."""
    return [secret, repr(secret), repr(secret)[1:-1], json.dumps(secret)[1:-1],
            urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
            repr(secret.encode())]


def assert_hidden(secret: str, output: str) -> None:
    for form in forms(secret):
        assert form not in output, f"{form!r} appears in the output"


@pytest.mark.parametrize("module", list(MODULE_ARGS))
def test_a_token_ending_in_a_newline_works_and_never_shows(
    module: str, sentry_standin: Any
) -> None:
    # a YAML `|` block value in a vault file ends in a newline
    token = TOKEN + "\n"
    result = run_module(module, {"api_url": sentry_standin.url, "api_token": token,
                                 "org": "acme", **MODULE_ARGS[module]})
    assert not result.get("failed"), result.get("msg")
    assert result["changed"]
    assert_hidden(token, json.dumps(result))
    auth = {r.get("auth") for r in sentry_standin.requests()} - {None}
    assert auth <= {f"Bearer {TOKEN}"}


@pytest.mark.parametrize("module", list(MODULE_ARGS))
@pytest.mark.parametrize("token", [
    "sntrys_te\nst_full", "sntrys test full", "sntrys_test\x00full", "sntrys_tést_full",
    "sntrys_test\r\nX-Injected: 1",
])
def test_a_token_that_cannot_be_a_header_is_refused_without_showing_it(
    module: str, token: str, sentry_standin: Any
) -> None:
    result = run_module(module, {"api_url": sentry_standin.url, "api_token": token,
                                 "org": "acme", **MODULE_ARGS[module]})
    assert result["failed"]
    assert result["msg"].startswith("api_token must be one word of visible ASCII")
    assert_hidden(token, json.dumps(result))
    assert sentry_standin.requests() == []


@pytest.mark.parametrize("form", [
    lambda t: t, lambda t: urllib.parse.quote(t + "\n"), lambda t: repr(t + "\n")[1:-1],
    lambda t: json.dumps(t + "\n")[1:-1], lambda t: urllib.parse.quote_plus(t + "/x"),
])
def test_an_echoed_token_is_scrubbed_in_every_form(
    form: Callable[[str], str], scripted_server: Any
) -> None:
    token = "sntrys_echoed+secret/value"
    scripted_server.answer = (400, json.dumps({"detail": f"bad token {form(token)}"}).encode())
    api = sentry_api.SentryClient(scripted_server.url, token + "\n", max_attempts=1)
    with pytest.raises(sentry_api.SentryAPIError) as caught:
        api.get("/x/")
    assert "********" in str(caught.value)
    assert_hidden(token, str(caught.value))
    assert_hidden(token + "\n", str(caught.value))


class Trickle:
    """A raw HTTP server that answers one byte at a time, 20 bytes a second."""

    def __init__(self, headers_too: bool) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.headers_too = headers_too
        self.stop = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn: socket.socket) -> None:
        body = b"[" + b"1," * 500 + b"1]"
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        try:
            conn.recv(65536)
            if not self.headers_too:
                conn.sendall(head)
            for byte in (head if self.headers_too else b"") + body:
                if self.stop.is_set():
                    break
                conn.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers"])
def test_the_deadline_holds_against_a_trickling_answer(headers_too: bool) -> None:
    server = Trickle(headers_too)
    try:
        api = sentry_api.SentryClient(server.url, TOKEN, timeout=30, deadline=1.5,
                                      max_attempts=3)
        started = time.monotonic()
        with pytest.raises(sentry_api.SentryAPIError, match="api_deadline"):
            api.get("/x/", expect=list)
        elapsed = time.monotonic() - started
        # before the fix the socket timeout applied per read: 50 s for this answer
        assert elapsed < 5, f"the deadline did not bound the run: {elapsed:.1f} s"
    finally:
        server.close()


class Server:
    def __init__(self, url: str) -> None:
        self.url = url
        self.answer: tuple[int, bytes] = (200, b"[]")
        self.links: list[str] = []


@pytest.fixture
def scripted_server() -> Iterator[Server]:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = Server("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = state.answer
            self.send_response(status)
            if state.links:
                self.send_header("Link", state.links.pop(0))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()


def link(cursor: str) -> str:
    return (f'<http://x/?cursor=p>; rel="previous"; results="false"; cursor="p", '
            f'<http://x/?cursor={cursor}>; rel="next"; results="true"; cursor="{cursor}"')


def test_a_repeated_cursor_is_an_error_not_the_end(scripted_server: Server) -> None:
    scripted_server.answer = (200, b"[1]")
    scripted_server.links = [link("0:1:0"), link("0:2:0"), link("0:1:0")]
    api = sentry_api.SentryClient(scripted_server.url, TOKEN, max_attempts=1)
    with pytest.raises(sentry_api.SentryAPIError, match="cursor it had sent before"):
        api.paginate("/x/")

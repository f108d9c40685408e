"""HTTP server: routing, token auth, rate-limit headers, fault injection and the debug path."""

from __future__ import annotations

import copy
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import api, ingest
from .state import MODES, SeedError, State, check_seed, check_without, load_seed, now_iso
from .validation import is_int

RATE_LIMIT = 1000  # requests per caller and endpoint in one window
RATE_WINDOW = 1  # seconds
CONCURRENT_LIMIT = 25
FAULT_STATUSES = (429, 500, 502, 503, 504)
DEBUG_PREFIX = "/_standin/"


class StandinServer(ThreadingHTTPServer):
    """The stand-in. `serve_forever()` in a thread or the foreground; `url` is where it listens."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, host: str, port: int, *, mode: str = "current",
        seed: dict[str, Any] | str | Path | None = None, page_size: int = 100,
        public_url: str | None = None, ingest_delay_ms: int = 0, verbose: bool = False,
        state_file: str | Path | None = None, without: list[str] | tuple[str, ...] = (),
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if not 1 <= page_size <= api.MAX_PER_PAGE:
            raise ValueError(f"page size must be between 1 and {api.MAX_PER_PAGE}")
        if isinstance(seed, dict):
            check_seed(seed)
        seed_data = seed if isinstance(seed, dict) else load_seed(seed)
        super().__init__((host, port), Handler)
        self.url = f"http://{host}:{self.server_address[1]}"
        self.state = State(seed_data, mode, (public_url or self.url).rstrip("/"),
                           check_without(list(without)))
        self.state_file = Path(state_file) if state_file else None
        if self.state_file and self.state_file.exists():
            try:
                self.state.load(self.state_file)
            except SeedError:
                self.server_close()
                raise
        self.page_size = page_size
        self.ingest_delay = ingest_delay_ms / 1000
        self.verbose = verbose
        self.windows: dict[tuple[str, str], tuple[int, int]] = {}
        self.in_flight = 0
        self.meter_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients closing keep-alive connections are routine; anything else is reported."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def persist(self) -> None:
        """Save the state after a request that may have changed it (with a state file)."""
        if self.state_file:
            self.state.save(self.state_file)

    def take_fault(self, method: str, path: str) -> dict[str, Any] | None:
        """The first fault rule matching this request, counted down (and dropped at zero)."""
        with self.state.lock:
            for rule in self.state.faults:
                if rule["method"] not in (None, method):
                    continue
                if rule["path"] is None and not path.startswith("/api/0/"):
                    continue
                if rule["path"] is not None and not re.search(rule["path"], path):
                    continue
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.state.faults.remove(rule)
                return dict(rule)
        return None

    def rate_headers(self, caller: str, endpoint: str) -> dict[str, str]:
        now = int(time.time())
        with self.meter_lock:
            start, count = self.windows.get((caller, endpoint), (now, 0))
            if now >= start + RATE_WINDOW:
                start, count = now, 0
            if len(self.windows) > 1000:  # keep memory bounded on long runs
                self.windows = {k: v for k, v in self.windows.items() if v[0] + RATE_WINDOW > now}
            self.windows[(caller, endpoint)] = (start, count + 1)
            concurrent = self.in_flight
        return {
            "X-Sentry-Rate-Limit-Limit": str(RATE_LIMIT),
            "X-Sentry-Rate-Limit-Remaining": str(max(RATE_LIMIT - count - 1, 0)),
            "X-Sentry-Rate-Limit-Reset": str(start + RATE_WINDOW),
            "X-Sentry-Rate-Limit-ConcurrentLimit": str(CONCURRENT_LIMIT),
            "X-Sentry-Rate-Limit-ConcurrentRemaining": str(max(CONCURRENT_LIMIT - concurrent, 0)),
        }


def make_server(host: str = "127.0.0.1", port: int = 0, **options: Any) -> StandinServer:
    """Bind the stand-in (port 0 picks a free port); options as for StandinServer."""
    return StandinServer(host, port, **options)


def check_fault(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise api.ApiError(400, {"detail": "fault must be a JSON object"})
    rule = {
        "method": body.get("method"), "path": body.get("path"), "count": body.get("count", 1),
        "status": body.get("status"), "retry_after": body.get("retry_after", 1),
        "delay_ms": body.get("delay_ms", 0), "apply": body.get("apply", False),
    }
    errors = {}
    if rule["method"] is not None and rule["method"] not in ("GET", "POST", "PUT", "DELETE"):
        errors["method"] = ["must be GET, POST, PUT, DELETE or null"]
    try:
        if rule["path"] is not None:
            re.compile(rule["path"])
    except (re.error, TypeError):
        errors["path"] = ["must be a regular expression or null"]
    for name in ("count", "retry_after", "delay_ms"):
        if not is_int(rule[name]) or rule[name] < (1 if name == "count" else 0):
            errors[name] = ["must be a non-negative integer (count at least 1)"]
    if rule["status"] not in (None, *FAULT_STATUSES):
        errors["status"] = [f"must be one of {FAULT_STATUSES} or null"]
    if not isinstance(rule["apply"], bool):
        errors["apply"] = ["must be a boolean"]
    elif rule["apply"] and rule["status"] not in (500, 502, 503, 504):
        errors["apply"] = ["needs a 5xx status: the request is applied, then answered with it"]
    if rule["status"] is None and not rule["delay_ms"]:
        errors["status"] = ["give a status, a delay_ms, or both"]
    if errors:
        raise api.ApiError(400, errors)
    return rule


class Handler(BaseHTTPRequestHandler):
    server: StandinServer
    protocol_version = "HTTP/1.1"
    server_version = "sentry-standin"
    # Set for a request that may change the state: it is saved before the answer is sent.
    persist_before_reply = False

    def do_GET(self) -> None:
        self.handle_any("GET")

    def do_POST(self) -> None:
        self.handle_any("POST")

    def do_PUT(self) -> None:
        self.handle_any("PUT")

    def do_DELETE(self) -> None:
        self.handle_any("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # plumbing -----------------------------------------------------------------------
    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailer lines
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
             raw: bytes | None = None, content_type: str = "application/json") -> None:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        if self.persist_before_reply:
            # Saved before the answer leaves: a client that got its answer finds the change
            # in the state file.
            self.persist_before_reply = False
            self.server.persist()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:  # the client gave up (timeout); nothing left to answer
            self.close_connection = True

    def handle_any(self, method: str) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        body = self.read_body()
        self.persist_before_reply = method != "GET"
        if path.startswith(DEBUG_PREFIX):
            self.handle_debug(method, path, body)
        elif match := ingest.INGEST_PATH.match(path):
            self.handle_ingest(method, path, match, body, query)
        else:
            self.handle_api(method, path, query, body)
        if self.persist_before_reply:  # nothing was answered
            self.persist_before_reply = False
            self.server.persist()

    # debug path ---------------------------------------------------------------------
    def handle_debug(self, method: str, path: str, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw.strip() else None
        except json.JSONDecodeError:
            self.send(400, {"detail": "body is not JSON"})
            return
        with self.server.state.lock:
            reply = self.debug_reply(method, path[len(DEBUG_PREFIX):].strip("/"), body)
        self.send_reply(reply)

    def debug_reply(self, method: str, name: str, body: Any) -> api.Reply:
        state = self.server.state
        if method == "GET" and name in ("requests", "events", "faults"):
            return api.Reply(200, copy.deepcopy(getattr(state, name)))
        if method == "GET" and name == "ingest":
            return api.Reply(200, ingest.counts_json(state))
        if method == "GET" and name == "state":
            return api.Reply(200, state.snapshot())
        if method == "POST" and name == "reset":
            options = body if isinstance(body, dict) else {}
            mode, without = options.get("mode"), options.get("without")
            if mode is not None and mode not in MODES:
                return api.Reply(400, {"mode": [f"must be one of {MODES}"]})
            try:
                state.reset(mode, without)
            except ValueError as exc:
                return api.Reply(400, {"without": [str(exc)]})
            return api.Reply(200, {"mode": state.mode, "without": state.without})
        if method == "POST" and name == "faults":
            try:
                rule = check_fault(body)
            except api.ApiError as exc:
                return api.Reply(exc.status, exc.body)
            state.faults.append(rule)
            return api.Reply(201, dict(rule))
        if method == "DELETE" and name == "faults":
            state.faults.clear()
            return api.Reply(204, None)
        return api.Reply(404, {"detail": "unknown debug path"})

    # faults ------------------------------------------------------------------------
    def fault_reply(self, method: str, path: str) -> api.Reply | None:
        """Sleep and/or build an injected failure for this request, if a fault rule matches."""
        return self.fault_answer(self.server.take_fault(method, path))

    def fault_answer(self, fault: dict[str, Any] | None) -> api.Reply | None:
        if fault is None:
            return None
        if fault["delay_ms"]:
            time.sleep(fault["delay_ms"] / 1000)
        status = fault["status"]
        if status == 429:
            retry = fault["retry_after"]
            detail = ("You are attempting to use this endpoint too frequently. Limit is "
                      f"{RATE_LIMIT} requests in {RATE_WINDOW} seconds")
            return api.Reply(429, {"detail": detail}, {
                "Retry-After": str(retry),
                "X-Sentry-Rate-Limit-Remaining": "0",
                "X-Sentry-Rate-Limit-Reset": str(int(time.time()) + retry),
                "X-Sentry-Rate-Limits": f"{retry}::organization:standin_fault",
            })
        if status == 500:
            return api.Reply(500, {"detail": "Internal Error", "errorId": None})
        if status is not None:  # what a proxy in front of Sentry answers
            page = f"<html><body><h1>{status} {self.responses[status][0]}</h1></body></html>"
            return api.Reply(status, page.encode(), {"Content-Type": "text/html"})
        return None

    def send_reply(self, reply: api.Reply) -> None:
        headers = dict(reply.headers)
        content_type = headers.pop("Content-Type", "application/json")
        if isinstance(reply.body, bytes):
            self.send(reply.status, headers=headers, raw=reply.body, content_type=content_type)
        else:
            self.send(reply.status, reply.body, headers)

    # ingest -------------------------------------------------------------------------
    def handle_ingest(
        self, method: str, path: str, match: re.Match[str], body: bytes,
        query: dict[str, list[str]],
    ) -> None:
        fault = self.fault_reply(method, path)
        if fault is not None:
            self.send_reply(fault)
            return
        if self.server.ingest_delay:
            time.sleep(self.server.ingest_delay)
        if method != "POST":
            self.send(405, {"detail": "method not allowed"})
            return
        try:
            answer = ingest.ingest(self.server.state, match["project_id"], match["endpoint"],
                                   body, self.headers, query)
        except ingest.IngestError as exc:
            self.send(exc.status, {"detail": exc.detail})
            return
        self.send(200, answer)

    # web API ------------------------------------------------------------------------
    def handle_api(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes
    ) -> None:
        server = self.server
        token = self.bearer_token()
        with server.meter_lock:
            server.in_flight += 1
        try:
            headers = server.rate_headers(token or self.client_address[0], path)
            body, problem = None, None
            try:
                body = json.loads(raw) if raw.strip() else None
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                problem = api.Reply(400, {"detail": f"JSON parse error - {exc}"})
            fault = self.server.take_fault(method, path)
            if fault is not None and fault["apply"] and problem is None:
                # What a gateway does when Sentry applied the write but its answer was lost.
                self.dispatch(method, path, query, body, token)
            reply = self.fault_answer(fault) or problem or \
                self.dispatch(method, path, query, body, token)
            reply.headers = {**headers, **reply.headers}
            # Logged before answering, so the log order is the order clients saw answers in.
            with server.state.lock:
                server.state.requests.append({"method": method, "path": path, "query": query,
                                              "status": reply.status, "body": body,
                                              "at": now_iso()})
            self.send_reply(reply)
        finally:
            with server.meter_lock:
                server.in_flight -= 1

    def bearer_token(self) -> str | None:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def dispatch(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, token: str | None
    ) -> api.Reply:
        state = self.server.state
        try:
            with state.lock:
                route, args = api.resolve(method, path, state.mode, state.without)
                args = {k: unquote(v) for k, v in args.items()}
                if self.headers.get("Authorization") is None:
                    return api.Reply(401, {"detail": "Authentication credentials were not "
                                                     "provided."})
                scopes = state.tokens.get(token or "")
                if scopes is None:
                    return api.Reply(401, {"detail": "Invalid token"})
                call = api.Call(state, method, path, query, body, f"http://{self.host()}",
                                self.server.page_size, args)
                if not state.org_matches(args["org"]):
                    raise api.ApiError(404, api.NOT_FOUND)
                if "project" in args:
                    call.project = state.project(args["project"])
                    if call.project is None:
                        raise api.ApiError(404, api.NOT_FOUND)
                if not set(route.scopes) & set(scopes):
                    raise api.ApiError(403, api.FORBIDDEN)
                reply = api.run(route, call)
                reply.body = copy.deepcopy(reply.body)
                return reply
        except api.ApiError as exc:
            return api.Reply(exc.status, exc.body)

    def host(self) -> str:
        return self.headers.get("Host") or f"{self.server.server_address[0]}:" \
            f"{self.server.server_address[1]}"

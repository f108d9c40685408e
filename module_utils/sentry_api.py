"""The Sentry web API client shared by the sentry_* modules.

Standard library only, so the modules run on any controller. Bearer-token auth, Link-header
pagination, and these rules for a hostile network:

- only requests that are safe to repeat (GET, PUT, DELETE) are retried after a 5xx or a lost
  connection; a POST is retried only after a 429 (Sentry refused it). A POST that ended in
  another 5xx or a lost connection may have been applied: ``create()`` reads before it tries
  again;
- redirects are followed only for GET and only within the configured origin, so the token
  never goes to another host or scheme;
- one deadline bounds the whole run (every request, retry and wait), also against a server
  that trickles its answer: the socket is shut when the deadline passes, whatever it sends;
- an answer that is not JSON, or not the shape asked for, is an error naming the request;
- errors name the method, path, status and Sentry's ``detail``, never the token, in any form
  (raw, escaped, percent-encoded): a token that cannot go into a header is refused before the
  first request, and the surrounding whitespace of a YAML block value is dropped.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import re
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_API_URL = "https://sentry.io"
USER_AGENT = "django-sentry-deploy/sentry_api"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
MAX_PAGES = 1000
MAX_LINK_HEADER = 16384
# Org, project and team slugs as Sentry makes them (lowercase), or a numeric id.
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# What an HTTP header value can carry: visible ASCII, no space.
TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")


class SentryAPIError(Exception):
    """A failed API call, described without the token.

    ``uncertain`` is true when a write may have been applied although no answer said so
    (a gateway error or a lost connection); ``lost`` when the connection failed.
    """

    def __init__(
        self, method: str, path: str, status: int | None, detail: str, uncertain: bool = False,
        lost: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        self.uncertain = uncertain
        self.lost = lost
        what = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"Sentry API {method} {path} failed: {what}: {detail}")


class AppliedPartly(Exception):
    """A run that failed after it had written some changes: ``result`` is the module result
    of what was applied (``changed`` true), ``error`` what stopped it."""

    def __init__(self, error: SentryAPIError, result: dict[str, Any]) -> None:
        super().__init__(str(error))
        self.error = error
        self.result = result


class InputError(ValueError):
    """Module input that cannot be used; the message names the option, never its value."""


@dataclass
class Response:
    status: int
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)


def api_root(base_url: str) -> str:
    """Return the API root (``<base>/api/0``) for a Sentry base URL."""
    root = base_url.rstrip("/")
    if root.endswith("/api/0"):
        return root
    if root.endswith("/api"):
        return root + "/0"
    return root + "/api/0"


def check_slug(value: Any, option: str) -> str:
    """Refuse anything that is not a Sentry slug before it goes into a URL."""
    if not isinstance(value, str) or not SLUG.match(value):
        raise InputError(
            f"{option} must be a Sentry slug: lowercase letters, digits, '-' and '_'"
        )
    return value


def path_segment(value: str | int) -> str:
    """Quote one path segment (slug, id or release version); '.' and '..' are refused."""
    text = str(value)
    if text in ("", ".", ".."):
        raise InputError(f"{text!r} cannot be a path segment")
    return urllib.parse.quote(text, safe="")


def link_entries(header: str) -> list[tuple[str, dict[str, str]]]:
    """Parse a Link header into (url, params) in one linear pass.

    A header longer than MAX_LINK_HEADER is refused: Sentry's are a few hundred bytes.
    """
    if len(header) > MAX_LINK_HEADER:
        raise ValueError(f"Link header of {len(header)} bytes")
    entries = []
    for chunk in header.split("<")[1:]:
        url, closed, rest = chunk.partition(">")
        if not closed:
            continue
        params = {}
        for piece in rest.split(";"):
            name, equals, value = piece.partition("=")
            if equals:
                params[name.strip(" ,\t").lower()] = value.strip(" ,\t").strip('"')
        entries.append((url, params))
    return entries


def next_cursor(link_header: str | None) -> str | None:
    """Return the cursor of the rel="next" Link entry when it has results."""
    if not link_header:
        return None
    for _, params in link_entries(link_header):
        if params.get("rel") == "next":
            if params.get("results") == "true" and params.get("cursor"):
                return params["cursor"]
            return None
    return None


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def url_warnings(base_url: str) -> list[str]:
    """Warnings about the API URL itself (the token in clear over a network)."""
    scheme, host, _ = origin(api_root(base_url))
    if scheme == "http" and host not in LOCAL_HOSTS:
        return [
            "api_url uses http:// to a host other than localhost: the token travels unencrypted"
        ]
    return []


def _detail(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300] or "(empty body)"
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])[:300]
    return json.dumps(data, sort_keys=True)[:300]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _seconds(value: str | None) -> float | None:
    """A finite, non-negative number of seconds, or None (NaN, inf and text are ignored)."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def check_token(token: Any) -> str:
    """The token without the whitespace around it (a YAML ``|`` value ends in a newline);
    refused, without being shown, when what is left cannot be sent in a header."""
    text = token.strip() if isinstance(token, str) else ""
    if not text:
        raise InputError("api_token is required")
    if not TOKEN_CHARS.match(text):
        raise InputError(
            "api_token must be one word of visible ASCII characters (no spaces or control "
            "characters inside it)"
        )
    return text


def secret_forms(secret: str) -> list[str]:
    """The ways a secret can be written into a message: raw, escaped as Python or JSON does,
    and percent-encoded (with or without '/' kept, '+' for spaces); longest first, so a
    longer form is masked whole."""
    forms = set()
    for text in {secret, secret.strip()}:
        forms |= {
            text,
            repr(text)[1:-1],
            json.dumps(text)[1:-1],
            urllib.parse.quote(text, safe=""),
            urllib.parse.quote(text),
            urllib.parse.quote_plus(text),
        }
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every form of every secret replaced by asterisks (case-blind, as
    percent-encoding may use either case)."""
    for secret in secrets:
        for form in secret_forms(secret):
            text = re.sub(re.escape(form), "********", text, flags=re.IGNORECASE)
    return text


class _Deadline:
    """Shuts the sockets of the current request when the run's deadline passes: a socket
    timeout applies to each read, so a server that sends a byte now and then would keep a
    read going for ever."""

    def __init__(self, ends: float) -> None:
        self.ends = ends
        self.passed = False
        self._timers: list[threading.Timer] = []

    def arm(self, sock: socket.socket) -> None:
        timer = threading.Timer(max(self.ends - time.monotonic(), 0.0), self._shut, (sock,))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _shut(self, sock: socket.socket) -> None:
        self.passed = True
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def disarm(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


def _connection(base: type, deadline: _Deadline) -> Callable[..., http.client.HTTPConnection]:
    class Connection(base):  # type: ignore[misc, valid-type]
        def connect(self) -> None:
            super().connect()
            deadline.arm(self.sock)

    return Connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(_connection(http.client.HTTPConnection, self._deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline, context: ssl.SSLContext | None) -> None:
        super().__init__(context=context)
        self._deadline = deadline
        self._https_context = context

    def https_open(self, req):  # type: ignore[no-untyped-def]
        return self.do_open(
            _connection(http.client.HTTPSConnection, self._deadline), req,
            context=self._https_context,
        )


class _Redirect(Exception):
    def __init__(self, status: int, location: str) -> None:
        super().__init__(location)
        self.status = status
        self.location = location


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand every redirect back to the client, which decides whether to follow it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        raise _Redirect(code, newurl)


def client_argument_spec() -> dict[str, dict[str, Any]]:
    """Options every sentry_* module takes to reach the API."""
    return {
        "api_url": {"type": "str", "default": DEFAULT_API_URL},
        "api_token": {"type": "str", "no_log": True, "required": True},
        "api_timeout": {"type": "float", "default": 30.0},
        "api_retries": {"type": "int", "default": 3},
        "api_deadline": {"type": "float", "default": 300.0},
        "validate_certs": {"type": "bool", "default": True},
        "org": {"type": "str", "required": True},
    }


def client_from_params(params: Mapping[str, Any]) -> SentryClient:
    """Build a client from the options of client_argument_spec()."""
    for option in ("api_timeout", "api_deadline"):
        value = params[option]
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"{option} must be a positive number of seconds")
    if params["api_retries"] < 0:
        raise InputError("api_retries must be 0 or more")
    scheme, host, _ = origin(params["api_url"] or "")
    if scheme not in ("http", "https") or not host:
        raise InputError("api_url must be an http(s) URL")
    return SentryClient(
        params["api_url"],
        params["api_token"],
        timeout=params["api_timeout"],
        max_attempts=1 + params["api_retries"],
        deadline=params["api_deadline"],
        validate_certs=params["validate_certs"],
    )


class SentryClient:
    """One Sentry organization's API, reached with one token, within one deadline."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 30.0,
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        deadline: float = 300.0,
        validate_certs: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = api_root(base_url)
        self._origin = origin(self.root)
        self._raw_token = token if isinstance(token, str) else ""
        self._token = check_token(token)
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._ends = time.monotonic() + deadline
        self._deadline = deadline
        self._watch = _Deadline(self._ends)
        context = None if validate_certs else _unverified_context()
        self._opener = urllib.request.build_opener(
            _NoRedirects(), _HTTPHandler(self._watch), _HTTPSHandler(self._watch, context)
        )
        self.requests_made = 0
        self.warnings = url_warnings(base_url)

    # ---- requests ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        allow: tuple[int, ...] = (),
        expect: type | None = None,
    ) -> Response:
        """Send one call; statuses in ``allow`` are returned, not raised.

        ``expect`` (dict or list) is the JSON type a 2xx answer must have.
        """
        full_path = self.full_path(path)
        url = self.root + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(1, self.max_attempts + 1):
            try:
                status, headers, raw = self._send(method, url, full_path, data)
            except SentryAPIError as err:
                if not err.lost or method not in IDEMPOTENT or attempt == self.max_attempts:
                    raise
                self._wait_for(self.backoff * 2 ** (attempt - 1), method, full_path)
                continue
            if 200 <= status < 300 or status in allow:
                data = self._decode(method, full_path, status, raw, expect)
                return Response(status, data, headers)
            safe = status == 429 or (method in IDEMPOTENT and status in RETRY_STATUSES)
            if not safe or attempt == self.max_attempts:
                detail = self._scrub(_detail(raw))
                if safe:
                    detail += f" (gave up after {attempt} attempts)"
                uncertain = method not in IDEMPOTENT and status >= 500
                raise SentryAPIError(method, full_path, status, detail, uncertain)
            self._wait_for(self._wait(status, headers, attempt), method, full_path)
        raise AssertionError("unreachable")

    def get(self, path: str, query: Mapping[str, Any] | None = None, expect: type = dict) -> Any:
        return self.request("GET", path, query, expect=expect).data

    def paginate(self, path: str, query: Mapping[str, Any] | None = None) -> list[Any]:
        """GET every page of a list endpoint, following rel="next" while it has results."""
        params = dict(query or {})
        items: list[Any] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            response = self.request("GET", path, params, expect=list)
            items.extend(response.data)
            try:
                cursor = next_cursor(_header(response.headers, "Link"))
            except ValueError as err:
                raise SentryAPIError("GET", self.full_path(path), 200, f"unusable {err}") from None
            if cursor in seen:
                raise SentryAPIError(
                    "GET", self.full_path(path), 200,
                    "the server sent a cursor it had sent before; the list cannot be read whole",
                )
            # An empty page ends the list even if the server claims more results.
            if cursor is None or not response.data:
                return items
            seen.add(cursor)
            params["cursor"] = cursor
        raise SentryAPIError("GET", self.full_path(path), 200, f"more than {MAX_PAGES} pages")

    def create(
        self, path: str, body: Any, find: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """POST a new object; after an answer that leaves it unknown whether the object was
        created, ``find()`` reads it back, and the POST is only repeated when it is not there."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self.request("POST", path, body=body, expect=dict).data
            except SentryAPIError as err:
                if not err.uncertain:
                    raise
                found = find()
                if found is not None:
                    return found
                if attempt == self.max_attempts:
                    raise SentryAPIError(
                        err.method, err.path, err.status,
                        f"{err.detail} (not created, gave up after {attempt} attempts)",
                    ) from None
                self._wait_for(self.backoff * 2 ** (attempt - 1), "POST", err.path)
        raise AssertionError("unreachable")

    def delete(self, path: str) -> None:
        """DELETE an object; a 404 (already gone, for example after a retry) is success."""
        self.request("DELETE", path, allow=(404,))

    # ---- plumbing ------------------------------------------------------------------

    def _remaining(self, method: str, full_path: str) -> float:
        left = self._ends - time.monotonic()
        if left <= 0 or self._watch.passed:
            raise self._deadline_error(method, full_path)
        return left

    def _deadline_error(self, method: str, full_path: str) -> SentryAPIError:
        return SentryAPIError(
            method, full_path, None,
            f"the run's deadline of {self._deadline:g} seconds (api_deadline) has passed",
            uncertain=method not in IDEMPOTENT,
        )

    def _wait_for(self, seconds: float, method: str, full_path: str) -> None:
        left = self._remaining(method, full_path)
        if seconds >= left:
            raise SentryAPIError(
                method, full_path, None,
                f"a retry would pass the run's deadline of {self._deadline:g} seconds "
                "(api_deadline)",
            )
        self._sleep(seconds)

    def _send(
        self, method: str, url: str, full_path: str, data: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        for _ in range(5):
            timeout = min(self.timeout, self._remaining(method, full_path))
            req = urllib.request.Request(url, data=data, method=method, headers=headers)
            self.requests_made += 1
            try:
                with self._opener.open(req, timeout=timeout) as resp:
                    answer = resp.status, dict(resp.headers.items()), resp.read()
            except _Redirect as redirect:
                url = self._follow(method, full_path, url, redirect)
                continue
            except urllib.error.HTTPError as err:
                with err:
                    answer = err.code, dict(err.headers.items()), self._read_error(err)
            except (OSError, ValueError, http.client.HTTPException) as err:
                raise self._lost(method, full_path, err) from None
            finally:
                self._watch.disarm()
            # a shut socket can look like a short answer
            if self._watch.passed:
                raise self._deadline_error(method, full_path)
            return answer
        raise SentryAPIError(method, full_path, None, "too many redirects")

    def _read_error(self, err: urllib.error.HTTPError) -> bytes:
        try:
            return err.read()
        except (OSError, http.client.HTTPException):
            return b""

    def _lost(self, method: str, full_path: str, err: Exception) -> SentryAPIError:
        """The error of a request that got no (whole) answer."""
        if self._watch.passed:
            return self._deadline_error(method, full_path)
        reason = getattr(err, "reason", err) or type(err).__name__
        return SentryAPIError(
            method, full_path, None, self._scrub(str(reason)),
            uncertain=method not in IDEMPOTENT, lost=True,
        )

    def _follow(self, method: str, full_path: str, url: str, redirect: _Redirect) -> str:
        target = urllib.parse.urljoin(url, redirect.location)
        if method != "GET" or origin(target) != self._origin:
            scheme, host, port = origin(target)
            raise SentryAPIError(
                method, full_path, redirect.status,
                f"redirect to {scheme}://{host}:{port} not followed: the token is only sent "
                "to the api_url origin with GET",
            )
        return target

    def _wait(self, status: int, headers: Mapping[str, str], attempt: int) -> float:
        backoff = self.backoff * 2 ** (attempt - 1)
        if status == 429:
            retry_after = _seconds(_header(headers, "Retry-After"))
            reset = _seconds(_header(headers, "X-Sentry-Rate-Limit-Reset"))
            if retry_after is not None:
                backoff = retry_after
            elif reset is not None:
                backoff = reset - self._clock()
        return min(max(backoff, 0.0), self.max_wait)

    def full_path(self, path: str) -> str:
        return urllib.parse.urlsplit(self.root).path + path

    def _scrub(self, text: str) -> str:
        return scrub(text, [self._token, self._raw_token])

    @staticmethod
    def _decode(
        method: str, full_path: str, status: int, raw: bytes, expect: type | None
    ) -> Any:
        data = None
        if raw.strip():
            try:
                data = json.loads(raw)
            except ValueError:
                raise SentryAPIError(method, full_path, status, "the answer is not JSON") from None
        if expect is not None and not isinstance(data, expect):
            kind = "a JSON object" if expect is dict else "a JSON list"
            raise SentryAPIError(method, full_path, status, f"the answer is not {kind}")
        return data


def field_of(item: Any, name: str, request: str, kinds: tuple[type, ...] = (str, int)) -> Any:
    """A required field of an object Sentry sent, or a clear error naming the request
    (``request`` is "METHOD /api/0/path/")."""
    value = item.get(name) if isinstance(item, dict) else None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        method, _, path = request.partition(" ")
        raise SentryAPIError(method, path, 200, f"the answer has an item without a usable {name!r}")
    return value

"""A small Sentry web API client shared by the sentry_* modules.

Only the Python standard library is used, so the modules run on any controller.
It speaks Bearer-token auth, follows Link-header pagination, retries rate-limited
(429) and server-error (5xx) answers a bounded number of times, and raises errors
that name the method, path, status and Sentry's ``detail`` but never the token.
"""

from __future__ import annotations

import json
import re
import ssl
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
# A POST that failed with a plain 500 may have been applied; repeating it could create
# a duplicate, so only gateway-type failures (and 429) are retried for POST.
POST_RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_PAGES = 1000

_LINK_ENTRY = re.compile(r"<([^>]*)>((?:\s*;\s*[a-zA-Z_]+\s*=\s*\"[^\"]*\")*)")
_LINK_PARAM = re.compile(r"([a-zA-Z_]+)\s*=\s*\"([^\"]*)\"")


class SentryAPIError(Exception):
    """A failed API call, described without the token."""

    def __init__(self, method: str, path: str, status: int | None, detail: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        where = f"{method} {path}"
        what = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"Sentry API {where} failed: {what}: {detail}")


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


def path_segment(value: str | int) -> str:
    """Quote one path segment (slug, id or release version)."""
    return urllib.parse.quote(str(value), safe="")


def next_cursor(link_header: str | None) -> str | None:
    """Return the cursor of the rel="next" Link entry when it has results."""
    if not link_header:
        return None
    for match in _LINK_ENTRY.finditer(link_header):
        params = dict(_LINK_PARAM.findall(match.group(2)))
        if params.get("rel") == "next":
            if params.get("results") == "true" and params.get("cursor"):
                return params["cursor"]
            return None
    return None


def _detail(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300] or "(empty body)"
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    return json.dumps(data, sort_keys=True)[:300]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def client_argument_spec() -> dict[str, dict[str, Any]]:
    """Options every sentry_* module takes to reach the API."""
    return {
        "api_url": {"type": "str", "default": DEFAULT_API_URL},
        "api_token": {"type": "str", "no_log": True},
        "api_timeout": {"type": "float", "default": 30.0},
        "api_retries": {"type": "int", "default": 3},
        "validate_certs": {"type": "bool", "default": True},
        "org": {"type": "str", "required": True},
    }


def client_from_params(params: Mapping[str, Any]) -> SentryClient:
    """Build a client from the options of client_argument_spec()."""
    return SentryClient(
        params["api_url"],
        params["api_token"],
        timeout=params["api_timeout"],
        max_attempts=1 + max(0, params["api_retries"]),
        validate_certs=params["validate_certs"],
    )


class SentryClient:
    """One Sentry organization's API, reached with one token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 30.0,
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        validate_certs: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not token:
            raise ValueError("an API token is required")
        self.root = api_root(base_url)
        self._token = token
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._context = None if validate_certs else _unverified_context()
        self.requests_made = 0

    def request(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        allow: tuple[int, ...] = (),
    ) -> Response:
        """Send one call, retrying 429/5xx; statuses in ``allow`` are returned, not raised."""
        full_path = self._full(path)
        url = self.root + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        data = None if body is None else json.dumps(body).encode()
        retryable = POST_RETRY_STATUSES if method == "POST" else RETRY_STATUSES
        for attempt in range(1, self.max_attempts + 1):
            status, headers, raw = self._send(method, url, full_path, data)
            if 200 <= status < 300 or status in allow:
                return Response(status, self._json(raw), headers)
            if status not in retryable or attempt == self.max_attempts:
                detail = self._scrub(_detail(raw))
                if status in retryable:
                    detail += f" (gave up after {attempt} attempts)"
                raise SentryAPIError(method, full_path, status, detail)
            self._sleep(self._wait(status, headers, attempt))
        raise AssertionError("unreachable")

    def get(self, path: str, query: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, query).data

    def paginate(self, path: str, query: Mapping[str, Any] | None = None) -> list[Any]:
        """GET every page of a list endpoint, following rel="next" while it has results."""
        params = dict(query or {})
        items: list[Any] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            response = self.request("GET", path, params)
            if not isinstance(response.data, list):
                raise SentryAPIError("GET", self._full(path), response.status, "not a JSON list")
            items.extend(response.data)
            cursor = next_cursor(_header(response.headers, "Link"))
            # An empty page ends the list even if the server claims more results.
            if cursor is None or cursor in seen or not response.data:
                return items
            seen.add(cursor)
            params["cursor"] = cursor
        raise SentryAPIError("GET", self._full(path), 200, f"more than {MAX_PAGES} pages")

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
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        self.requests_made += 1
        try:
            with urllib.request.urlopen(req, timeout=self.timeout, context=self._context) as resp:
                return resp.status, dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers.items()), err.read()
        except (TimeoutError, urllib.error.URLError, ConnectionError) as err:
            reason = getattr(err, "reason", err)
            raise SentryAPIError(method, full_path, None, self._scrub(str(reason))) from None

    def _wait(self, status: int, headers: Mapping[str, str], attempt: int) -> float:
        backoff = self.backoff * 2 ** (attempt - 1)
        if status == 429:
            retry_after = _header(headers, "Retry-After")
            reset = _header(headers, "X-Sentry-Rate-Limit-Reset")
            try:
                if retry_after is not None:
                    backoff = float(retry_after)
                elif reset is not None:
                    backoff = float(reset) - self._clock()
            except ValueError:
                pass
        return min(max(backoff, 0.0), self.max_wait)

    def _full(self, path: str) -> str:
        return urllib.parse.urlsplit(self.root).path + path

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "********")

    @staticmethod
    def _json(raw: bytes) -> Any:
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")

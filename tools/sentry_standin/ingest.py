"""Event ingestion: what SDKs post to the DSN (`/api/<project_id>/envelope/` and `/store/`)."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .state import State, now_iso

try:  # sentry-sdk compresses with brotli when the module is installed
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

COUNTERS = ("events_accepted", "events_refused", "envelopes_accepted", "envelopes_refused")
INGEST_PATH = re.compile(r"^/api/(?P<project_id>\d+)/(?P<endpoint>envelope|store)/$")


class IngestError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class Envelope:
    headers: dict[str, Any]
    items: list[tuple[dict[str, Any], bytes]]


def decompress(body: bytes, encoding: str | None) -> bytes:
    encoding = (encoding or "identity").strip().lower()
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
        if encoding == "br" and brotli is not None:
            return brotli.decompress(body)
    except (OSError, zlib.error, EOFError) as exc:
        raise IngestError(400, f"invalid {encoding} body: {exc}") from exc
    except Exception as exc:  # brotli.error has no stable import path
        raise IngestError(400, f"invalid {encoding} body: {exc}") from exc
    if encoding == "identity":
        return body
    raise IngestError(415, f"unsupported content encoding: {encoding}")


def _json_line(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IngestError(400, f"invalid envelope: {what} is not JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise IngestError(400, f"invalid envelope: {what} is not an object")
    return value


def parse_envelope(data: bytes) -> Envelope:
    """`Headers { "\\n" Item } [ "\\n" ]`; an item without `length` runs to the next newline."""
    head, sep, rest = data.partition(b"\n")
    if not head.strip():
        raise IngestError(400, "invalid envelope: empty envelope")
    headers = _json_line(head, "envelope header")
    items: list[tuple[dict[str, Any], bytes]] = []
    pos = 0 if sep else len(rest)
    while pos < len(rest):
        end = rest.find(b"\n", pos)
        line = rest[pos:] if end < 0 else rest[pos:end]
        pos = len(rest) if end < 0 else end + 1
        if not line.strip():
            continue
        item = _json_line(line, "item header")
        if "type" not in item:
            raise IngestError(400, "invalid envelope: item header without type")
        if "length" in item:
            length = item["length"]
            if not isinstance(length, int) or length < 0 or pos + length > len(rest):
                raise IngestError(400, "invalid envelope: item length out of range")
            payload, pos = rest[pos:pos + length], pos + length
            if rest[pos:pos + 1] == b"\n":
                pos += 1
        else:
            end = rest.find(b"\n", pos)
            payload = rest[pos:] if end < 0 else rest[pos:end]
            pos = len(rest) if end < 0 else end + 1
        items.append((item, payload))
    kinds = [item["type"] for item, _ in items]
    if kinds.count("event") > 1 or ("event" in kinds and "transaction" in kinds):
        raise IngestError(400, "invalid envelope: duplicate event or transaction item")
    if {"event", "transaction"} & set(kinds) and not headers.get("event_id"):
        raise IngestError(400, "invalid envelope: missing event_id header")
    return Envelope(headers, items)


def auth_keys(auth_header: str | None, query: dict[str, list[str]], dsn: str | None) -> set[str]:
    """All public keys the request presents (header, query string, envelope `dsn`)."""
    keys = set()
    if auth_header:
        value = auth_header.strip()
        value = value[len("Sentry "):] if value.lower().startswith("sentry ") else value
        for part in value.split(","):
            name, _, val = part.strip().partition("=")
            if name.strip() == "sentry_key" and val.strip():
                keys.add(val.strip())
    keys.update(v for v in query.get("sentry_key", []) if v)
    if dsn:
        public = urlsplit(dsn).username
        if public:
            keys.add(public)
    return keys


def authenticate(state: State, project_id: str, keys: set[str]) -> dict[str, Any]:
    if not keys:
        raise IngestError(403, "missing authorization information")
    if len(keys) > 1:
        raise IngestError(403, "conflicting authorization information")
    public = next(iter(keys))
    key = state.key_by_public(public)
    if key is None:
        raise IngestError(403, "invalid api key")
    if key["project"] != project_id:
        raise IngestError(403, "project id does not match the key's project")
    if not key["isActive"]:
        # Relay refuses a disabled key like an unknown project: 403, nothing stored.
        raise IngestError(403, "event submission rejected with_reason: ProjectId")
    return key


def count(state: State, public: str, envelope: Envelope, outcome: str) -> None:
    """Tally one envelope and its error events under the key it presented."""
    tally = state.ingest_counts.setdefault(public, dict.fromkeys(COUNTERS, 0))
    tally[f"envelopes_{outcome}"] += 1
    tally[f"events_{outcome}"] += sum(1 for item, _ in envelope.items if item["type"] == "event")


def counts_json(state: State) -> dict[str, Any]:
    """Per key: accepted and refused events and envelopes, with the key's name and status now
    (`exists: false` once deleted). Key "" collects posts with no key or disagreeing keys."""
    keys = []
    for public, tally in sorted(state.ingest_counts.items()):
        key = state.key_by_public(public) if public else None
        keys.append({"key": public, "name": key["name"] if key else None,
                     "project_id": key["project"] if key else None,
                     "exists": key is not None, "active": bool(key and key["isActive"]),
                     **tally})
    totals = {name: sum(k[name] for k in keys) for name in COUNTERS}
    return {"keys": keys, "totals": totals}


def decode_payload(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def ingest(
    state: State, project_id: str, endpoint: str, body: bytes, headers: Any,
    query: dict[str, list[str]],
) -> dict[str, Any]:
    """Check, parse and record one ingest post; returns the response body."""
    data = decompress(body, headers.get("Content-Encoding"))
    if endpoint == "store":
        payload = decode_payload(data)
        if not isinstance(payload, dict):
            raise IngestError(400, "invalid event payload: expected a JSON object")
        envelope = Envelope({"event_id": payload.get("event_id")},
                            [({"type": payload.get("type", "event")}, data)])
        dsn = None
    else:
        envelope = parse_envelope(data)
        dsn = envelope.headers.get("dsn")
    keys = auth_keys(headers.get("X-Sentry-Auth"), query, dsn)
    with state.lock:
        try:
            key = authenticate(state, project_id, keys)
        except IngestError:
            count(state, next(iter(keys)) if len(keys) == 1 else "", envelope, "refused")
            raise
        count(state, key["public"], envelope, "accepted")
        for item, payload in envelope.items:
            parsed = decode_payload(payload)
            if item["type"] in ("event", "transaction") and isinstance(parsed, dict):
                state.add_environment(parsed.get("environment"))
            state.events.append({
                "project_id": project_id,
                "key": key["public"],
                "type": item["type"],
                "event_id": envelope.headers.get("event_id"),
                "payload": parsed,
                "received_at": now_iso(),
            })
    event_id = envelope.headers.get("event_id")
    return {"id": event_id} if event_id else {}

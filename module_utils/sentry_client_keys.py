"""Project client keys (DSNs): find by name, create by name, activate or deactivate, rate
limit, delete; the key's id and DSN are kept apart from the result as secrets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.sentry_api import InputError, SentryClient, field_of, path_segment

# Sentry's documentation says "set rateLimit to null" to remove a limit, but its published
# schema types rateLimit as an object that is not nullable; both accept this object.
NO_LIMIT: dict[str, None] = {"window": None, "count": None}


class ClientKeyError(InputError):
    """Invalid input or an ambiguous key."""


def wanted_rate_limit(option: Mapping[str, Any] | None) -> tuple[bool, dict[str, int] | None]:
    """(managed, value): whether the limit is managed, and the limit (None = unlimited)."""
    if option is None:
        return False, None
    count, window = option.get("count"), option.get("window")
    if count is None and window is None:
        return True, None
    if count is None or window is None:
        raise ClientKeyError("rate_limit needs both count and window (or {} for no limit)")
    if count < 0 or not 1 <= window <= 86400:
        raise ClientKeyError("rate_limit needs count >= 0 and a window of 1 to 86400 seconds")
    return True, {"count": count, "window": window}


def _limit(key: Mapping[str, Any]) -> dict[str, int] | None:
    limit = key.get("rateLimit")
    if not limit or limit.get("count") is None or limit.get("window") is None:
        return None
    return {"count": int(limit["count"]), "window": int(limit["window"])}


def _view(key: Mapping[str, Any] | None) -> dict[str, Any]:
    if not key:
        return {}
    return {"name": key.get("name"), "active": key.get("isActive"), "rate_limit": _limit(key)}


def changes(key: Mapping[str, Any], active: bool, limit: tuple[bool, Any]) -> dict[str, Any]:
    """The PUT body that brings an existing key to the wanted state ({} when it is)."""
    body: dict[str, Any] = {}
    if bool(key.get("isActive")) != active:
        body["isActive"] = active
    managed, value = limit
    if managed and _limit(key) != value:
        body["rateLimit"] = NO_LIMIT if value is None else value
    return body


def list_keys(client: SentryClient, base: str) -> list[dict[str, Any]]:
    """The project's keys, each checked to carry the fields this module reads."""
    where = f"GET {client.full_path(base)}"
    keys = client.paginate(base)
    for key in keys:
        field_of(key, "id", where)
        field_of(key, "name", where, (str,))
        field_of(key, "isActive", where, (bool,))
    return keys


def find_key(keys: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    found = [k for k in keys if k.get("name") == name]
    if len(found) > 1:
        raise ClientKeyError(f"{len(found)} client keys are named {name!r}; rename or delete one")
    return found[0] if found else None


def summary(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The project's keys without their secret parts, for rotation to choose from."""
    return [
        {"name": k.get("name"), "active": k.get("isActive"), "rate_limit": _limit(k),
         "created": k.get("dateCreated")}
        for k in keys
    ]


def keys_path(params: Mapping[str, Any]) -> str:
    """The API path of the project's client keys (`org` and `project` validated as slugs)."""
    return f"/projects/{path_segment(params['org'])}/{path_segment(params['project'])}/keys/"


def ensure(client: SentryClient, params: Mapping[str, Any], check: bool) -> dict[str, Any]:
    name = params["name"]
    if not 1 <= len(name) <= 64:
        raise ClientKeyError("name must be 1 to 64 characters")
    limit = wanted_rate_limit(params["rate_limit"])
    base = keys_path(params)
    keys = list_keys(client, base)
    key = find_key(keys, name)
    before = _view(key)
    if params["state"] == "absent":
        if key and not check:
            client.delete(f"{base}{path_segment(key['id'])}/")
        action = "deleted" if key else "absent"
        return {**_result(action, key, name, None, before, {}),
                "keys": summary([k for k in keys if k is not key])}
    action = "unchanged"
    if key is None:
        action = "created"
        if not check:
            body: dict[str, Any] = {"name": name}
            if limit[0] and limit[1] is not None:
                body["rateLimit"] = limit[1]
            key = client.create(base, body, lambda: find_key(list_keys(client, base), name))
            keys.append(key)
        wanted = {"name": name, "active": params["active"], "rate_limit": limit[1]}
    if key is not None:
        update = changes(key, params["active"], limit)
        if update:
            action = "updated" if action == "unchanged" else action
            if not check:
                path = f"{base}{path_segment(key['id'])}/"
                new = client.request("PUT", path, body=update, expect=dict).data
            else:
                new = {**key, **update}
            keys[keys.index(key)] = new
            key = new
        wanted = _view(key)
    return {**_result(action, key, name, params["active"], before, wanted),
            "keys": summary(keys)}


def _result(
    action: str,
    key: Mapping[str, Any] | None,
    name: str,
    active: bool | None,
    before: dict[str, Any],
    after: dict[str, Any],
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "changed": action not in ("unchanged", "absent"),
        "action": action,
        "name": name,
        "active": active,
        "diff": {"before": before, "after": after},
    }
    if after:
        result["rate_limit"] = after.get("rate_limit")
    if key and after:
        result["project_id"] = str(key.get("projectId"))
        result["_secrets"] = {"id": key.get("id"), "dsn": (key.get("dsn") or {}).get("public")}
    return result



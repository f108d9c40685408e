"""Releases and deploys: input checks, and ensuring a release and a deploy of it exist."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ansible.module_utils.sentry_api import (
    InputError,
    SentryClient,
    check_slug,
    field_of,
    path_segment,
)

FORBIDDEN_VERSIONS = (".", "..", "latest")


class ReleaseError(InputError):
    """Invalid input."""


def _check_url(value: str | None, what: str, problems: list[str]) -> None:
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{what} must be an http(s) URL")


def _check_date(value: str | None, what: str, problems: list[str]) -> None:
    """An ISO 8601 date-time with its time zone: Sentry would read a time without one in
    its own zone (UTC), whatever the controller's."""
    if value is not None:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{what} must be an ISO 8601 date-time, got {value!r}")
            return
        if moment.utcoffset() is None:
            problems.append(f"{what} must give its time zone (Z or +hh:mm), got {value!r}")


def validate(params: Mapping[str, Any]) -> None:
    """Raise ReleaseError listing every problem of the options."""
    problems: list[str] = []
    version = params["version"]
    if not 1 <= len(version) <= 200 or re.search(r"[/\\\s]", version):
        problems.append("version must be 1 to 200 characters without slashes or whitespace")
    if version in FORBIDDEN_VERSIONS:
        problems.append(f"version cannot be {version!r}")
    if not params["projects"]:
        problems.append("projects must list at least one project slug")
    for slug in params["projects"]:
        try:
            check_slug(slug, "projects")
        except InputError as err:
            problems.append(str(err))
            break
    if params["ref"] is not None and len(params["ref"]) > 200:
        problems.append("ref must be at most 200 characters")
    _check_url(params["url"], "url", problems)
    deploy = params["deploy"]
    if deploy:
        if not 1 <= len(deploy["environment"]) <= 64:
            problems.append("deploy.environment must be 1 to 64 characters")
        if deploy["name"] is not None and not 1 <= len(deploy["name"]) <= 64:
            problems.append("deploy.name must be 1 to 64 characters")
        _check_url(deploy["url"], "deploy.url", problems)
        _check_date(deploy["started"], "deploy.started", problems)
        _check_date(deploy["finished"], "deploy.finished", problems)
    if problems:
        raise ReleaseError("; ".join(problems))


def _view(release: Mapping[str, Any] | None) -> dict[str, Any]:
    if not release:
        return {}
    return {
        "version": release.get("version"),
        "projects": sorted(p.get("slug") for p in release.get("projects") or []),
        "ref": release.get("ref"),
        "url": release.get("url"),
    }


def ensure_release(
    client: SentryClient, base: str, params: Mapping[str, Any], check: bool
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Returns (action, before view, after view)."""
    version = params["version"]
    path = f"{base}{path_segment(version)}/"
    current = _read(client, path)
    before = _view(current)
    projects = sorted(set(before.get("projects", [])) | set(params["projects"]))
    after = {**before, "version": version, "projects": projects}
    after.update({k: params[k] for k in ("ref", "url") if params[k] is not None})
    if current is None:
        after = {"ref": None, "url": None, **after}
        if not check:
            body = {"version": version, "projects": projects}
            body.update({k: params[k] for k in ("ref", "url") if params[k] is not None})
            client.create(base, body, lambda: _read(client, path))
        return "created", before, after
    if after == before:
        return "unchanged", before, after
    if not check:
        if projects != before["projects"]:
            # Creating an existing version adds the missing projects (Sentry answers 208).
            client.create(
                base, {"version": version, "projects": projects},
                lambda: _with_projects(_read(client, path), projects),
            )
        update = {k: after[k] for k in ("ref", "url") if after[k] != before[k]}
        if update:
            client.request("PUT", path, body=update)
    return "updated", before, after


def ensure_deploy(
    client: SentryClient, path: str, deploy: Mapping[str, Any], exists: bool, check: bool
) -> tuple[str, str | None]:
    """Returns (action, deploy id)."""
    found = _find_deploy(client, path, deploy) if exists else None
    if found is not None:
        return "unchanged", found
    if check:
        return "created", None
    fields = {
        "environment": deploy["environment"],
        "name": deploy["name"],
        "url": deploy["url"],
        "dateStarted": deploy["started"],
        "dateFinished": deploy["finished"],
    }
    body = {k: v for k, v in fields.items() if v is not None}
    created = client.create(path, body, lambda: _deploy_item(client, path, deploy))
    return "created", str(field_of(created, "id", f"POST {client.full_path(path)}"))


def _read(client: SentryClient, path: str) -> dict[str, Any] | None:
    response = client.request("GET", path, allow=(404,), expect=None)
    if response.status == 404:
        return None
    if not isinstance(response.data, dict):
        field_of(None, "version", f"GET {client.full_path(path)}")
    return response.data


def _with_projects(release: dict[str, Any] | None, projects: list[str]) -> dict[str, Any] | None:
    if release is None or not set(projects) <= set(_view(release)["projects"]):
        return None
    return release


def _deploy_item(
    client: SentryClient, path: str, deploy: Mapping[str, Any]
) -> dict[str, Any] | None:
    for item in client.paginate(path):
        same_name = deploy["name"] is None or item.get("name") == deploy["name"]
        if isinstance(item, dict) and item.get("environment") == deploy["environment"] \
                and same_name:
            return item
    return None


def _find_deploy(client: SentryClient, path: str, deploy: Mapping[str, Any]) -> str | None:
    item = _deploy_item(client, path, deploy)
    return None if item is None else str(field_of(item, "id", f"GET {client.full_path(path)}"))


def run(client: SentryClient, params: Mapping[str, Any], check: bool) -> dict[str, Any]:
    validate(params)
    base = f"/organizations/{path_segment(params['org'])}/releases/"
    action, before, after = ensure_release(client, base, params, check)
    result: dict[str, Any] = {
        "changed": action != "unchanged",
        "release_action": action,
        "version": params["version"],
        "diff": {"before": {"release": before}, "after": {"release": after}},
    }
    deploy = params["deploy"]
    if deploy:
        path = f"{base}{path_segment(params['version'])}/deploys/"
        exists = action != "created"
        deploy_action, deploy_id = ensure_deploy(client, path, deploy, exists, check)
        result.update(deploy_action=deploy_action, deploy_id=deploy_id)
        if deploy_action == "created":
            result["changed"] = True
            result["diff"]["after"]["deploy"] = {k: v for k, v in deploy.items() if v is not None}
    return result



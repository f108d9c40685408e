#!/usr/bin/python
"""Record a Sentry release and a deploy of it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.sentry_api import (
    SentryAPIError,
    SentryClient,
    client_argument_spec,
    client_from_params,
    path_segment,
)

DOCUMENTATION = r"""
---
module: sentry_release
short_description: Ensure a Sentry release exists and record a deploy of it
description:
  - Ensures a release (organization-wide O(version)) exists for the given projects, with the
    given O(ref) and O(url) when set.
  - With O(deploy), records a deploy of the release to an environment. A deploy with the same
    name (or, when no name is given, any deploy) already recorded for this release and
    environment counts as done, so re-running records nothing new.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
options:
  version:
    description:
      - Release version, for example C(web@1.4.2). At most 200 characters, without slashes,
        backslashes or whitespace, and not C(.), C(..) or C(latest).
    type: str
    required: true
  projects:
    description: Slugs of the projects the release belongs to. Missing ones are added.
    type: list
    elements: str
    required: true
  ref:
    description: VCS reference (commit, tag) of the release, at most 200 characters.
    type: str
  url:
    description: URL that points to the release (http or https).
    type: str
  deploy:
    description: A deploy of the release to record.
    type: dict
    suboptions:
      environment:
        description: Environment name, at most 64 characters.
        type: str
        required: true
      name:
        description: Deploy name, at most 64 characters. Identifies the deploy on re-runs.
        type: str
      url:
        description: URL of the deploy (http or https).
        type: str
      started:
        description: When the deploy started (ISO 8601).
        type: str
      finished:
        description: When the deploy finished (ISO 8601). Sentry uses the current time if omitted.
        type: str
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Record release web@1.4.2 and its deploy to production
  sentry_release:
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    version: web@1.4.2
    projects: [web]
    ref: 3f2c1a9
    deploy:
      environment: production
      name: "production-{{ deploy_id }}"
"""

RETURN = r"""
release_action:
  description: What was done to the release.
  returned: always
  type: str
  choices: [created, updated, unchanged]
deploy_action:
  description: Whether a deploy was recorded.
  returned: with O(deploy)
  type: str
  choices: [created, unchanged]
deploy_id:
  description: Id of the deploy that was recorded or found; null in check mode before it exists.
  returned: with O(deploy)
  type: str
version:
  description: The release version.
  returned: always
  type: str
"""

FORBIDDEN_VERSIONS = (".", "..", "latest")


class ReleaseError(ValueError):
    """Invalid input."""


def _check_url(value: str | None, what: str, problems: list[str]) -> None:
    if value is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{what} must be an http(s) URL")


def _check_date(value: str | None, what: str, problems: list[str]) -> None:
    if value is not None:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{what} must be an ISO 8601 date-time, got {value!r}")


def validate(params: Mapping[str, Any]) -> None:
    """Raise ReleaseError listing every problem of the options."""
    problems: list[str] = []
    version = params["version"]
    if not 1 <= len(version) <= 200 or re.search(r"[/\\\s]", version):
        problems.append("version must be 1 to 200 characters without slashes or whitespace")
    if version in FORBIDDEN_VERSIONS:
        problems.append(f"version cannot be {version!r}")
    if not params["projects"] or not all(params["projects"]):
        problems.append("projects must list at least one project slug")
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
    response = client.request("GET", path, allow=(404,))
    current = response.data if response.status != 404 else None
    before = _view(current)
    projects = sorted(set(before.get("projects", [])) | set(params["projects"]))
    after = {**before, "version": version, "projects": projects}
    after.update({k: params[k] for k in ("ref", "url") if params[k] is not None})
    if current is None:
        after = {"ref": None, "url": None, **after}
        if not check:
            body = {"version": version, "projects": projects}
            body.update({k: params[k] for k in ("ref", "url") if params[k] is not None})
            client.request("POST", base, body=body)
        return "created", before, after
    if after == before:
        return "unchanged", before, after
    if not check:
        if projects != before["projects"]:
            # Creating an existing version adds the missing projects (Sentry answers 208).
            client.request("POST", base, body={"version": version, "projects": projects})
        update = {k: after[k] for k in ("ref", "url") if after[k] != before[k]}
        if update:
            client.request("PUT", path, body=update)
    return "updated", before, after


def ensure_deploy(
    client: SentryClient, path: str, deploy: Mapping[str, Any], exists: bool, check: bool
) -> tuple[str, str | None]:
    """Returns (action, deploy id)."""
    if exists:
        for item in client.paginate(path):
            same_name = deploy["name"] is None or item.get("name") == deploy["name"]
            if item.get("environment") == deploy["environment"] and same_name:
                return "unchanged", str(item.get("id"))
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
    created = client.request("POST", path, body=body).data or {}
    return "created", str(created.get("id"))


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


def argument_spec() -> dict[str, Any]:
    spec = client_argument_spec()
    spec["api_token"]["required"] = True
    spec.update(
        version={"type": "str", "required": True},
        projects={"type": "list", "elements": "str", "required": True},
        ref={"type": "str"},
        url={"type": "str"},
        deploy={
            "type": "dict",
            "options": {
                "environment": {"type": "str", "required": True},
                "name": {"type": "str"},
                "url": {"type": "str"},
                "started": {"type": "str"},
                "finished": {"type": "str"},
            },
        },
    )
    return spec


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        module.exit_json(**run(client_from_params(module.params), module.params, module.check_mode))
    except ReleaseError as err:
        module.fail_json(msg=str(err))
    except SentryAPIError as err:
        module.fail_json(msg=str(err), status=err.status)


if __name__ == "__main__":
    main()

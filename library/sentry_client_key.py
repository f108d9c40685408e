#!/usr/bin/python
"""Manage a Sentry project client key (DSN)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
module: sentry_client_key
short_description: Manage a Sentry project client key (DSN)
description:
  - Ensures a client key of a Sentry project, found by name, is present or absent, active or
    inactive, with an optional rate limit.
  - The key's DSN is a secret. It is returned only with O(reveal=true), and the module refuses
    to reveal it unless the task itself has C(no_log) set, so it never reaches Ansible's output.
    Sentry's key id is the key's public part (the user part of the DSN), so it is treated the
    same way.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
options:
  project:
    description: Project slug.
    type: str
    required: true
  name:
    description: Key name (1 to 64 characters). Must be unique among the project's keys.
    type: str
    required: true
  state:
    description: Whether the key exists. Deleting a key needs the C(project:admin) scope.
    type: str
    choices: [present, absent]
    default: present
  active:
    description: Whether the key accepts events.
    type: bool
    default: true
  rate_limit:
    description:
      - Events accepted per O(rate_limit.window) seconds. Left as it is when omitted;
        an empty dict (C({})) removes the limit.
    type: dict
    suboptions:
      count:
        description: Number of events (0 or more).
        type: int
      window:
        description: Window in seconds (1 to 86400).
        type: int
  reveal:
    description:
      - Return the key's O(ignore:id) and public DSN (RV(dsn)).
      - "Requires C(no_log: true) on the task; register the result and use it in later tasks."
    type: bool
    default: false
notes:
  - Supports check mode and diff mode. The diff shows name, active state and rate limit only.
"""

EXAMPLES = r"""
- name: Ensure the web project has an active key named production
  sentry_client_key:
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    name: production
    rate_limit: {count: 1000, window: 60}

- name: Create the next key and read its DSN without printing it
  sentry_client_key:
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    name: production-2
    reveal: true
  register: new_key
  no_log: true

- name: Deactivate the previous key
  sentry_client_key:
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    name: production
    active: false
"""

RETURN = r"""
action:
  description: What was done (or would be done in check mode).
  returned: always
  type: str
  choices: [created, updated, deleted, unchanged, absent]
name:
  description: Key name.
  returned: always
  type: str
active:
  description: Whether the key accepts events; null when the key is absent.
  returned: always
  type: bool
rate_limit:
  description: The key's rate limit, null when it has none.
  returned: with O(state=present)
  type: dict
  sample: {count: 1000, window: 60}
project_id:
  description: Numeric id of the project, as used in the DSN path.
  returned: with O(state=present), when the key exists
  type: str
id:
  description: Key id (equal to the key's public part on Sentry). Secret.
  returned: with O(reveal=true), when the key exists
  type: str
dsn:
  description: The public DSN (C(dsn.public)) to configure SDKs with. Secret.
  returned: with O(reveal=true), when the key exists
  type: str
"""


class ClientKeyError(ValueError):
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
        body["rateLimit"] = value
    return body


def find_key(client: SentryClient, base: str, name: str) -> dict[str, Any] | None:
    found = [k for k in client.paginate(base) if k.get("name") == name]
    if len(found) > 1:
        raise ClientKeyError(f"{len(found)} client keys are named {name!r}; rename or delete one")
    return found[0] if found else None


def ensure(client: SentryClient, params: Mapping[str, Any], check: bool) -> dict[str, Any]:
    name = params["name"]
    if not 1 <= len(name) <= 64:
        raise ClientKeyError("name must be 1 to 64 characters")
    limit = wanted_rate_limit(params["rate_limit"])
    base = f"/projects/{path_segment(params['org'])}/{path_segment(params['project'])}/keys/"
    key = find_key(client, base, name)
    before = _view(key)
    if params["state"] == "absent":
        if key and not check:
            client.request("DELETE", f"{base}{path_segment(key['id'])}/")
        action = "deleted" if key else "absent"
        return _result(action, key, name, None, before, {})
    action = "unchanged"
    if key is None:
        action = "created"
        if not check:
            body: dict[str, Any] = {"name": name}
            if limit[0] and limit[1] is not None:
                body["rateLimit"] = limit[1]
            key = client.request("POST", base, body=body).data
        wanted = {"name": name, "active": params["active"], "rate_limit": limit[1]}
    if key is not None:
        update = changes(key, params["active"], limit)
        if update:
            action = "updated" if action == "unchanged" else action
            if not check:
                key = client.request("PUT", f"{base}{path_segment(key['id'])}/", body=update).data
            else:
                key = {**key, **update}
        wanted = _view(key)
    return _result(action, key, name, params["active"], before, wanted)


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


def argument_spec() -> dict[str, Any]:
    spec = client_argument_spec()
    spec["api_token"]["required"] = True
    spec.update(
        project={"type": "str", "required": True},
        name={"type": "str", "required": True},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        active={"type": "bool", "default": True},
        rate_limit={
            "type": "dict",
            "options": {"count": {"type": "int"}, "window": {"type": "int"}},
        },
        reveal={"type": "bool", "default": False},
    )
    return spec


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if module.params["reveal"] and not module.no_log:
        module.fail_json(msg="reveal: true returns the DSN; set no_log: true on this task")
    try:
        result = ensure(client_from_params(module.params), module.params, module.check_mode)
    except ClientKeyError as err:
        module.fail_json(msg=str(err))
    except SentryAPIError as err:
        module.fail_json(msg=str(err), status=err.status)
    secrets = result.pop("_secrets", None)
    if module.params["reveal"] and secrets:
        result.update(secrets)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

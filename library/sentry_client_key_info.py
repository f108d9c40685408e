#!/usr/bin/python
"""Read a Sentry project's client keys (read-only)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.sentry_api import InputError
from ansible.module_utils.sentry_client_keys import keys_path, list_keys, summary
from ansible.module_utils.sentry_runner import argument_spec as full_spec
from ansible.module_utils.sentry_runner import run_module

DOCUMENTATION = r"""
---
module: sentry_client_key_info
short_description: Read a Sentry project's client keys (DSNs)
description:
  - Lists the client keys of a project, every page of them, with their name, whether they
    accept events, their rate limit and when they were made. Changes nothing.
  - The keys' ids and DSNs are secrets and are returned only with O(reveal=true).
version_added: "0.3.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
  - sentry_project
  - sentry_attributes
options:
  name:
    description: Only the key of this name (an empty list when there is none).
    type: str
  reveal:
    description:
      - Also return each key's public DSN (C(dsn)) and public key (C(public)). The task must
        set C(no_log) then.
    type: bool
    default: false
seealso:
  - module: sentry_client_key
"""

EXAMPLES = r"""
- name: Read the web project's client keys
  sentry_client_key_info:
    api_url: https://sentry.example.com
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
  register: web_keys
"""

RETURN = r"""
keys:
  description: The project's client keys (with O(name), the one of that name, if any).
  returned: always
  type: list
  elements: dict
  sample:
    - {name: Default, active: true, rate_limit: null, created: "2026-01-02T03:04:05Z",
       project_id: "4501"}
"""


def options() -> dict[str, Any]:
    return {
        "project": {"type": "str", "required": True},
        "name": {"type": "str"},
        "reveal": {"type": "bool", "default": False},
    }


def argument_spec() -> dict[str, Any]:
    return full_spec(options())


def before(module: Any) -> None:
    if module.params["reveal"] and not module.no_log:
        raise InputError("reveal: true returns the DSNs; set no_log: true on this task")


def work(module: Any, client: Any) -> dict[str, Any]:
    params = module.params
    base = keys_path(params)
    keys = [k for k in list_keys(client, base)
            if params["name"] is None or k.get("name") == params["name"]]
    found = []
    for key, view in zip(keys, summary(keys), strict=True):
        view["project_id"] = str(key.get("projectId"))
        if params["reveal"]:
            view.update(public=key.get("public"), dsn=(key.get("dsn") or {}).get("public"))
        found.append(view)
    return {"changed": False, "keys": found}


def main() -> None:
    run_module(options(), work, slugs=("project",), before=before)


if __name__ == "__main__":
    main()

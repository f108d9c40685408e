#!/usr/bin/python
"""Manage a Sentry project client key (DSN)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.sentry_api import InputError
from ansible.module_utils.sentry_client_keys import ensure, wanted_rate_limit
from ansible.module_utils.sentry_runner import argument_spec as full_spec
from ansible.module_utils.sentry_runner import run_module

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
  - sentry_project
  - sentry_attributes
options:
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
      - "Sentry's documentation removes a limit with C(rateLimit=null), which its published
        schema does not allow (C(rateLimit) is an object there); the module sends an object
        whose C(window) and C(count) are null, which both accept."
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
  - The diff shows name, active state and rate limit only.
  - For DSN rotation, RV(keys) lists the project's keys (names, active state, rate limit,
    creation date, no secret), so a play can create the next key by name, deploy its DSN,
    then deactivate (O(active=false)) and later delete (O(state=absent)) the previous one.
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
keys:
  description: The project's client keys after the run, without their ids or DSNs.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: Default, active: false, rate_limit: null, created: "2026-01-02T03:04:05Z"}
    - name: production-2
      active: true
      rate_limit: {count: 1000, window: 60}
      created: "2026-03-04T05:06:07Z"
"""


def options() -> dict[str, Any]:
    return {
        "project": {"type": "str", "required": True},
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "active": {"type": "bool", "default": True},
        "rate_limit": {
            "type": "dict",
            "options": {"count": {"type": "int"}, "window": {"type": "int"}},
        },
        "reveal": {"type": "bool", "default": False},
    }


def argument_spec() -> dict[str, Any]:
    return full_spec(options())


def before(module: Any) -> None:
    if module.params["reveal"] and not module.no_log:
        raise InputError("reveal: true returns the DSN; set no_log: true on this task")
    if not 1 <= len(module.params["name"]) <= 64:
        raise InputError("name must be 1 to 64 characters")
    wanted_rate_limit(module.params["rate_limit"])


def work(module: Any, client: Any) -> dict[str, Any]:
    result = ensure(client, module.params, module.check_mode)
    secrets = result.pop("_secrets", None)
    if module.params["reveal"] and secrets:
        result.update(secrets)
    return result


def main() -> None:
    run_module(options(), work, slugs=("project",), before=before)


if __name__ == "__main__":
    main()

#!/usr/bin/python
"""Plan and record a Sentry DSN rotation (the decisions of roles/sentry_dsn)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.sentry_api import InputError, field_of
from ansible.module_utils.sentry_client_keys import keys_path, list_keys
from ansible.module_utils.sentry_dsn import env_dsn, parse_dsn
from ansible.module_utils.sentry_rotation import (
    decide,
    keys_of,
    read_record,
    recorded_deletions,
    recorded_finish,
    recorded_start,
    write_record,
)
from ansible.module_utils.sentry_runner import argument_spec as full_spec
from ansible.module_utils.sentry_runner import run_module

DOCUMENTATION = r"""
---
module: sentry_dsn_rotation
short_description: Plan a Sentry DSN rotation, and record its progress
description:
  - With O(step=plan) (read-only), works out where the rotation of a project's DSN stands
    from the rotation's state file, the project's client keys (read from Sentry, every
    page), the DSN in the vault and the DSN each host's C(.env) uses, and returns what is
    left to do. An interrupted rotation is resumed with the keys it started with.
  - With O(step=started), O(step=finished) or O(step=deleted), records a step in the state
    file (atomically; key names and dates only, no secret).
  - Refuses, changing nothing, when the vault's DSN is not one of the project's keys (or, in
    a rotation under way, is another key than its old or new one), and when two keys share
    the name of the old or the new key.
version_added: "0.3.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
  - sentry_project
  - sentry_attributes
options:
  state_file:
    description: The rotation's state file on the controller (created by O(step=started)).
    type: path
    required: true
  step:
    description:
      - V(plan) returns the plan. V(started) records that the rotation from O(old_key) to
        O(new_key) began (before the vault changes). V(finished) records that O(old_key) was
        deactivated. V(deleted) records that the retired keys O(deleted_keys) were deleted.
    type: str
    choices: [plan, started, finished, deleted]
    default: plan
  vault_dsn:
    description: The DSN the vault holds now. Required with O(step=plan).
    type: str
  host_env_files:
    description:
      - Each host's C(.env), base64-encoded as M(ansible.builtin.slurp) returns it, by
        host name. The DSN is read from C(SENTRY_DSN) (else C(DSN)).
    type: dict
    default: {}
  key_name:
    description: Name of the new key for a rotation that has not started yet (1 to 64).
    type: str
  delete_old_after:
    description: Days after its deactivation before a retired key is due for deletion;
      unset never.
    type: int
  old_key:
    description: The old key's name, with O(step=started) or O(step=finished).
    type: str
  new_key:
    description: The new key's name, with O(step=started).
    type: str
  deleted_keys:
    description: Names of the retired keys deleted, with O(step=deleted).
    type: list
    elements: str
    default: []
seealso:
  - module: sentry_client_key
  - module: sentry_client_key_info
"""

EXAMPLES = r"""
- name: Plan the rotation
  sentry_dsn_rotation:
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    state_file: "{{ inventory_dir }}/group_vars/all/sentry_dsn_rotation.yml"
    vault_dsn: "{{ vault_sentry_dsn }}"
    host_env_files: {web1: "{{ web1_env.content }}"}
    key_name: web 2026-11-29
  no_log: true
  register: rotation
"""

RETURN = r"""
old_key:
  description: The key the rotation moves away from.
  returned: with O(step=plan)
  type: str
new_key:
  description: The key the rotation moves to.
  returned: with O(step=plan)
  type: str
resuming:
  description: Whether a rotation recorded in the state file is resumed.
  returned: with O(step=plan)
  type: bool
done:
  description: Whether there is nothing to do (the vault holds the key O(key_name) already).
  returned: with O(step=plan)
  type: bool
create_key:
  description: Whether the new key does not exist yet.
  returned: with O(step=plan)
  type: bool
write_vault:
  description: Whether the vault does not hold the new key's DSN yet.
  returned: with O(step=plan)
  type: bool
retire:
  description: Whether the old key exists and is still active.
  returned: with O(step=plan)
  type: bool
hosts_pending:
  description: The hosts whose C(.env) does not use the new key yet.
  returned: with O(step=plan)
  type: list
  elements: str
expired:
  description: Retired keys whose grace period (O(delete_old_after)) is over.
  returned: with O(step=plan)
  type: list
  elements: str
plan:
  description: The plan in words.
  returned: with O(step=plan)
  type: list
  elements: str
"""


def options() -> dict[str, Any]:
    return {
        "project": {"type": "str", "required": True},
        "state_file": {"type": "path", "required": True},
        "step": {"type": "str", "choices": ["plan", "started", "finished", "deleted"],
                 "default": "plan"},
        "vault_dsn": {"type": "str", "no_log": True},
        "host_env_files": {"type": "dict", "default": {}, "no_log": True},
        "key_name": {"type": "str"},
        "delete_old_after": {"type": "int"},
        "old_key": {"type": "str"},
        "new_key": {"type": "str"},
        "deleted_keys": {"type": "list", "elements": "str", "default": []},
    }


def argument_spec() -> dict[str, Any]:
    return full_spec(options())


def host_publics(files: dict[str, Any]) -> dict[str, str | None]:
    """The public key of each host's .env DSN (None when it has none)."""
    publics: dict[str, str | None] = {}
    for host, encoded in files.items():
        try:
            text = base64.b64decode(str(encoded), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InputError(f"host_env_files: the .env of {host} is not base64 text") from None
        dsn = env_dsn(text)
        publics[host] = parse_dsn(dsn, f"the .env DSN of {host}").public_key if dsn else None
    return publics


def plan(module: Any, client: Any, now: datetime) -> dict[str, Any]:
    params = module.params
    name = params["key_name"] or ""
    if not 1 <= len(name) <= 64:
        raise InputError("key_name must be 1 to 64 characters")
    if params["delete_old_after"] is not None and params["delete_old_after"] < 0:
        raise InputError("delete_old_after must be 0 or more days")
    vault = parse_dsn(params["vault_dsn"], "vault_dsn")
    hosts = host_publics(params["host_env_files"])
    record = read_record(params["state_file"])
    base = keys_path(params)
    items = list_keys(client, base)
    for item in items:
        field_of(item, "public", f"GET {client.full_path(base)}", (str,))
    decision = decide(record, keys_of(items), vault.public_key, hosts, name,
                      params["project"], now, params["delete_old_after"])
    label = f"{params['org']}/{params['project']}"
    return {"changed": False, **decision.result(sorted(hosts), label)}


def record(module: Any, now: datetime) -> dict[str, Any]:
    params = module.params
    path, step = params["state_file"], params["step"]
    current = read_record(path)
    if step == "started":
        if not params["old_key"] or not params["new_key"]:
            raise InputError("step=started needs old_key and new_key")
        wanted = recorded_start(current, params["project"], params["old_key"],
                                params["new_key"], now)
    elif step == "finished":
        if not params["old_key"]:
            raise InputError("step=finished needs old_key")
        wanted = recorded_finish(current, params["old_key"], now)
    else:
        wanted = recorded_deletions(current, params["deleted_keys"], now)
    changed = wanted != current
    if changed and not module.check_mode:
        write_record(path, wanted)
    return {"changed": changed, "state": wanted}


def work(module: Any, client: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    if module.params["step"] == "plan":
        return plan(module, client, now)
    return record(module, now)


def main() -> None:
    run_module(options(), work, slugs=("project",))


if __name__ == "__main__":
    main()

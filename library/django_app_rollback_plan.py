#!/usr/bin/python
"""Choose the fleet's one rollback target (read-only, on the controller)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.release_records import RecordError, rollback_plan

DOCUMENTATION = r"""
---
module: django_app_rollback_plan
short_description: Choose one release to roll the whole fleet back to
description:
  - Takes what M(django_app_release_info) read on every host and chooses one target for all
    of them, so a fleet a deploy left half-way goes back to one release, not one per host.
  - Without O(to), the target is the newest release before the one the fleet last moved to
    (on any host), skipping releases a rollback already moved away from; two rollbacks in a
    row go two releases back, never forth again.
  - With O(to), the newest retained release of that tag or version.
  - The target must be retained on every host; the error names the hosts that lack it.
  - Run it once on the controller (C(run_once), C(delegate_to=localhost)). Changes nothing.
version_added: "0.4.0"
author:
  - django-sentry-deploy maintainers
options:
  hosts:
    description: Each host's C(records) as M(django_app_release_info) returns them, by host name.
    type: dict
    required: true
  to:
    description: A release's tag or version to go to; empty for the previous release.
    type: str
    default: ""
seealso:
  - module: django_app_release_info
"""

EXAMPLES = r"""
- name: Choose the release the fleet goes back to
  django_app_rollback_plan:
    hosts: >-
      {{ dict(ansible_play_hosts | zip(ansible_play_hosts
         | map('extract', hostvars, 'web_releases'))) }}
  delegate_to: localhost
  run_once: true
  register: web_rollback
"""

RETURN = r"""
tag:
  description: The target release's tag.
  returned: always
  type: str
version:
  description: The target release's version.
  returned: always
  type: str
from:
  description: The tag of the release the fleet last moved to.
  returned: always
  type: str
rolled_back:
  description: The tag to mark rolled back (empty when the target is that release itself).
  returned: always
  type: str
"""


def argument_spec() -> dict[str, Any]:
    return {"hosts": {"type": "dict", "required": True}, "to": {"type": "str", "default": ""}}


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        plan = rollback_plan(module.params["hosts"], module.params["to"])
    except (RecordError, KeyError, TypeError) as err:
        module.fail_json(msg=f"Rollback: {err}")
    module.exit_json(changed=False, **plan)


if __name__ == "__main__":
    main()

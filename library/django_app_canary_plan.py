#!/usr/bin/python
"""Plan Sentry's judgement of a deploy's canary (read-only, on the controller)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.release_records import RecordError, canary_plan

DOCUMENTATION = r"""
---
module: django_app_canary_plan
short_description: Decide whether Sentry judges a deploy's canary, since when and against what
description:
  - Takes what M(django_app_release_info) read on every host before the switch and the deploy's
    first batch (the canary), and says whether the canary is judged, since when, against which
    release (Sentry's version) and which release each canary host goes back to on a fail.
  - A canary host that switches in this run is judged from now against the release it served.
    One that already serves the release is judged from when it took it, against the release
    before, while another host does not serve it yet, so a run killed during the canary's window
    is judged again by the next run rather than waved through.
  - Nothing is judged on a first deploy, once every host serves the release, or when the
    previous release has the same version (Sentry could not tell them apart).
  - Run it once on the controller (C(run_once), C(delegate_to=localhost)). Changes nothing.
version_added: "0.5.0"
author:
  - django-sentry-deploy maintainers
options:
  hosts:
    description: Each host's release info as M(django_app_release_info) returns it, by host name.
    type: dict
    required: true
  canary:
    description: The hosts of the deploy's first batch.
    type: list
    elements: str
    required: true
  tag:
    description: The deployed release's tag.
    type: str
    required: true
  version:
    description: The deployed release's version.
    type: str
    required: true
  switched_at:
    description: When the first canary host moved its traffic in this run (ISO 8601); empty
      for now.
    type: str
    default: ""
seealso:
  - module: django_app_release_info
  - module: sentry_release_gate
"""

EXAMPLES = r"""
- name: Plan the canary's judgement
  django_app_canary_plan:
    hosts: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all
         | map('extract', hostvars, 'web_releases'))) }}
    canary: "{{ ansible_play_batch }}"
    tag: "{{ web_release.tag }}"
    version: "{{ web_release.version }}"
  delegate_to: localhost
  run_once: true
  register: web_canary
"""

RETURN = r"""
judge:
  description: Whether Sentry judges the canary.
  returned: always
  type: bool
since:
  description: When the canary took the traffic (ISO 8601, UTC); empty when not judged.
  returned: always
  type: str
baseline:
  description: The version of the release the canary is compared with; empty when not judged.
  returned: always
  type: str
baselines:
  description: The record of the release each canary host goes back to on a fail, by host name.
  returned: always
  type: dict
"""


def argument_spec() -> dict[str, Any]:
    return {
        "hosts": {"type": "dict", "required": True},
        "canary": {"type": "list", "elements": "str", "required": True},
        "tag": {"type": "str", "required": True},
        "version": {"type": "str", "required": True},
        "switched_at": {"type": "str", "default": ""},
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        plan = canary_plan(params["hosts"], params["canary"], params["tag"], params["version"],
                           params["switched_at"] or None)
    except (RecordError, KeyError, TypeError, ValueError) as err:
        module.fail_json(msg=f"Canary: {err}")
    module.exit_json(changed=False, **plan)


if __name__ == "__main__":
    main()

#!/usr/bin/python
"""Read an app host's release records (read-only)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.release_records import RecordError, read_host

DOCUMENTATION = r"""
---
module: django_app_release_info
short_description: Read the releases an app host retains and the container that serves
description:
  - Reads the release records the M(django_app_release) module keeps under the app's
    directory. Changes nothing. A missing directory is a host with no release yet.
version_added: "0.4.0"
author:
  - django-sentry-deploy maintainers
options:
  app_dir:
    description: The app's directory on the host (C(django_app_dir)).
    type: path
    required: true
seealso:
  - module: django_app_release
  - module: django_app_rollback_plan
"""

EXAMPLES = r"""
- name: Read the host's releases
  django_app_release_info:
    app_dir: /opt/web
  register: web_releases
"""

RETURN = r"""
serving:
  description: The container that serves traffic (empty before the first release).
  returned: always
  type: str
  sample: web-1.4.2-3f2a9c1b7d0e-5c1d0a9e2b
records:
  description: >-
    The retained releases, newest activation first: C(tag), C(version), C(revision),
    C(image), C(container), C(env) (the container's environment), C(activated) and, for a
    release a rollback moved away from, C(rolled_back).
  returned: always
  type: list
  elements: dict
configs:
  description: The containers whose configuration directory is kept.
  returned: always
  type: list
  elements: str
"""


def argument_spec() -> dict[str, Any]:
    return {"app_dir": {"type": "path", "required": True}}


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        module.exit_json(changed=False, **read_host(module.params["app_dir"]))
    except RecordError as err:
        module.fail_json(msg=str(err))


if __name__ == "__main__":
    main()

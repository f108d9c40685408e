#!/usr/bin/python
"""Record which release serves an app host, mark one rolled back, prune old ones."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.release_records import (
    RecordError,
    mark_rolled_back,
    prune,
    record_serving,
)

DOCUMENTATION = r"""
---
module: django_app_release
short_description: Keep an app host's release records
description:
  - The one writer of the records M(django_app_release_info) reads; each file is written
    through a rename, so a run killed at any point leaves the old file or the new one.
  - O(state=serving) records that O(release) serves traffic now (after the switch).
  - O(state=rolled_back) marks the release O(tag) as one a rollback moved away from; a later
    rollback never chooses it. A deploy of it records it afresh and clears the mark.
  - O(state=pruned) keeps the O(keep) newest records (and always the serving one), and the
    configuration directories of kept records and of O(running) containers; it returns what
    it dropped, so the caller removes those images.
version_added: "0.4.0"
author:
  - django-sentry-deploy maintainers
options:
  app_dir:
    description: The app's directory on the host (C(django_app_dir)).
    type: path
    required: true
  state:
    description: What to do.
    type: str
    choices: [serving, rolled_back, pruned]
    required: true
  release:
    description: >-
      With O(state=serving): C(tag), C(version), C(revision), C(image), C(container) and
      C(env) (the container's environment; nothing secret).
    type: dict
  tag:
    description: With O(state=rolled_back), the release's tag.
    type: str
  keep:
    description: With O(state=pruned), how many releases to keep.
    type: int
  running:
    description: With O(state=pruned), the app containers that exist on the host.
    type: list
    elements: str
    default: []
seealso:
  - module: django_app_release_info
"""

EXAMPLES = r"""
- name: Record the release that serves traffic
  django_app_release:
    app_dir: /opt/web
    state: serving
    release:
      tag: 1.4.2-3f2a9c1b7d0e
      version: 1.4.2
      revision: ""
      image: acme/web:1.4.2-3f2a9c1b7d0e
      container: web-1.4.2-3f2a9c1b7d0e-5c1d0a9e2b
      env: {SENTRY_RELEASE: web@1.4.2}
"""

RETURN = r"""
pruned:
  description: >-
    With O(state=pruned), the dropped records (C(records)) and configurations (C(configs)).
  returned: when state is pruned
  type: dict
"""


STATES = ("serving", "rolled_back", "pruned")


def apply(module: Any) -> dict[str, Any]:
    params = module.params
    if module.check_mode:
        return {"changed": True}
    if params["state"] == "serving":
        return {"changed": record_serving(params["app_dir"], params["release"] or {})}
    if params["state"] == "rolled_back":
        return {"changed": mark_rolled_back(params["app_dir"], params["tag"] or "")}
    pruned = prune(params["app_dir"], params["keep"] or 0, params["running"])
    return {"changed": bool(pruned["records"] or pruned["configs"]), "pruned": pruned}


def argument_spec() -> dict[str, Any]:
    return {
        "app_dir": {"type": "path", "required": True},
        "state": {"type": "str", "required": True, "choices": list(STATES)},
        "release": {"type": "dict"},
        "tag": {"type": "str"},
        "keep": {"type": "int"},
        "running": {"type": "list", "elements": "str", "default": []},
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[
            ("state", "serving", ["release"]),
            ("state", "rolled_back", ["tag"]),
            ("state", "pruned", ["keep"]),
        ],
        supports_check_mode=True,
    )
    try:
        module.exit_json(**apply(module))
    except (RecordError, OSError) as err:
        module.fail_json(msg=str(err))


if __name__ == "__main__":
    main()

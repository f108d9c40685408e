#!/usr/bin/python
"""Record a Sentry release and a deploy of it."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.sentry_releases import run, validate
from ansible.module_utils.sentry_runner import argument_spec as full_spec
from ansible.module_utils.sentry_runner import run_module

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
  - sentry_attributes
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
        description: When the deploy started (ISO 8601, with its time zone, C(Z) or C(+hh:mm)).
        type: str
      finished:
        description:
          - When the deploy finished (ISO 8601, with its time zone).
          - Sentry uses the current time if omitted.
        type: str
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

def options() -> dict[str, Any]:
    return dict(
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


def argument_spec() -> dict[str, Any]:
    return full_spec(options())


def main() -> None:
    run_module(
        options(),
        lambda module, client: run(client, module.params, module.check_mode),
        before=lambda module: validate(module.params),
    )


if __name__ == "__main__":
    main()

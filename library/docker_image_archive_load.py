#!/usr/bin/python
"""Load an image archive into the host's engine, then remove it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.image_archive import ArchiveError, load

DOCUMENTATION = r"""
---
module: docker_image_archive_load
short_description: Load a compressed image archive into Docker, then remove it
description:
  - Streams O(path) into C(docker load), through C(zstd -d) for a C(.tar.zst) archive
    (Docker 20.10 reads gzip but not zstd), and removes O(path) afterwards, whether the
    load worked or not.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
attributes:
  check_mode:
    description: Not supported; skip the task in check mode.
    support: none
  diff_mode:
    description: Returns no diff.
    support: none
  idempotent:
    description: Loading images already present changes no image; the task still reports a change.
    support: partial
options:
  path:
    description: The archive on the host (C(.tar.zst) or C(.tar.gz)).
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Load the images into the host's engine
  docker_image_archive_load:
    path: /opt/web/images/web-3f2a9c0d1b4e5f60.tar.zst
"""

RETURN = r"""
images:
  description: The images loaded, as C(docker load) names them.
  returned: success
  type: list
  elements: str
"""


def argument_spec() -> dict[str, Any]:
    return dict(path={"type": "path", "required": True})


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec())
    try:
        images = load(Path(module.params["path"]))
    except (ArchiveError, OSError) as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=True, images=images)


if __name__ == "__main__":
    main()

#!/usr/bin/python
"""Check that a host can receive and load an image archive: zstd, and free disk space."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.image_archive import ArchiveError, host_space, space_message

DOCUMENTATION = r"""
---
module: docker_archive_space
short_description: Check a host's room for an image archive and whether it has zstd
description:
  - Reports whether the host has C(zstd) (RV(zstd)).
  - Fails with one line when the filesystem of O(archive_dir) or of Docker's data
    directory has less free space than O(archive_size) x O(factor) bytes (the archive, then
    the layers C(docker load) unpacks from it). Each filesystem is counted once.
  - Changes nothing.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
attributes:
  check_mode:
    description: Runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  idempotent:
    description: Changes nothing.
    support: full
options:
  archive_dir:
    description: Directory the archive will be copied to (need not exist yet).
    type: path
    required: true
  archive_size:
    description: Size of the archive in bytes; 0 only reports RV(zstd).
    type: int
    default: 0
  factor:
    description: Free space needed, as a multiple of O(archive_size).
    type: float
    default: 3
"""

EXAMPLES = r"""
- name: Check the host has room for the release's archive
  docker_archive_space:
    archive_dir: /opt/web/images
    archive_size: "{{ django_app_archive.size }}"
    factor: 3
"""

RETURN = r"""
zstd:
  description: Whether the host has C(zstd).
  returned: success
  type: bool
need:
  description: Free bytes needed on each filesystem.
  returned: success
  type: int
"""


def argument_spec() -> dict[str, Any]:
    return dict(
        archive_dir={"type": "path", "required": True},
        archive_size={"type": "int", "default": 0},
        factor={"type": "float", "default": 3},
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        found = host_space(params)
    except (ArchiveError, OSError) as err:
        module.fail_json(msg=str(err))
    if found["short"]:
        module.fail_json(
            msg=space_message(params["archive_size"], params["factor"], found["short"]),
            zstd=found["zstd"],
            need=found["need"],
        )
    module.exit_json(changed=False, zstd=found["zstd"], need=found["need"])


if __name__ == "__main__":
    main()

#!/usr/bin/python
"""Export images to a compressed archive named by their ids, kept for the next deploy."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.image_archive import ArchiveError, make_archive

DOCUMENTATION = r"""
---
module: docker_image_archive
short_description: Export Docker images to one compressed archive, cached by content
description:
  - Writes C(docker save) of O(names) to O(dest_dir)/O(prefix)-KEY.tar.zst, where KEY is a
    digest of the images' names and ids; an archive of the same images already there is
    reused (C(docker save) is byte-identical for the same images).
  - Compressed with zstd when this machine has C(zstd) and every receiving host has it
    (O(receivers)), else with gzip (C(.tar.gz)), which C(docker load) reads itself.
  - The other archives of O(prefix) in O(dest_dir) (earlier releases) are removed.
  - The images are streamed from C(docker save) through the compressor to a temporary file
    renamed at the end, so nothing is held in memory and an interrupted run leaves no archive.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
attributes:
  check_mode:
    description: Reports the archive it would write, and writes nothing.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  idempotent:
    description: A second run with the same images changes nothing.
    support: full
options:
  names:
    description: Images (C(repository:tag)) to export; they must exist in the local engine.
    type: list
    elements: str
    required: true
  dest_dir:
    description: Directory of the archives (created with mode 0700 when missing).
    type: path
    required: true
  prefix:
    description: Start of the archive's file name, one per application.
    type: str
    required: true
  receivers:
    description:
      - The receiving hosts, each name mapped to its M(docker_archive_space) result (its
        RV(docker_archive_space#module:zstd)); results without it (skipped hosts) are ignored.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Export the release's images where they were built
  docker_image_archive:
    names: [django-sentry-deploy/web:1.2.0-0123456789ab]
    dest_dir: "{{ playbook_dir }}/../.cache/releases"
    prefix: web
    receivers: {web1: {zstd: true}, web2: {zstd: true}}
  delegate_to: localhost
  register: django_app_archive
"""

RETURN = r"""
path:
  description: The archive.
  returned: success
  type: str
  sample: /srv/deploy/.cache/releases/web-3f2a9c0d1b4e5f60.tar.zst
compression:
  description: C(zstd) or C(gzip).
  returned: success
  type: str
reason:
  description: Why the archive is not zstd (empty when it is).
  returned: success
  type: str
  sample: zstd is missing on web2
size:
  description: Size of the archive in bytes (0 in check mode when it does not exist yet).
  returned: success
  type: int
images:
  description: The images in the archive.
  returned: success
  type: list
  elements: str
removed:
  description: Earlier archives of O(prefix) removed (or that would be in check mode).
  returned: success
  type: list
  elements: str
"""


def argument_spec() -> dict[str, Any]:
    return dict(
        names={"type": "list", "elements": "str", "required": True},
        dest_dir={"type": "path", "required": True},
        prefix={"type": "str", "required": True},
        receivers={"type": "dict", "default": {}},
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = make_archive(module.params, module.check_mode)
    except (ArchiveError, OSError) as err:
        module.fail_json(msg=str(err))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

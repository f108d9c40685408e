#!/usr/bin/python
"""Stage the build context of a Django project's image on the controller."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.django_project import ProjectError, build_context

DOCUMENTATION = r"""
---
module: django_build_context
short_description: Stage the Docker build context of a Django project on the controller
description:
  - Makes O(dest) an exact copy of the build context - the project's files under
    C(project/), its requirements files under C(requirements/) and the O(bundle_files).
    Anything else in O(dest) is removed. Run it on the controller (C(delegate_to=localhost)).
  - The project's files are selected by the rules M(django_project_info) documents (default
    exclusions and the project's C(.dockerignore)), so its digest describes this context.
    Symbolic links inside the project are kept as relative links; one pointing outside is an
    error.
  - For a C(pyproject.toml) project, C(requirements/requirements.txt) holds its
    C([project].dependencies), so the image always installs RV(requirements_file).
  - Files get mode 0755 when the source is executable, else 0644. Each file is written to a
    temporary name and renamed, so an interrupted run leaves no partial file; the next run
    removes its leftovers. Nothing is ever written inside O(project_dir).
  - O(dest) must be empty, missing, or a context this module made (it holds a
    C(.django-build-context) marker), and must not overlap O(project_dir).
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
attributes:
  check_mode:
    description: Reports what would change without writing.
    support: full
  diff_mode:
    description: Returns no diff; RV(written) and RV(removed) list the changes.
    support: none
  idempotent:
    description: A second run with the same options changes nothing.
    support: full
options:
  project_dir:
    description: Absolute path of the project directory on the controller.
    type: path
    required: true
  dest:
    description: Absolute path of the staging directory on the controller.
    type: path
    required: true
  requirements:
    description: The RV(django_project_info#module:requirements) result, as returned.
    type: dict
    required: true
    suboptions:
      format:
        description: Format of the requirements file.
        type: str
        required: true
        choices: [requirements.txt, pyproject.toml]
      file:
        description: The requirements file, relative to O(project_dir).
        type: str
        required: true
      files:
        description: Every requirements file to copy, relative to O(project_dir).
        type: list
        elements: str
        default: []
      names:
        description: Names of the project's distributions; not used here.
        type: list
        elements: str
        default: []
  bundle_files:
    description: Files or directories of the bundle to copy into O(dest).
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: Absolute path of a file or directory (caches left out).
        type: path
        required: true
      dest:
        description: Path relative to O(dest).
        type: str
        required: true
"""

EXAMPLES = r"""
- name: Stage the build context of the project
  django_build_context:
    project_dir: "{{ django_app_project.project_dir }}"
    dest: "{{ playbook_dir }}/../.cache/build/web"
    requirements: "{{ django_app_project.requirements }}"
    bundle_files:
      - {src: "{{ role_path }}/files/Dockerfile", dest: Dockerfile}
      - {src: "{{ role_path }}/files/runtime", dest: runtime}
  delegate_to: localhost
  become: false
  register: django_app_context
"""

RETURN = r"""
dest:
  description: The staging directory.
  returned: success
  type: str
requirements_file:
  description: Path inside O(dest) of the requirements file the image installs.
  returned: success
  type: str
  sample: requirements/requirements.txt
files_count:
  description: Number of files and links in the context.
  returned: success
  type: int
written:
  description: Paths (relative to O(dest)) written, or that would be in check mode.
  returned: success
  type: list
  elements: str
removed:
  description: Paths (relative to O(dest)) removed, or that would be in check mode.
  returned: success
  type: list
  elements: str
"""


def argument_spec() -> dict[str, Any]:
    return dict(
        project_dir={"type": "path", "required": True},
        dest={"type": "path", "required": True},
        requirements={
            "type": "dict",
            "required": True,
            "options": {
                "format": {
                    "type": "str", "required": True,
                    "choices": ["requirements.txt", "pyproject.toml"],
                },
                "file": {"type": "str", "required": True},
                "files": {"type": "list", "elements": "str", "default": []},
                "names": {"type": "list", "elements": "str", "default": []},
            },
        },
        bundle_files={
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "src": {"type": "path", "required": True},
                "dest": {"type": "str", "required": True},
            },
        },
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = build_context(module.params, module.check_mode)
    except (ProjectError, OSError) as err:
        module.fail_json(msg=str(err))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
"""Find what the image needs from a Django project on the controller."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.django_project import ProjectError, discover

DOCUMENTATION = r"""
---
module: django_project_info
short_description: Find the settings, WSGI application, requirements and Python of a Django project
description:
  - Reads a Django project on the controller without importing or running any of it, and
    returns what the image build needs. Run it on the controller (C(delegate_to=localhost)).
  - C(manage.py) is looked for at O(project_dir), then one directory down. The settings module
    is the value C(manage.py) gives C(DJANGO_SETTINGS_MODULE) (C(os.environ.setdefault) or an
    assignment to C(os.environ)); it must be a file under the directory of C(manage.py), or
    under a C(src) directory next to it or at O(project_dir), and it must compile. When the
    chosen base has a newer Python than the controller, the syntax check is left to the image
    build; so are import errors of the project's dependencies, which only the image installs.
  - C(manage.py) and the settings file must not be left out by the ignore rules below.
  - C(WSGI_APPLICATION) is read from the settings module and the modules it star-imports
    (for example C(from .base import *)), last assignment wins.
  - Requirements come from O(requirements), else C(requirements.txt) at O(project_dir) or next
    to C(manage.py), else the C([project].dependencies) of a C(pyproject.toml) (PEP 621).
    C(-r) and C(-c) includes are followed. Pipfile, Poetry and uv lock files are not read;
    export them to C(requirements.txt). Local paths, editable installs and URL or VCS
    references are refused, since the project runs from source and is not installed.
  - The Python requirement is the C(requires-python) of C(pyproject.toml), else the lowest
    Python of the Django releases the project allows (Django 4.2 or later is required). The
    base image is the first of O(bases) whose Python satisfies it.
  - Files are selected by the same rules as M(django_build_context) for the digest. Always
    left out, anywhere - C(.git), C(.venv), C(venv), any virtualenv (a directory holding
    C(pyvenv.cfg)), C(node_modules), C(__pycache__), C(.tox), C(.mypy_cache),
    C(.pytest_cache), C(.ruff_cache), C(.cache), C(*.pyc), C(.env), C(.env.*),
    C(*.sqlite3); at the top only, C(staticfiles) and C(media). The project's own
    C(.dockerignore) applies on top, with Docker's matching - patterns are anchored at the
    project directory, C(*) and C(?) match inside one path segment, C(**) across segments,
    a pattern matching a directory covers its content, C(!pattern) takes a path back, the last
    matching line wins. The default exclusions cannot be taken back. A symbolic link that
    points outside the project, or nowhere, is an error.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
options:
  project_dir:
    description: Absolute path of the project directory on the controller.
    type: path
    required: true
  manage_py:
    description: Path of C(manage.py) relative to O(project_dir), when discovery cannot tell.
    type: str
  settings_module:
    description: Dotted settings module, instead of the default in C(manage.py).
    type: str
  wsgi_application:
    description: Dotted path of the WSGI application, instead of C(WSGI_APPLICATION).
    type: str
  requirements:
    description:
      - Requirements file relative to O(project_dir), a C(requirements.txt)-style file or a
        C(pyproject.toml).
    type: str
  python_requirement:
    description: PEP 440 specifier of the Python the project needs, for example C(>=3.12).
    type: str
  bases:
    description: Base images to build on, in order of preference.
    type: list
    elements: dict
    required: true
    suboptions:
      image:
        description: Image name.
        type: str
        required: true
      python:
        description: The C(major.minor) version of the image's Python, for example C(3.11).
        type: str
        required: true
  bundle_requirements:
    description:
      - The bundle's runtime pins, one C(name==version) a line. A trailing comment
        C(# needs >=2.20,<3) gives the versions the bundle accepts when the project pins the
        package itself; a project pin outside that range is an error.
    type: path
  extra_paths:
    description: Absolute paths of files or directories whose content joins the digest.
    type: list
    elements: path
    default: []
  extra_digest:
    description: Text that joins the digest, for example build arguments and the base image.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Find what the image needs from the project
  django_project_info:
    project_dir: "{{ django_app_project_dir }}"
    bases:
      - {image: django-sentry-deploy/debian:12, python: "3.11"}
      - {image: django-sentry-deploy/debian:13, python: "3.13"}
    bundle_requirements: "{{ role_path }}/files/runtime-requirements.txt"
  delegate_to: localhost
  become: false
  register: django_app_project
"""

RETURN = r"""
project_dir:
  description: The project directory, absolute and resolved.
  returned: success
  type: str
manage_py:
  description: Path of C(manage.py) relative to the project directory.
  returned: success
  type: str
  sample: manage.py
django_root:
  description: Directory of C(manage.py) relative to the project directory, C(.) at the top.
  returned: success
  type: str
python_path:
  description: Directories relative to the project directory that go on C(sys.path).
  returned: success
  type: list
  elements: str
  sample: [".", "src"]
settings_module:
  description: The project's settings module.
  returned: success
  type: str
  sample: mysite.settings
settings_file:
  description: File of the settings module relative to the project directory.
  returned: success
  type: str
wsgi_application:
  description: Dotted path of the WSGI application; null when neither found nor given.
  returned: success
  type: str
  sample: mysite.wsgi.application
requirements:
  description: The project's requirements.
  returned: success
  type: dict
  contains:
    format:
      description: C(requirements.txt) or C(pyproject.toml).
      type: str
    file:
      description: The requirements file, relative to the project directory.
      type: str
    files:
      description: Every file to copy - the file and those it includes, relative paths.
      type: list
      elements: str
    names:
      description: Normalized names of the project's distributions.
      type: list
      elements: str
python_requirement:
  description: PEP 440 specifier of the Python the project needs; empty when nothing says.
  returned: success
  type: str
  sample: ">=3.12"
build_args:
  description:
    - The build arguments of the bundle's C(docker/Dockerfile) that describe the project
      (BASE_IMAGE, DJANGO_ROOT, PYTHON_PATH, PROJECT_SETTINGS, REQUIREMENTS_FILE), as
      paths inside the image and the build context.
  returned: success
  type: dict
  sample:
    BASE_IMAGE: django-sentry-deploy/debian:13
    DJANGO_ROOT: /app
    PYTHON_PATH: /app:/app/src
    PROJECT_SETTINGS: mysite.settings.production
    REQUIREMENTS_FILE: requirements/requirements.txt
python_requirement_source:
  description: Where the Python requirement comes from.
  returned: success
  type: str
  sample: pyproject.toml requires-python
base_image:
  description: The first base of O(bases) whose Python fits.
  returned: success
  type: str
python_version:
  description: Python version of RV(base_image).
  returned: success
  type: str
digest:
  description:
    - SHA-256 (hex) of the project's files (path, mode, content), the O(extra_paths) and
      O(extra_digest). Changes whenever the image would.
  returned: success
  type: str
revision:
  description:
    - First 12 characters of the last commit touching the project directory when it is in a
      git work tree with nothing uncommitted or untracked there; empty otherwise.
  returned: success
  type: str
files_count:
  description: Number of project files that go into the image.
  returned: success
  type: int
"""


def argument_spec() -> dict[str, Any]:
    return dict(
        project_dir={"type": "path", "required": True},
        manage_py={"type": "str"},
        settings_module={"type": "str"},
        wsgi_application={"type": "str"},
        requirements={"type": "str"},
        python_requirement={"type": "str"},
        bases={
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": {
                "image": {"type": "str", "required": True},
                "python": {"type": "str", "required": True},
            },
        },
        bundle_requirements={"type": "path"},
        extra_paths={"type": "list", "elements": "path", "default": []},
        extra_digest={"type": "str", "default": ""},
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)

    def run(args: list[str]) -> tuple[int, str, str]:
        return module.run_command(args)  # type: ignore[no-any-return]

    try:
        result = discover(module.params, module.get_bin_path("git"), run)
    except (ProjectError, OSError) as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()

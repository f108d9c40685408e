#!/usr/bin/python
"""Read an app host's whole state against a deploy's goal (read-only)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.docker_socket import DEFAULT_SOCKET, DockerSocket, DockerSocketError
from ansible.module_utils.host_state import read_state
from ansible.module_utils.release_records import RecordError

DOCUMENTATION = r"""
---
module: django_app_host_info
short_description: Read what an app host holds against what a deploy would make of it
description:
  - In one run on the host, the release records (as M(django_app_release_info)), the
    serving container, the images, network, volume and proxy container of the app, the
    containers of older releases, the deploy lock and the out-of-rotation marker, and each
    file the deploy writes (kind, mode, owner, group, content checksum).
  - Returns what differs, one line each, and the concerns whose steps have something to
    do. Changes nothing; a deploy whose C(todo) is empty has nothing to do on the host.
  - Reads the Docker Engine API on its unix socket (standard library only).
version_added: "0.9.0"
author:
  - django-sentry-deploy maintainers
options:
  app_dir:
    description: The app's directory on the host (C(django_app_dir)).
    type: path
    required: true
  name:
    description: The app's name; its network and the label of its containers.
    type: str
    required: true
  container:
    description: The container that should serve traffic.
    type: str
    required: true
  images:
    description: Images the host must hold.
    type: list
    elements: str
    default: []
  volume:
    description: A volume the host must hold (empty for none).
    type: str
    default: ""
  proxy:
    description: The proxy container the host must run (not compared when omitted).
    type: dict
    suboptions:
      name:
        description: Its name.
        type: str
        required: true
      image:
        description: Its image.
        type: str
        required: true
      settings:
        description: >-
          The digest of its settings, compared with the label
          C(org.django-sentry-deploy.settings) it was started with.
        type: str
        required: true
  files:
    description: Files and directories as the deploy leaves them.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      state:
        description: What must be there.
        type: str
        choices: [directory, file, absent]
        required: true
      concern:
        description: The step that writes it, listed in C(todo) when the file differs.
        type: str
        required: true
      mode:
        description: Octal mode, such as C("0440").
        type: str
      owner:
        description: User name or id.
        type: str
      group:
        description: Group name or id.
        type: str
      checksum:
        description: SHA-1 of the content (files only); never returned, never logged.
        type: str
  docker_socket:
    description: The Docker Engine API's unix socket.
    type: path
    default: /var/run/docker.sock
seealso:
  - module: django_app_release_info
"""

EXAMPLES = r"""
- name: Read the host's state against the deploy
  django_app_host_info:
    app_dir: /opt/web
    name: web
    container: web-1.4.2-3f2a9c1b7d0e-5c1d0a9e2b
    images: [web:1.4.2-3f2a9c1b7d0e, web-proxy:0d1e2f3a4b5c]
    proxy: {name: web-proxy, image: web-proxy:0d1e2f3a4b5c, settings: 9a8b7c6d5e4f}
    files:
      - path: /opt/web/proxy
        state: directory
        mode: "0750"
        owner: root
        group: "33"
        concern: directories
  register: web_host
"""

RETURN = r"""
serving:
  description: The container that serves traffic (empty before the first release).
  returned: always
  type: str
records:
  description: The retained releases, as M(django_app_release_info) returns them.
  returned: always
  type: list
  elements: dict
configs:
  description: The containers whose configuration directory is kept.
  returned: always
  type: list
  elements: str
current:
  description: The serving container's C(exists), C(running) and C(health).
  returned: always
  type: dict
missing_images:
  description: The images of O(images) the host lacks.
  returned: always
  type: list
  elements: str
drift:
  description: What differs from the deploy's goal, one line each.
  returned: always
  type: list
  elements: str
  sample:
    - "/opt/web/proxy/nginx.conf: missing"
    - "release: container web-1.4.2-3f2a9c1b7d0e-5c1d0a9e2b is exited"
todo:
  description: >-
    The concerns with something to do: C(switch), C(drain), C(readmit), C(lock),
    C(images), C(network), C(volume), C(proxy) and those the O(files) name.
  returned: always
  type: list
  elements: str
  sample: [proxy, switch]
"""


def argument_spec() -> dict[str, Any]:
    return {
        "app_dir": {"type": "path", "required": True},
        "name": {"type": "str", "required": True},
        "container": {"type": "str", "required": True},
        "images": {"type": "list", "elements": "str", "default": []},
        "volume": {"type": "str", "default": ""},
        "proxy": {"type": "dict", "options": {
            "name": {"type": "str", "required": True},
            "image": {"type": "str", "required": True},
            "settings": {"type": "str", "required": True},
        }},
        "files": {"type": "list", "elements": "dict", "default": [], "options": {
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "required": True, "choices": ["directory", "file", "absent"]},
            "concern": {"type": "str", "required": True},
            "mode": {"type": "str"},
            "owner": {"type": "str"},
            "group": {"type": "str"},
            "checksum": {"type": "str", "no_log": True},
        }},
        "docker_socket": {"type": "path", "default": DEFAULT_SOCKET},
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        state = read_state(module.params, DockerSocket(module.params["docker_socket"]))
    except (RecordError, DockerSocketError, KeyError) as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, **state)


if __name__ == "__main__":
    main()

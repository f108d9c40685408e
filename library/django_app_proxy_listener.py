#!/usr/bin/python
"""Point a listener of the app's proxy at a release and reload nginx."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.docker_socket import DEFAULT_SOCKET, DockerSocket, DockerSocketError
from ansible.module_utils.proxy_listener import ListenerError, point

DOCUMENTATION = r"""
---
module: django_app_proxy_listener
short_description: Point a listener of the app's proxy at a release and reload nginx
description:
  - Writes a listener's upstream file (through a rename, with its owner, group and mode),
    then runs C(proxy-reload) in the proxy container (C(nginx -t), then a graceful reload
    in which old workers finish the requests they hold) through the Docker Engine API.
  - Reloads whether or not the file changed, so a run killed between the two is completed
    by the next. Check mode writes and reloads nothing.
version_added: "0.9.0"
author:
  - django-sentry-deploy maintainers
options:
  path:
    description: The listener's file, in the directory mounted into the proxy.
    type: path
    required: true
  content:
    description: What the file holds (the role renders C(upstream.conf.j2)).
    type: str
    required: true
  container:
    description: The proxy container.
    type: str
    required: true
  reload:
    description: Whether to reload nginx after the write.
    type: bool
    default: true
  mode:
    description: Octal mode of the file.
    type: str
    default: "0444"
  owner:
    description: User name or id owning the file.
    type: str
    default: root
  group:
    description: Group name or id of the file (the proxy reads it as this group).
    type: str
    default: "33"
  docker_socket:
    description: The Docker Engine API's unix socket.
    type: path
    default: /var/run/docker.sock
"""

EXAMPLES = r"""
- name: Point the candidate listener at the new release
  django_app_proxy_listener:
    path: /opt/web/proxy/candidate.conf
    content: "set $app_upstream http://web-1.4.2-3f2a9c1b7d0e-5c1d0a9e2b:8000;\n"
    container: web-proxy
"""

RETURN = r"""
written:
  description: Whether the file's content, owner, group or mode changed.
  returned: always
  type: bool
"""


def argument_spec() -> dict[str, Any]:
    return {
        "path": {"type": "path", "required": True},
        "content": {"type": "str", "required": True},
        "container": {"type": "str", "required": True},
        "reload": {"type": "bool", "default": True},
        "mode": {"type": "str", "default": "0444"},
        "owner": {"type": "str", "default": "root"},
        "group": {"type": "str", "default": "33"},
        "docker_socket": {"type": "path", "default": DEFAULT_SOCKET},
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    docker = DockerSocket(module.params["docker_socket"])
    try:
        result = point(module.params, docker, module.check_mode)
    except (ListenerError, DockerSocketError) as err:
        module.fail_json(msg=str(err))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

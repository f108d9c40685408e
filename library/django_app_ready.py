#!/usr/bin/python
"""Wait until a candidate release of the app is ready to take traffic (read-only)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.readiness import InputError, wait_ready

DOCUMENTATION = r"""
---
module: django_app_ready
short_description: Wait until a candidate release of the app answers /readyz, then try its pages
description:
  - Asks C({url}/readyz) with the Host header O(host) every O(interval) seconds until it
    answers 200 with C(release) equal to O(release), or O(timeout) seconds have passed.
    C(/readyz) is the runtime's readiness check - Host accepted, URLconf imported, every
    database answering, every migration applied.
  - An answer of another release is not ready yet (the proxy may still point elsewhere), and
    is reported if it is still the answer at the timeout. So is a failing C(database) or
    C(migrations) check. A failing C(host) check, or C(urls) while the databases answer,
    fails at once.
  - Once ready, each of O(paths) is fetched once with the same Host header, redirects not
    followed - a 2xx, 3xx, 401, 403 or 404 passes, a 400 or a 5xx fails.
  - With O(container), every attempt first reads the container's state from the Docker Engine
    API and fails at once when the container is not running, is restarting, or has restarted
    (a crash loop can answer between two crashes).
  - Every failure is one line naming its cause - the readiness check and its message, the
    container's state, the page and its status, or the timeout and the last answer.
  - Runs on the target host with the Python standard library only. Changes nothing.
version_added: "0.3.0"
author:
  - django-sentry-deploy maintainers
attributes:
  check_mode:
    description: In check mode there is no candidate to wait for - returns skipped without asking.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
options:
  url:
    description: Base URL the candidate is reached at, C(http://) only, for example
      V(http://127.0.0.1:8082).
    type: str
    required: true
  host:
    description: Host header to send, the site's production name.
    type: str
    required: true
  release:
    description: The release the candidate must answer, its C(SENTRY_RELEASE).
    type: str
    required: true
  paths:
    description: Real pages, each starting with C(/), that must not answer 400 or 5xx.
    type: list
    elements: str
    default: ["/"]
  timeout:
    description: Seconds to wait for the candidate to be ready.
    type: float
    required: true
  interval:
    description: Seconds between two attempts.
    type: float
    default: 0.2
  container:
    description: Name of the candidate's container, whose state is read at every attempt.
    type: str
  docker_socket:
    description: The Docker Engine API's unix socket, used with O(container).
    type: path
    default: /var/run/docker.sock
"""

EXAMPLES = r"""
- name: Wait for the new release behind the proxy's candidate listener
  django_app_ready:
    url: http://127.0.0.1:8082
    host: www.example.com
    release: web@4f2a9c1d7b3e
    paths: [/, /accounts/login/]
    timeout: 90
    container: web-4f2a9c1d7b3e
  register: candidate
"""

RETURN = r"""
elapsed:
  description: Seconds the wait took.
  returned: always, except in check mode
  type: float
  sample: 1.84
attempts:
  description: How many times C(/readyz) was asked.
  returned: always, except in check mode
  type: int
  sample: 7
ready:
  description: The last JSON answer of C(/readyz), null when none came.
  returned: always, except in check mode
  type: dict
  sample:
    ready: true
    release: web@4f2a9c1d7b3e
    container: 3f2a9c1d7b4e
    checks: {host: ok, urls: ok, database: ok, migrations: ok}
container:
  description: The container that answered C(/readyz) (its host name), null when none did.
  returned: always, except in check mode
  type: str
  sample: 3f2a9c1d7b4e
paths:
  description: HTTP status of each page fetched; 0 when it did not answer.
  returned: always, except in check mode
  type: dict
  sample: {"/": 200, "/accounts/login/": 200}
"""


def argument_spec() -> dict[str, Any]:
    return {
        "url": {"type": "str", "required": True},
        "host": {"type": "str", "required": True},
        "release": {"type": "str", "required": True},
        "paths": {"type": "list", "elements": "str", "default": ["/"]},
        "timeout": {"type": "float", "required": True},
        "interval": {"type": "float", "default": 0.2},
        "container": {"type": "str"},
        "docker_socket": {"type": "path", "default": "/var/run/docker.sock"},
    }


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if module.check_mode:
        module.exit_json(changed=False, skipped=True, msg="check mode: no candidate to wait for")
    try:
        progress, failure = wait_ready(module.params)
    except InputError as error:
        module.fail_json(msg=str(error))
    if failure is not None:
        module.fail_json(msg=failure, **progress.result())
    module.exit_json(changed=False, **progress.result())


if __name__ == "__main__":
    main()

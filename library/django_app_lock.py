#!/usr/bin/python
"""Take or release the deploy lock of an app on the target host."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.deploy_lock import LockError, apply

DOCUMENTATION = r"""
---
module: django_app_lock
short_description: Take or release the deploy lock of an app on the target host
description:
  - Keeps two deploys of the same app on one host from running at once. The lock is a file
    holding JSON C({"run_id", "holder", "since"}) (C(since) in UTC, ISO 8601), mode 0644.
  - O(state=present) takes the lock. A free lock is created atomically (C(O_CREAT|O_EXCL)) and
    synced to disk, so of two runs racing for it exactly one gets it. A lock that holds
    O(run_id) already is left as it is (changed=false), so every play of one playbook run can
    take it. A lock held by another run fails the task with one line -
    C(<path> is held by <holder> since <since> (<age> ago); if that run is no longer running,
    re-run with -e django_app_lock_break=true).
  - O(state=absent) releases the lock when it holds O(run_id). A lock held by another run is
    left in place and reported as a warning (changed=false); no lock file changes nothing.
  - A run killed half-way leaves its lock behind; the next run reports it and only
    O(force=true) breaks it. A lock file that cannot be read as a lock (for example a run
    killed while writing it) is reported the same way, with an unknown holder since the
    file's last change, and also needs O(force=true).
  - The lock's directory is created, mode 0755, when it is missing (not in check mode).
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
attributes:
  check_mode:
    description:
      - Reports what would happen and writes nothing. Taking a lock held by another run still
        fails, so a check run tells the truth.
    support: full
  diff_mode:
    description: Returns no diff; RV(lock) and RV(broken) tell the change.
    support: none
  idempotent:
    description: Taking or releasing again with the same O(run_id) changes nothing.
    support: full
options:
  path:
    description: Absolute path of the lock file, for example C(/opt/web/deploy.lock).
    type: path
    required: true
  state:
    description: C(present) takes the lock, C(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  run_id:
    description:
      - Random id that the playbook run generates once and passes to every call, so the plays
        of one run share the lock.
    type: str
    required: true
  holder:
    description:
      - Who runs the deploy, stored in the lock and named to the runs it stops, for example
        C(alice@laptop (ansible-playbook deploy.yml, pid 1234)). Without it the lock is named
        by its run id.
    type: str
  force:
    description:
      - Break a lock held by another run (or an unreadable lock file) - the user's explicit
        choice for a lock left by a run that is no longer running. RV(broken) reports what
        was broken.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Take the deploy lock of the app
  django_app_lock:
    path: /opt/web/deploy.lock
    run_id: "{{ django_app_lock_run_id }}"
    holder: "{{ lookup('env', 'USER') }}@{{ lookup('pipe', 'hostname') }} (ansible-playbook)"
    force: "{{ django_app_lock_break | default(false) | bool }}"

- name: Release the deploy lock of the app
  django_app_lock:
    path: /opt/web/deploy.lock
    run_id: "{{ django_app_lock_run_id }}"
    state: absent
"""

RETURN = r"""
lock:
  description: The lock's content after the call (what it would be in check mode); null when
    there is no lock.
  returned: success
  type: dict
  contains:
    run_id:
      description: Run id of the holder; null for an unreadable lock file.
      type: str
    holder:
      description: Who holds the lock, as given to O(holder); null when not given or unknown.
      type: str
    since:
      description: When the lock was taken, UTC, ISO 8601.
      type: str
      sample: "2026-12-06T19:17:32Z"
broken:
  description: Content of the other run's lock that O(force=true) broke; null when none was.
  returned: success
  type: dict
  sample:
    run_id: 3f9c2a71
    holder: alice@laptop (ansible-playbook deploy.yml, pid 1234)
    since: "2026-12-06T18:02:11Z"
"""


def argument_spec() -> dict[str, Any]:
    return dict(
        path={"type": "path", "required": True},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        run_id={"type": "str", "required": True},
        holder={"type": "str"},
        force={"type": "bool", "default": False},
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        outcome = apply(module.params, module.check_mode, datetime.now(UTC))
    except LockError as err:
        module.fail_json(msg=str(err))
    for warning in outcome.warnings:
        module.warn(warning)
    module.exit_json(**outcome.result())


if __name__ == "__main__":
    main()

"""Make the lock module importable the way Ansible ships it: module_utils/deploy_lock.py as
``ansible.module_utils.deploy_lock`` and library/django_app_lock.py by its own name."""

from __future__ import annotations

import sys
from pathlib import Path

import ansible.module_utils

ROOT = Path(__file__).resolve().parents[2]

if str(ROOT / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(ROOT / "module_utils"))
if str(ROOT / "library") not in sys.path:
    sys.path.insert(0, str(ROOT / "library"))

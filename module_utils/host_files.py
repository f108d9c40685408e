"""Files and directories on an app host as the deploy writes them: compared by kind, mode,
owner, group and content checksum, and written through a rename."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KINDS = {"directory": stat.S_ISDIR, "file": stat.S_ISREG}


def uid_of(owner: str) -> int:
    return int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid


def gid_of(group: str) -> int:
    return int(group) if group.isdigit() else grp.getgrnam(group).gr_gid


def sha1_of(path: str) -> str:
    # SHA-1: the checksum Ansible's copy and template modules compare, so the role computes it too.
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def file_drift(expected: Mapping[str, Any]) -> str | None:
    """How the file differs from what the deploy writes, or None when it does not."""
    path, state = expected["path"], expected["state"]
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None if state == "absent" else "missing"
    if state == "absent":
        return "present"
    if not KINDS[state](found.st_mode):
        return f"not a {state}"
    differences = []
    mode = expected.get("mode")
    if mode and stat.S_IMODE(found.st_mode) != int(mode, 8):
        differences.append(f"mode {stat.S_IMODE(found.st_mode):04o}, not {mode}")
    owner = expected.get("owner")
    if owner and found.st_uid != uid_of(owner):
        differences.append(f"owner {found.st_uid}, not {owner}")
    group = expected.get("group")
    if group and found.st_gid != gid_of(group):
        differences.append(f"group {found.st_gid}, not {group}")
    checksum = expected.get("checksum")
    if checksum and state == "file" and sha1_of(path) != checksum:
        differences.append("content differs")
    return "; ".join(differences) or None


def write_file(
    path: str, content: str, mode: str, owner: str, group: str, check_mode: bool
) -> bool:
    """Write ``content`` through a rename, owned and moded as asked; False when it holds it."""
    target = Path(path)
    uid, gid = uid_of(owner), gid_of(group)
    try:
        found = target.stat()
        if (target.read_text() == content and found.st_uid == uid and found.st_gid == gid
                and found.st_mode & 0o7777 == int(mode, 8)):
            return False
    except FileNotFoundError:
        pass
    if check_mode:
        return True
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chown(tmp, uid, gid)
        os.chmod(tmp, int(mode, 8))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True

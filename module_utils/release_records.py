"""The release records of an app host, their one owner.

Each host keeps, under the app's directory:

- ``current``: the name of the container that serves traffic, and ``.env``, a link to its
  ``.env`` (what the serving release reads, for the tools that check it);
- ``releases/<tag>.json``: one record per retained release: its image, the container that
  last served it and that container's environment, when it last served
  (``activated``) and, once a rollback moved away from it, when (``rolled_back``);
- ``config/<container>/``: the configuration a container was started and proven with
  (its ``.env``). A directory is written once, before its container starts, and never
  rewritten, so a restart or a reboot always finds the files that passed the gate.

Writes go through a temporary file and a rename: a run killed at any point leaves either
the old file or the new one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RECORD_KEYS = ("tag", "version", "revision", "image", "container", "env")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
CONTAINER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$")

Record = dict[str, Any]


class RecordError(Exception):
    """A record that cannot be read or a request that cannot be met: one line for the user."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _write_atomically(path: Path, text: str, mode: int = 0o644) -> bool:
    """Write ``text`` to ``path`` through a rename; False when it already holds it."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _check_tag(tag: str) -> str:
    if not TAG.match(tag or ""):
        raise RecordError(f"not a release tag: {tag!r}")
    return tag


def _check_container(name: str) -> str:
    if not CONTAINER.match(name or ""):
        raise RecordError(f"not a container name: {name!r}")
    return name


def read_record(path: Path) -> Record:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise RecordError(f"cannot read the release record {path}: {err}") from err
    if not isinstance(record, dict) or any(k not in record for k in ("tag", "image", "activated")):
        raise RecordError(f"the release record {path} is not a release record")
    return record


def read_host(app_dir: str) -> dict[str, Any]:
    """What a host holds: the serving container and its records, newest activation first."""
    root = Path(app_dir)
    try:
        serving = (root / "current").read_text().strip()
    except FileNotFoundError:
        serving = ""
    records = [read_record(path) for path in sorted((root / "releases").glob("*.json"))]
    records.sort(key=lambda record: record["activated"], reverse=True)
    configs = sorted(p.name for p in (root / "config").glob("*") if p.is_dir())
    return {"serving": serving, "records": records, "configs": configs}


def record_serving(app_dir: str, release: Record) -> bool:
    """Record that ``release`` (its container) now serves traffic on this host."""
    record = {key: release.get(key, "") for key in RECORD_KEYS}
    _check_tag(record["tag"])
    _check_container(record["container"])
    root = Path(app_dir)
    path = root / "releases" / f"{record['tag']}.json"
    try:
        previous = read_record(path)
    except RecordError:
        previous = {}
    same = {key: previous.get(key) for key in RECORD_KEYS} == record
    unchanged = same and "rolled_back" not in previous
    if unchanged and read_host(app_dir)["serving"] == record["container"]:
        return False
    record["activated"] = now()
    changed = _write_atomically(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    changed = _write_atomically(root / "current", record["container"] + "\n") or changed
    return _link_atomically(root / ".env", f"config/{record['container']}/.env") or changed


def _link_atomically(path: Path, target: str) -> bool:
    """Point the symbolic link ``path`` at ``target`` through a rename."""
    if path.is_symlink() and os.readlink(path) == target:
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)
    return True


def mark_rolled_back(app_dir: str, tag: str) -> bool:
    """Mark a release a rollback moved away from: no later rollback goes back to it."""
    path = Path(app_dir) / "releases" / f"{_check_tag(tag)}.json"
    if not path.exists():
        return False
    record = read_record(path)
    if "rolled_back" in record:
        return False
    record["rolled_back"] = now()
    return _write_atomically(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


def _serving_record(info: dict[str, Any]) -> Record | None:
    records = info.get("records", [])
    return next((r for r in records if r.get("container") == info.get("serving")), None)


def prune(app_dir: str, keep: int, running: list[str]) -> dict[str, list[Any]]:
    """Drop records beyond the ``keep`` newest, and the configuration no record or running
    container uses. Returns the dropped records (whose images go) and configurations."""
    if keep < 1:
        raise RecordError("keep must be at least 1")
    host = read_host(app_dir)
    root = Path(app_dir)
    serving = host["serving"]
    kept = [current] if (current := _serving_record(host)) else []
    for record in host["records"]:
        if len(kept) >= keep:
            break
        if record not in kept:
            kept.append(record)
    dropped = [r for r in host["records"] if r not in kept]
    for record in dropped:
        (root / "releases" / f"{record['tag']}.json").unlink(missing_ok=True)
    used = {r.get("container") for r in kept} | set(running) | {serving}
    configs = [name for name in host["configs"] if name not in used]
    for name in configs:
        shutil.rmtree(root / "config" / name, ignore_errors=True)
    return {"records": dropped, "configs": configs}


def _fleet_releases(hosts: dict[str, dict[str, Any]]) -> dict[str, Record]:
    """Every tag the fleet retains: its newest activation anywhere, whether any host marked
    it rolled back, and which hosts retain it."""
    fleet: dict[str, Record] = {}
    for host, info in sorted(hosts.items()):
        for record in info.get("records", []):
            seen = fleet.setdefault(record["tag"], {**record, "hosts": []})
            seen["hosts"].append(host)
            if record["activated"] > seen["activated"]:
                seen["activated"] = record["activated"]
            if "rolled_back" in record:
                seen["rolled_back"] = record["rolled_back"]
    return fleet


def rollback_plan(hosts: dict[str, dict[str, Any]], to: str = "") -> dict[str, Any]:
    """The fleet's one rollback target.

    Without ``to``: the newest release before the one the fleet last moved to, skipping
    releases a rollback already moved away from. With ``to``: the newest retained release
    of that tag or version. The target must be retained on every host."""
    fleet = _fleet_releases(hosts)
    if not fleet:
        raise RecordError("no release is recorded on any host: there is nothing to roll back to")
    newest = sorted(fleet.values(), key=lambda r: r["activated"], reverse=True)
    current = newest[0]
    retained = ", ".join(r["tag"] for r in newest)
    if to:
        matches = [r for r in newest if to in (r["tag"], r.get("version"))]
        if not matches:
            raise RecordError(f"no retained release is named {to} (retained: {retained})")
        target = matches[0]
    else:
        earlier = [r for r in newest[1:] if "rolled_back" not in r]
        if not earlier:
            raise RecordError(
                f"no earlier release is retained to roll back to (retained: {retained})"
            )
        target = earlier[0]
    missing = sorted(set(hosts) - set(target["hosts"]))
    if missing:
        raise RecordError(
            f"release {target['tag']} is not retained on {', '.join(missing)}; "
            "roll back to a release every host has (name it with django_app_rollback_to)"
        )
    return {
        "tag": target["tag"],
        "version": target.get("version", ""),
        "from": current["tag"],
        "from_version": current.get("version", ""),
        "rolled_back": current["tag"] if current["tag"] != target["tag"] else "",
    }



def _utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(UTC)


def canary_plan(
    hosts: dict[str, dict[str, Any]], canary: list[str], tag: str, version: str,
    at: str | None = None,
) -> dict[str, Any]:
    """Whether the canary is judged, since when, against which release, and the release each
    canary host goes back to on a fail, from the hosts' records as read before the switch.

    A canary host that switches in this run is judged from ``at`` (when its traffic moved;
    now when not given) against the release it served. One that already served ``tag`` is
    judged from when it took it, against the release before, as long as some other host
    does not serve ``tag`` yet: a run killed during the canary's window is judged again by
    the next one, not waved through. Sentry tells releases apart by version: a baseline of
    the same version cannot be compared."""
    baselines: dict[str, Record] = {}
    since = _utc(at or now())
    switching = False
    for host in canary:
        info = hosts.get(host) or {}
        serving = _serving_record(info)
        if serving is None or serving["tag"] != tag:
            switching = True
            candidates = [serving] if serving is not None else []
        else:
            records = info.get("records", [])
            candidates = [r for r in records if r["tag"] != tag and "rolled_back" not in r][:1]
            since = min(since, _utc(serving["activated"]))
        if candidates and candidates[0].get("version") != version:
            baselines[host] = candidates[0]
    others = [h for h in hosts if h not in canary]
    behind = any((_serving_record(hosts[h]) or {}).get("tag") != tag for h in others)
    if not baselines or not (switching or behind):
        return {"judge": False, "since": "", "baseline": "", "baselines": {}}
    return {
        "judge": True,
        "since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "baseline": baselines[next(h for h in canary if h in baselines)]["version"],
        "baselines": baselines,
    }

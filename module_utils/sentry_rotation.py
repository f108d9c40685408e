"""The DSN rotation's decisions: where a rotation stands and what this run does next.

A rotation moves a project from its old client key to a new one: create the new key, record
the rotation, write the new DSN into the vault, roll the app out, prove each host sends with
the new key, deactivate the old key, record the end; later runs delete keys retired long
enough ago. Any step can be interrupted. ``decide`` reads where things stand from four
sources (the state file, Sentry's key list, the vault's DSN, each host's .env) and returns
what is left to do; the ``recorded_*`` functions give the state file after a step. The
state file holds key names and dates only, never a DSN.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml
from ansible.module_utils.sentry_api import InputError

STAMP = "%Y-%m-%dT%H:%M:%SZ"
HEADER = ("# Progress of the Sentry DSN rotation (playbooks/rotate_dsn.yml). "
          "Key names and dates only.\n")


class RotationError(InputError):
    """A situation the rotation refuses to act in; the message names keys, never a DSN."""


@dataclass(frozen=True)
class Key:
    name: str
    public: str = field(repr=False)
    active: bool


@dataclass
class Decision:
    project: str
    old_key: str
    new_key: str
    resuming: bool
    done: bool
    create_key: bool = False
    write_vault: bool = False
    retire: bool = False
    hosts_pending: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)

    def lines(self, hosts: list[str], label: str) -> list[str]:
        """The plan in words, for the user."""
        if self.done:
            return [f'Nothing to do: the vault already holds key "{self.new_key}". Set '
                    "sentry_dsn_key_name to rotate again."]
        verb = "Resume" if self.resuming else "Start"
        lines = [
            f"{verb} the rotation of {label}",
            f'Key to create or reuse: "{self.new_key}"'
            + ("" if self.create_key else " (it exists)"),
            "Vault file: " + ("write the new DSN" if self.write_vault else "holds it already"),
            "Hosts to roll out, one at a time: " + ", ".join(hosts),
            f'Key to deactivate once every host sends with the new one: "{self.old_key}"'
            + ("" if self.retire else " (inactive or gone already)"),
        ]
        if self.expired:
            lines.append("Retired keys to delete now: " + ", ".join(self.expired))
        return lines

    def result(self, hosts: list[str], label: str) -> dict[str, Any]:
        return {
            "old_key": self.old_key, "new_key": self.new_key, "resuming": self.resuming,
            "done": self.done, "create_key": self.create_key, "write_vault": self.write_vault,
            "retire": self.retire, "hosts_pending": self.hosts_pending,
            "expired": self.expired, "plan": self.lines(hosts, label),
        }


def keys_of(items: list[Mapping[str, Any]]) -> list[Key]:
    """The project's keys as Sentry lists them (each checked by the caller to have a name,
    a public key and isActive)."""
    return [Key(str(k["name"]), str(k["public"]), bool(k["isActive"])) for k in items]


def running(record: Mapping[str, Any], project: str) -> bool:
    """Whether the state file records an unfinished rotation of this project."""
    return (record.get("project") == project and bool(record.get("new_key"))
            and record.get("finished") is None)


def _only(keys: list[Key], name: str) -> Key | None:
    found = [k for k in keys if k.name == name]
    if len(found) > 1:
        raise RotationError(f'{len(found)} client keys are named "{name}": rename one, or set '
                            "sentry_dsn_key_name to another name")
    return found[0] if found else None


def decide(
    record: Mapping[str, Any],
    keys: list[Key],
    vault_public: str,
    hosts: Mapping[str, str | None],
    requested: str,
    project: str,
    now: datetime,
    delete_after: int | None,
) -> Decision:
    """What is left to do. ``hosts`` maps each host to the public key its .env uses (None
    when it has none)."""
    vault_key = next((k for k in keys if k.public == vault_public), None)
    resuming = running(record, project)
    if resuming:
        old, new = str(record["old_key"]), str(record["new_key"])
        if vault_key is not None and vault_key.name not in (old, new):
            raise RotationError(
                f'the vault\'s DSN is key "{vault_key.name}", neither the old key "{old}" nor '
                f'the new key "{new}" of the rotation under way; check the vault file'
            )
    else:
        if vault_key is None:
            raise RotationError(f"the vault's DSN is not a client key of project {project}; "
                                "check sentry_project and the vault file")
        old, new = vault_key.name, requested
    old_entry, new_entry = _only(keys, old), _only(keys, new)
    expired = _expired(record, now, delete_after, {old, new})
    if not resuming and old == new:
        return Decision(project, old, new, False, True, expired=expired)
    return Decision(
        project, old, new, resuming, False,
        create_key=new_entry is None,
        write_vault=new_entry is None or vault_public != new_entry.public,
        retire=old_entry is not None and old_entry.active,
        hosts_pending=sorted(h for h, public in hosts.items()
                             if new_entry is None or public != new_entry.public),
        expired=expired,
    )


def _expired(record: Mapping[str, Any], now: datetime, delete_after: int | None,
             in_use: set[str]) -> list[str]:
    """Retired keys whose grace period is over; never a key of the rotation at hand."""
    if delete_after is None:
        return []
    found = []
    for entry in record.get("retired") or []:
        if entry.get("deleted") is not None or entry.get("name") in in_use:
            continue
        deactivated = parse_stamp(entry.get("deactivated"))
        if deactivated is not None and (now - deactivated).days >= delete_after:
            found.append(str(entry["name"]))
    return found


# ---- the state file ---------------------------------------------------------------------


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP)


def parse_stamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.strptime(str(value), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def recorded_start(record: Mapping[str, Any], project: str, old: str, new: str,
                   now: datetime) -> dict[str, Any]:
    """The state file once the new key exists, before the vault changes."""
    if running(record, project) and (record["old_key"], record["new_key"]) == (old, new):
        return dict(record)
    return {"project": project, "old_key": old, "new_key": new, "started": stamp(now),
            "finished": None, "retired": list(record.get("retired") or [])}


def recorded_finish(record: Mapping[str, Any], old: str, now: datetime) -> dict[str, Any]:
    """The state file once the old key is deactivated."""
    if record.get("finished") is not None:
        return dict(record)
    retired = list(record.get("retired") or [])
    if not any(entry.get("name") == old for entry in retired):
        retired.append({"name": old, "deactivated": stamp(now), "deleted": None})
    return {**record, "finished": stamp(now), "retired": retired}


def recorded_deletions(record: Mapping[str, Any], names: list[str],
                       now: datetime) -> dict[str, Any]:
    """The state file once the retired keys ``names`` are deleted."""
    retired = [
        {**entry, "deleted": stamp(now)}
        if entry.get("name") in names and entry.get("deleted") is None else entry
        for entry in record.get("retired") or []
    ]
    return {**record, "retired": retired}


def read_record(path: str) -> dict[str, Any]:
    """The state file's record ({} when there is no file yet)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError):
        raise RotationError(f"sentry_dsn_state_file: {path} cannot be read as YAML") from None
    if data is None:
        return {}
    data = _stamps_as_text(data)
    if not isinstance(data, dict) or not (
        isinstance(data.get("old_key"), str) and isinstance(data.get("new_key"), str)
    ):
        raise RotationError(f"sentry_dsn_state_file: {path} is not a rotation state file")
    return data


def _stamps_as_text(data: Any) -> Any:
    """A hand-edited file may hold unquoted times, which YAML reads as datetimes."""
    if isinstance(data, dict):
        return {k: _stamps_as_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_stamps_as_text(v) for v in data]
    return stamp(parse_stamp(data)) if isinstance(data, datetime) else data  # type: ignore[arg-type]


def write_record(path: str, record: Mapping[str, Any]) -> bool:
    """Write the state file atomically (mode 0644: it holds no secret); False when it holds
    this record already."""
    text = HEADER + yaml.safe_dump(dict(record), default_flow_style=False, sort_keys=True)
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except FileNotFoundError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".sentry_dsn_rotation.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return True

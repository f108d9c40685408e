"""Set one top-level key of a whole-file ansible-vault encrypted YAML vars file (controller side).

The file is decrypted with the secrets Ansible was given (--ask-vault-pass,
--vault-password-file, --vault-id), the key's value is replaced by a line-level edit so comments
and key order survive, and the text is encrypted again with the secret that opened it, under the
file's own vault id. The previous ciphertext is kept next to it (mode 0600) and the new one is
written atomically with the file's mode. The value never appears in the result or the log.

A symlinked file is edited where it lives (the link stays a link), and the whole
read-edit-write holds an exclusive lock on the file's directory, so two writers at once
each see the other's write: neither is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, is_encrypted, parse_vaulttext_envelope
from ansible.plugins.action import ActionBase

ARGUMENT_SPEC: dict[str, Any] = {
    "path": {"type": "path", "required": True},
    "key": {"type": "str", "required": True, "no_log": False},
    "value": {"type": "str", "required": True, "no_log": True},
    "backup": {"type": "bool", "default": True},
}
KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HIDDEN = "(value hidden)"


class VaultVarError(Exception):
    """A problem with the file or its key; the message never holds a value."""


@dataclass
class Edit:
    text: str
    changed: bool


class _TagTolerantLoader(yaml.SafeLoader):
    """Reads Ansible's own tags (`!unsafe`, `!vault`) as the plain values they wrap."""


def _plain(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


_TagTolerantLoader.add_multi_constructor("!", _plain)


def value_span(text: str, key: str) -> tuple[int, int]:
    """First and past-the-end line index of the top-level `key: ...` entry, as the YAML parser
    places it (block scalars and flow collections over several lines included)."""
    root = yaml.compose(text, Loader=_TagTolerantLoader)
    entries = [(k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    if len(entries) != 1:
        raise VaultVarError(f"key {key} appears {len(entries)} times at the top level")
    name, value = entries[0]
    if name.start_mark.column != 0:
        raise VaultVarError(f"key {key} does not start a line")
    end = value.end_mark.line + (0 if value.end_mark.column == 0 else 1)
    return name.start_mark.line, max(end, name.start_mark.line + 1)


TRAILING_COMMENT = re.compile(
    r"""^[^:]+:\s*(?:'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s#'"|>][^#]*?)(?P<comment>\s+#.*)$"""
)


def render(key: str, value: str, old_line: str) -> str:
    """`key: "<value>"` (a JSON string is a valid YAML double-quoted scalar), keeping a
    trailing comment of the old single-line entry."""
    match = TRAILING_COMMENT.match(old_line.rstrip("\n"))
    comment = match["comment"] if match else ""
    return f"{key}: {json.dumps(value, ensure_ascii=False)}{comment}\n"


def load_mapping(text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_TagTolerantLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise VaultVarError(f"the decrypted file is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise VaultVarError("the decrypted file is not a YAML mapping of variables")
    return data


def set_key(text: str, key: str, value: str) -> Edit:
    """Replace the value of top-level `key` in YAML `text`; every other key keeps its value."""
    before = load_mapping(text)
    if key not in before:
        raise VaultVarError(f"key {key} is not in the file")
    if before[key] == value:
        return Edit(text, False)
    lines = text.splitlines(keepends=True)
    start, end = value_span(text, key)
    new_lines = [*lines[:start], render(key, value, lines[start]), *lines[end:]]
    new_text = "".join(new_lines)
    after = load_mapping(new_text)
    if after.get(key) != value or {k: v for k, v in after.items() if k != key} != {
        k: v for k, v in before.items() if k != key
    }:
        raise VaultVarError(f"key {key} could not be replaced by a line edit (is its value "
                            "a multi-line flow collection?); edit it with ansible-vault edit")
    return Edit(new_text, True)


def backup_path(path: str) -> str:
    """`<file>.<timestamp>~`: Ansible's backup naming; vars loaders skip names ending in ~."""
    stamp = time.strftime("%Y-%m-%d@%H:%M:%S")
    candidate, number = f"{path}.{stamp}~", 1
    while os.path.lexists(candidate):
        number += 1
        candidate = f"{path}.{stamp}.{number}~"
    return candidate


def write_backup(path: str, data: bytes) -> str:
    target = backup_path(path)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return target


def replace_atomically(path: str, data: bytes) -> None:
    """Temp file in the same directory, same mode and owner, fsync, then os.replace."""
    info = os.stat(path)
    directory, name = os.path.split(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, info.st_mode & 0o7777)
        if os.geteuid() == 0:
            os.chown(temp, info.st_uid, info.st_gid)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def locked(path: str) -> Iterator[None]:
    """Hold an exclusive lock on the directory of ``path`` (a lock on the file itself would
    be lost when the file is replaced by a new one)."""
    try:
        fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    except OSError as exc:
        raise VaultVarError(f"cannot open the directory of {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def open_vault(vault: VaultLib, path: str) -> tuple[bytes, str, str | None, Any]:
    """(ciphertext, plaintext, the file's vault id or None for a 1.1 header, secret used)."""
    try:
        with open(path, "rb") as handle:
            ciphertext = handle.read()
    except OSError as exc:
        raise VaultVarError(f"cannot read {path}: {exc.strerror}") from None
    if not is_encrypted(ciphertext):
        raise VaultVarError(f"{path} is not an ansible-vault encrypted file")
    _body, version, _cipher, file_id = parse_vaulttext_envelope(ciphertext)
    if not vault.secrets:
        raise VaultVarError(f"no vault secret was given to open {path} (use --ask-vault-pass, "
                            "--vault-password-file or --vault-id)")
    try:
        plaintext, _used_id, secret = vault.decrypt_and_get_vault_id(ciphertext)
    except AnsibleError:
        raise VaultVarError(f"none of the vault secrets given decrypts {path}") from None
    label = file_id if version == b"1.2" else None
    return ciphertext, to_text(plaintext, errors="surrogate_or_strict"), label, secret


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
            ) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _spec_result, args = self.validate_argument_spec(ARGUMENT_SPEC)
        path, key = args["path"], args["key"]
        if not KEY_NAME.match(key):
            raise AnsibleActionFail("key must be a variable name (letters, digits, _)")
        try:
            result.update(self.apply(path, key, str(args["value"]), args["backup"]))
        except VaultVarError as exc:
            raise AnsibleActionFail(str(exc)) from None
        return result

    def apply(self, path: str, key: str, value: str, backup: bool) -> dict[str, Any]:
        real = os.path.realpath(path)
        with locked(real):
            return self.edit(path, real, key, value, backup)

    def edit(self, path: str, real: str, key: str, value: str, backup: bool
             ) -> dict[str, Any]:
        vault = VaultLib(self._loader._vault.secrets)
        ciphertext, plaintext, label, secret = open_vault(vault, real)
        edit = set_key(plaintext, key, value)
        result: dict[str, Any] = {"changed": edit.changed, "path": path, "key": key,
                                  "vault_id": label or "default"}
        if edit.changed and self._task.diff:
            result["diff"] = {"before_header": path, "after_header": path,
                              "before": f"{key}: {HIDDEN}\n", "after": f"{key}: {HIDDEN} (new)\n"}
        if not edit.changed or self._task.check_mode:
            return result
        new_ciphertext = vault.encrypt(edit.text, secret=secret, vault_id=label)
        if to_text(vault.decrypt(new_ciphertext)) != edit.text:  # never write what cannot be read
            raise VaultVarError(f"re-encrypting {real} did not round-trip; nothing was written")
        if backup:
            result["backup_file"] = write_backup(real, ciphertext)
        replace_atomically(real, to_bytes(new_ciphertext))
        return result

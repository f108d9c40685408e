#!/usr/bin/python
"""Documentation of the vault_var action plugin (plugins/action/vault_var.py)."""

DOCUMENTATION = r"""
---
module: vault_var
short_description: Set one variable in an ansible-vault encrypted vars file on the controller
description:
  - Sets the value of one top-level key of a YAML vars file that is encrypted as a whole with
    ansible-vault, for example C(group_vars/all/vault.yml). Runs on the controller only.
  - The file is decrypted with the vault secrets given to Ansible (C(--ask-vault-pass),
    C(--vault-password-file), C(--vault-id label@source)) and encrypted again with the secret
    that opened it, under the file's own vault id, so the same password keeps working.
  - Only the key's lines change; comments, blank lines and the order of keys survive. The
    result is parsed again before writing and must hold the new value and every other key
    unchanged.
  - The new file is written atomically (temporary file in the same directory, then rename)
    with the old file's mode. The previous ciphertext is kept as C(<path>.<timestamp>~), mode
    0600; vars loaders skip names ending in C(~).
  - The value is never returned or logged. Set C(no_log) on the task as well, since the task's
    own arguments are outside the plugin's control.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
options:
  path:
    description: Path of the encrypted vars file on the controller.
    type: path
    required: true
  key:
    description: Top-level variable to set. It must already be in the file.
    type: str
    required: true
  value:
    description: New value (a string).
    type: str
    required: true
  backup:
    description: Keep the previous ciphertext next to the file.
    type: bool
    default: true
notes:
  - Supports check mode (reports whether the value would change, writes nothing) and diff mode
    (names the key; the values are shown as hidden).
  - Setting the value the key already has changes nothing and leaves the file untouched.
  - Fails, changing nothing, when the file is not vault encrypted, no given secret decrypts it,
    the key is missing, or the key's value cannot be replaced by a line edit.
"""

EXAMPLES = r"""
- name: Write the new DSN into the inventory's vault
  vault_var:
    path: "{{ inventory_dir }}/group_vars/all/vault.yml"
    key: vault_sentry_dsn
    value: "{{ new_dsn }}"
  delegate_to: localhost
  run_once: true
  no_log: true
"""

RETURN = r"""
path:
  description: The file.
  returned: always
  type: str
key:
  description: The key that was set.
  returned: always
  type: str
vault_id:
  description: Vault id of the file's header (C(default) for a header without one).
  returned: always
  type: str
  sample: prod
backup_file:
  description: Where the previous ciphertext was kept.
  returned: when the file changed and O(backup=true)
  type: str
  sample: inventory/production/group_vars/all/vault.yml.2026-11-29@10:15:02~
"""

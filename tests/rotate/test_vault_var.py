"""vault_var: one key of an encrypted vars file changes, through real ansible-playbook runs."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, ansible

spec = importlib.util.spec_from_file_location("vault_var", ROOT / "plugins/action/vault_var.py")
assert spec and spec.loader
vault_var = importlib.util.module_from_spec(spec)
sys.modules["vault_var"] = vault_var
spec.loader.exec_module(vault_var)

OLD_DSN = "http://0a1b2c3d4e5f40718293a4b5c6d74501@127.0.0.1:9000/4501"
NEW_DSN = "http://5e7a9c1d2b3f4a5b6c7d8e9fa0b1c2d3@127.0.0.1:9000/4501"
PLAIN = f"""---
# Secrets of the test inventory (fake values)
vault_django_secret_key: "test-secret-key-0123456789abcdef"   # rotated yearly

# Sentry
vault_sentry_dsn: "{OLD_DSN}"  # project web
vault_sentry_api_token: sntrys_test_full
vault_database_url: ''
vault_tls_key: |
  -----BEGIN TEST KEY-----
  not-a-real-key
  -----END TEST KEY-----
# trailing comment
"""
PLAY = """---
- name: Set one vault variable
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Write the value into the vault file
      vault_var:
        path: "{{ vault_file }}"
        key: "{{ vault_key | default('vault_sentry_dsn') }}"
        value: "{{ new_value }}"
      no_log: "{{ hide | default(true) | bool }}"
      register: written

    - name: Show what the plugin returned
      ansible.builtin.debug:
        var: written
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "play.yml").write_text(PLAY)
    (tmp_path / "pw").write_text("correct horse\n")
    (tmp_path / "other-pw").write_text("wrong battery\n")
    return tmp_path


def encrypt(workdir: Path, *vault_args: str) -> Path:
    path = workdir / "vault.yml"
    path.write_text(PLAIN)
    ansible("ansible-vault", "encrypt", *vault_args, str(path), check=True)
    path.chmod(0o640)
    return path


def view(path: Path, *vault_args: str) -> str:
    return ansible("ansible-vault", "view", *vault_args, str(path), check=True).stdout


def play(workdir: Path, path: Path, *args: str, value: str = NEW_DSN, stdin: str | None = None,
         **extra: str):
    extra_vars = [f"-e{k}={v}" for k, v in {"vault_file": str(path), "new_value": value,
                                             **extra}.items()]
    return ansible("ansible-playbook", str(workdir / "play.yml"), *extra_vars, *args,
                   stdin=stdin)


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.*~"))


def expected_plain(value: str) -> str:
    return PLAIN.replace(f'"{OLD_DSN}"', f'"{value}"')


VAULT_MODES = {
    "password file": (("--vault-password-file", "{pw}"), ("--vault-password-file", "{pw}"),
                      None, "$ANSIBLE_VAULT;1.1;AES256"),
    "vault id from a file": (("--vault-id", "prod@{pw}"), ("--vault-id", "prod@{pw}"), None,
                             "$ANSIBLE_VAULT;1.2;AES256;prod"),
    "vault id prompt": (("--vault-id", "prod@{pw}"), ("--vault-id", "prod@prompt"),
                        "correct horse\n", "$ANSIBLE_VAULT;1.2;AES256;prod"),
    "ask vault pass": (("--vault-password-file", "{pw}"), ("--ask-vault-pass",),
                       "correct horse\n", "$ANSIBLE_VAULT;1.1;AES256"),
}


@pytest.mark.parametrize("mode", list(VAULT_MODES))
def test_only_the_key_changes_and_the_file_stays_encrypted(workdir, mode):
    encrypt_args, play_args, stdin, header = VAULT_MODES[mode]
    fill = {"pw": str(workdir / "pw")}
    encrypt_args = tuple(a.format(**fill) for a in encrypt_args)
    play_args = tuple(a.format(**fill) for a in play_args)
    path = encrypt(workdir, *encrypt_args)
    old_cipher = path.read_bytes()

    result = play(workdir, path, *play_args, stdin=stdin)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "changed=1" in result.stdout
    assert path.read_text().splitlines()[0] == header
    assert view(path, "--vault-password-file", str(workdir / "pw")) == expected_plain(NEW_DSN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640

    [backup] = backups(path)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert backup.read_bytes() == old_cipher
    assert view(backup, "--vault-password-file", str(workdir / "pw")) == PLAIN
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".")] == []  # no temp left

    again = play(workdir, path, *play_args, stdin=stdin)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "changed=0" in again.stdout
    assert len(backups(path)) == 1


def test_value_never_reaches_the_output(workdir):
    path = encrypt(workdir, "--vault-password-file", str(workdir / "pw"))
    result = play(workdir, path, "--vault-password-file", str(workdir / "pw"), "-vvv", "--diff",
                  hide="false")
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "backup_file" in output  # the result itself is printed (hide=false)
    for secret in (NEW_DSN, OLD_DSN, "5e7a9c1d2b3f4a5b6c7d8e9fa0b1c2d3",
                   "0a1b2c3d4e5f40718293a4b5c6d74501", "test-secret-key"):
        assert secret not in output


def test_check_mode_reports_and_writes_nothing(workdir):
    path = encrypt(workdir, "--vault-password-file", str(workdir / "pw"))
    before = path.read_bytes()
    result = play(workdir, path, "--vault-password-file", str(workdir / "pw"), "--check",
                  "--diff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "changed=1" in result.stdout
    assert "vault_sentry_dsn: (value hidden)" in result.stdout
    assert path.read_bytes() == before
    assert backups(path) == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong password", "none of the vault secrets given decrypts"),
        ("not encrypted", "is not an ansible-vault encrypted file"),
        ("missing key", "key vault_missing is not in the file"),
        ("bad key name", "key must be a variable name"),
    ],
)
def test_errors_are_clear_and_change_nothing(workdir, case, message):
    path = encrypt(workdir, "--vault-password-file", str(workdir / "pw"))
    pw = workdir / "pw"
    extra: dict[str, str] = {}
    if case == "wrong password":
        # the vault id label matches, only the password is wrong
        path = encrypt(workdir, "--vault-id", f"prod@{pw}")
        pw = workdir / "other-pw"
    elif case == "not encrypted":
        path.write_text(PLAIN)
    elif case == "missing key":
        extra["vault_key"] = "vault_missing"
    else:
        extra["vault_key"] = "not-a-name"
    before = path.read_bytes()
    # no_log hides the message; the error is shown with hide=false on a throwaway value
    result = play(workdir, path, "--vault-id", f"prod@{pw}", value="x", hide="false", **extra)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert path.read_bytes() == before
    assert backups(path) == []


def test_line_edit_keeps_comments_order_and_other_values():
    edit = vault_var.set_key(PLAIN, "vault_sentry_dsn", NEW_DSN)
    assert edit.changed
    assert edit.text == expected_plain(NEW_DSN)
    block = vault_var.set_key(PLAIN, "vault_tls_key", "one line now")
    lines = block.text.splitlines()
    assert 'vault_tls_key: "one line now"' in lines
    assert lines[-1] == "# trailing comment"
    assert "not-a-real-key" not in block.text
    assert yaml.safe_load(block.text)["vault_database_url"] == ""
    assert vault_var.set_key(PLAIN, "vault_sentry_dsn", OLD_DSN).changed is False


def test_quotes_and_unicode_survive():
    tricky = "it's \"quoted\" # not a comment: ünïcode\\path"
    edit = vault_var.set_key(PLAIN, "vault_database_url", tricky)
    assert yaml.safe_load(edit.text)["vault_database_url"] == tricky


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "appears 2 times"),
        ("- a\n- b\n", "not a YAML mapping"),
        ("a: [1,\n2]\nb: 3\n", None),  # a flow list over two lines is still one entry
        ("a: {\n", "not valid YAML"),
    ],
)
def test_refuses_what_it_cannot_edit_safely(text, message):
    if message is None:
        edit = vault_var.set_key(text, "a", "x")
        assert yaml.safe_load(edit.text) == {"a": "x", "b": 3}
        return
    with pytest.raises(vault_var.VaultVarError, match=message):
        vault_var.set_key(text, "a", "x")


def test_backup_names_never_collide(tmp_path):
    target = tmp_path / "vault.yml"
    first = vault_var.write_backup(str(target), b"one")
    second = vault_var.write_backup(str(target), b"two")
    assert first != second
    assert [Path(first).read_bytes(), Path(second).read_bytes()] == [b"one", b"two"]
    assert os.path.basename(second).endswith("~")


def test_a_symlinked_file_is_written_where_it_lives(workdir):
    real_dir = workdir / "secrets"
    real_dir.mkdir()
    encrypt(workdir, "--vault-password-file", str(workdir / "pw"))
    real = real_dir / "vault.yml"
    os.replace(workdir / "vault.yml", real)
    link = workdir / "vault.yml"
    link.symlink_to(real)
    result = play(workdir, link, "--vault-password-file", str(workdir / "pw"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert link.is_symlink() and link.resolve() == real
    assert view(real, "--vault-password-file", str(workdir / "pw")) == expected_plain(NEW_DSN)
    assert backups(real) and not backups(link)


def test_writers_at_once_all_land(workdir):
    """Four writers, each setting another key at the same time: with the lock each one
    reads the others' writes, so every new value is in the file and nothing else changed."""
    import subprocess

    path = encrypt(workdir, "--vault-password-file", str(workdir / "pw"))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    values = {"vault_sentry_dsn": NEW_DSN, "vault_sentry_api_token": "sntrys_rotated",
              "vault_django_secret_key": "rotated-secret-key", "vault_database_url": "sqlite://"}
    runs = [
        subprocess.Popen(
            [str(Path(sys.executable).parent / "ansible-playbook"), str(workdir / "play.yml"),
             "--vault-password-file", str(workdir / "pw"), f"-evault_file={path}",
             f"-evault_key={key}", f"-enew_value={value}"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for key, value in values.items()
    ]
    for run in runs:
        assert run.wait(timeout=180) == 0, run.stdout.read() if run.stdout else ""
    found = yaml.safe_load(view(path, "--vault-password-file", str(workdir / "pw")))
    assert {key: found[key] for key in values} == values
    assert found["vault_tls_key"].startswith("-----BEGIN TEST KEY-----")


def test_the_lock_serializes_read_edit_write(tmp_path):
    """Unit level: while one writer holds the lock, another waits for it."""
    import threading
    import time

    target = tmp_path / "vault.yml"
    target.write_text("x")
    order: list[str] = []

    def second() -> None:
        with vault_var.locked(str(target)):
            order.append("second")

    with vault_var.locked(str(target)):
        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.3)
        order.append("first")
    waiter.join(timeout=5)
    assert order == ["first", "second"]


def test_a_slow_writer_does_not_lose_the_other_write(workdir, monkeypatch):
    """Deterministic: each edit sleeps between its read and its write, so without the lock
    both writers read the same file and the second write undoes the first."""
    import threading
    import time
    from types import SimpleNamespace

    from ansible.parsing.vault import VaultSecret

    path = encrypt(workdir, "--vault-password-file", str(workdir / "pw"))
    secret = VaultSecret(b"correct horse")
    real_set_key = vault_var.set_key

    def slow_set_key(text, key, value):
        edit = real_set_key(text, key, value)
        time.sleep(0.5)
        return edit

    monkeypatch.setattr(vault_var, "set_key", slow_set_key)

    def writer(key: str, value: str) -> None:
        action = object.__new__(vault_var.ActionModule)
        action._loader = SimpleNamespace(_vault=SimpleNamespace(secrets=[("default", secret)]))
        action._task = SimpleNamespace(diff=False, check_mode=False)
        action.apply(str(path), key, value, False)

    threads = [threading.Thread(target=writer, args=item) for item in
               (("vault_sentry_dsn", NEW_DSN), ("vault_sentry_api_token", "sntrys_rotated"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    found = yaml.safe_load(view(path, "--vault-password-file", str(workdir / "pw")))
    assert (found["vault_sentry_dsn"], found["vault_sentry_api_token"]) == (
        NEW_DSN, "sntrys_rotated")

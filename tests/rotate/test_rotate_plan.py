"""The rotation's first step against the stand-in: plan, create the key, write the vault.

Two local "hosts" with their own .env stand in for the app servers; the rollout and the test
events need Docker and are covered by molecule/rotate_dsn."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ansible

PLAY = """---
- name: Plan the rotation
  hosts: app_hosts
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: Plan, create the key and update the vault file
      ansible.builtin.include_role:
        name: sentry_dsn
        tasks_from: plan
"""


@pytest.fixture
def inventory(tmp_path: Path, make_sentry_standin):
    standin = make_sentry_standin(page_size=1)
    # a second key, so the key list spans pages and the old key is not simply the only one
    standin.server.state.keys.append(
        __import__("tools.sentry_standin.state", fromlist=["new_key"]).new_key(
            "4501", {"name": "Browser"}))
    old = [k for k in standin.state()["keys"] if k["name"] == "Default" and k["projectId"] == 4501]
    old_dsn = old[0]["dsn"]["public"]
    inv = tmp_path / "inv"
    (inv / "group_vars/all").mkdir(parents=True)
    (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"app_hosts": {"hosts": {
        name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
               "django_app_dir": str(tmp_path / name)}
        for name in ("web1", "web2")}}}}}))
    for name in ("web1", "web2"):
        (tmp_path / name).mkdir()
        (tmp_path / name / ".env").write_text(f"DJANGO_SECRET_KEY='x'\nSENTRY_DSN='{old_dsn}'\n")
    (inv / "group_vars/all/main.yml").write_text(yaml.safe_dump({
        "django_app_sentry_dsn": "{{ vault_sentry_dsn }}", "sentry_api_url": standin.url,
        "sentry_api_token": "{{ vault_sentry_api_token }}", "sentry_org": "acme",
        "sentry_project": "web", "sentry_dsn_key_name": "web 2026-11-29"}))
    vault = inv / "group_vars/all/vault.yml"
    vault.write_text(f"---\n# fake test secrets\nvault_sentry_dsn: '{old_dsn}'\n"
                     "vault_sentry_api_token: sntrys_test_full  # test token\n")
    (tmp_path / "pw").write_text("test vault password\n")
    ansible("ansible-vault", "encrypt", "--vault-id", f"test@{tmp_path / 'pw'}", str(vault),
            check=True)
    (tmp_path / "play.yml").write_text(PLAY)
    return {"standin": standin, "dir": tmp_path, "inv": inv, "vault": vault, "old_dsn": old_dsn}


def run(env, *args):
    return ansible("ansible-playbook", "-i", str(env["inv"] / "hosts.yml"),
                   "--vault-id", f"test@{env['dir'] / 'pw'}", str(env["dir"] / "play.yml"),
                   *args)


def web_keys(env):
    return [k for k in env["standin"].state()["keys"] if k["projectId"] == 4501]


def vault_text(env):
    return ansible("ansible-vault", "view", "--vault-id", f"test@{env['dir'] / 'pw'}",
                   str(env["vault"]), check=True).stdout


def test_check_mode_shows_the_plan_and_changes_nothing(inventory):
    before = inventory["vault"].read_bytes()
    result = run(inventory, "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Key to create or reuse: \\"web 2026-11-29\\"' in result.stdout or \
        'Key to create or reuse: "web 2026-11-29"' in result.stdout
    assert "Default" in result.stdout and "web1, web2" in result.stdout
    assert len(web_keys(inventory)) == 2
    assert inventory["vault"].read_bytes() == before
    assert not (inventory["inv"] / ".sentry_dsn_rotation.yml").exists()


def test_creates_one_key_writes_the_vault_and_resumes_without_a_third(inventory):
    result = run(inventory)
    assert result.returncode == 0, result.stdout + result.stderr
    keys = {k["name"]: k for k in web_keys(inventory)}
    assert set(keys) == {"Default", "Browser", "web 2026-11-29"}
    new_dsn = keys["web 2026-11-29"]["dsn"]["public"]
    assert vault_text(inventory) == (f"---\n# fake test secrets\nvault_sentry_dsn: \"{new_dsn}\"\n"
                                     "vault_sentry_api_token: sntrys_test_full  # test token\n")
    assert inventory["vault"].read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;test")
    state = yaml.safe_load((inventory["inv"] / ".sentry_dsn_rotation.yml").read_text())
    assert not list(inventory["inv"].glob("*_vars/**/sentry_dsn_rotation.yml"))
    assert (state["old_key"], state["new_key"], state["finished"]) == \
        ("Default", "web 2026-11-29", None)
    output = result.stdout + result.stderr
    for secret in (new_dsn, inventory["old_dsn"], keys["web 2026-11-29"]["public"]):
        assert secret not in output
    # interrupted after step 2: the re-run resumes with the same key
    again = run(inventory, "-e", "sentry_dsn_key_name=web 2026-11-30")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Resume the rotation" in again.stdout
    assert sorted(k["name"] for k in web_keys(inventory)) == ["Browser", "Default",
                                                               "web 2026-11-29"]
    assert all(k["isActive"] for k in web_keys(inventory))


def test_token_without_project_write_changes_nothing(inventory):
    before = inventory["vault"].read_bytes()
    result = run(inventory, "-e", "sentry_api_token=sntrys_test_readonly")
    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr
    assert len(web_keys(inventory)) == 2
    assert inventory["vault"].read_bytes() == before
    assert not (inventory["inv"] / ".sentry_dsn_rotation.yml").exists()


def test_wrong_vault_password_changes_nothing(inventory):
    before = inventory["vault"].read_bytes()
    (inventory["dir"] / "bad").write_text("not the password\n")
    result = ansible("ansible-playbook", "-i", str(inventory["inv"] / "hosts.yml"),
                     "--vault-id", f"test@{inventory['dir'] / 'bad'}",
                     str(inventory["dir"] / "play.yml"))
    assert result.returncode != 0
    assert len(web_keys(inventory)) == 2
    assert inventory["vault"].read_bytes() == before
    assert json.dumps(before.decode())  # the file is untouched ciphertext

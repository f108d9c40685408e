"""playbooks/deploy.yml refuses bad input before it touches any host.

Two local "hosts": each bad case must fail with one message naming the variable, never its
value, and leave both hosts' app directories uncreated. A good inventory passes, and its check
run (which reads the local Docker engine) creates and starts nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DSN = "https://0123456789abcdef0123456789abcdef@o1.ingest.example.com/42"
SECRET_KEY = "Zq8#xv2!Lm9@Tr4$Wn7%Yp1^Ks6&Hd3*Bf5(Gj0)Qc-Ve=Ua+Nx_Rt" + "k" * 4
TOKEN = "sntrys_validation_test_token"


def deploy(
    tmp_path: Path,
    extra: dict,
    *,
    hosts: int = 2,
    vault_password: str | None = None,
    vault_vars: dict | None = None,
    extra_args: tuple | list = (),
) -> subprocess.CompletedProcess[str]:
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
    (inventory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "app_hosts": {
                            "hosts": {
                                f"web{i}": {
                                    "ansible_connection": "local",
                                    "ansible_python_interpreter": sys.executable,
                                    "django_app_dir": str(tmp_path / f"web{i}"),
                                }
                                for i in range(1, hosts + 1)
                            }
                        }
                    }
                }
            }
        )
    )
    (inventory / "group_vars" / "all" / "main.yml").write_text(
        yaml.safe_dump(
            {
                "django_app_sentry_dsn": "{{ vault_sentry_dsn }}",
                "django_app_secret_key": "{{ vault_django_secret_key }}",
                "django_app_database_url": "{{ vault_database_url }}",
                "sentry_api_token": "{{ vault_sentry_api_token }}",
                "sentry_org": "acme",
                "sentry_project": "web",
                **extra,
            }
        )
    )
    args = [
        str(BIN / "ansible-playbook"),
        "-v",
        "-i",
        str(inventory),
        "playbooks/deploy.yml",
        *extra_args,
    ]
    if vault_vars is not None:
        vault = inventory / "group_vars" / "all" / "vault.yml"
        vault.write_text(yaml.safe_dump(vault_vars))
        password = tmp_path / "vault-password"
        password.write_text("the right password\n")
        env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
        subprocess.run(
            [
                str(BIN / "ansible-vault"),
                "encrypt",
                "--vault-password-file",
                str(password),
                str(vault),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        given = tmp_path / "given-password"
        given.write_text((vault_password or "the right password") + "\n")
        args += ["--vault-password-file", str(given)]
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def good_vault(**changes: str) -> dict:
    values = {
        "vault_sentry_dsn": DSN,
        "vault_django_secret_key": SECRET_KEY,
        "vault_database_url": "postgres://web:db-password-123@db.example.com:5432/web",
        "vault_sentry_api_token": TOKEN,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def assert_refused(
    result: subprocess.CompletedProcess[str], tmp_path: Path, message: str, *secrets: str
) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in " ".join(output.split()), output
    for secret in secrets:
        assert secret not in output
    assert not (tmp_path / "web1").exists() and not (tmp_path / "web2").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"vault_sentry_dsn": "https://o1.ingest.example.com/42"},
            "django_app_sentry_dsn is not a valid DSN",
        ),
        (
            {"vault_sentry_dsn": "0123456789abcdef0123456789abcdef@example.com/42"},
            "django_app_sentry_dsn is not a valid DSN",
        ),
        (
            {"vault_sentry_dsn": "https://0123456789abcdef0123456789abcdef@example.com/project"},
            "django_app_sentry_dsn is not a valid DSN",
        ),
        ({"vault_django_secret_key": "short-key-but-secret"}, "django_app_secret_key is too weak"),
        (
            {"vault_django_secret_key": "django-insecure-" + "a1b2c3d4e5" * 5},
            "django_app_secret_key is too weak",
        ),
        (
            {"vault_database_url": "mysql://web:db-password-123@db.example.com/web"},
            "django_app_database_url has an unsupported scheme",
        ),
        (
            {"vault_django_secret_key": SECRET_KEY + "'"},
            "django_app_secret_key must not contain a quote",
        ),
    ],
)
def test_a_malformed_secret_is_named_never_shown(tmp_path: Path, change: dict, message: str):
    vault = good_vault(**change)
    result = deploy(tmp_path, {}, vault_vars=vault)
    assert_refused(result, tmp_path, message, *vault.values())


def test_a_missing_vault_variable_is_named(tmp_path: Path):
    vault = good_vault(vault_django_secret_key=None)
    result = deploy(tmp_path, {}, vault_vars=vault)
    assert_refused(result, tmp_path, "'vault_django_secret_key' is undefined", DSN, TOKEN)


def test_a_wrong_vault_password_changes_nothing(tmp_path: Path):
    result = deploy(tmp_path, {}, vault_vars=good_vault(), vault_password="a wrong password")
    assert_refused(result, tmp_path, "Decryption failed")


@pytest.mark.parametrize("url", ["", "sqlite:////data/db.sqlite3", "SQLITE:////data/db.sqlite3"])
def test_sqlite_on_two_hosts_is_refused_whatever_its_spelling(tmp_path: Path, url: str):
    result = deploy(tmp_path, {}, vault_vars=good_vault(vault_database_url=url))
    assert_refused(result, tmp_path, "the inventory has 2 app hosts", SECRET_KEY, DSN)


def test_sqlite_is_refused_when_the_play_is_limited_to_one_host(tmp_path: Path):
    result = deploy(
        tmp_path, {}, vault_vars=good_vault(vault_database_url=""), extra_args=["--limit", "web1"]
    )
    assert_refused(result, tmp_path, "the inventory has 2 app hosts", SECRET_KEY, DSN)


def test_sqlite_outside_the_data_volume_is_refused(tmp_path: Path):
    url = "sqlite:////tmp/db.sqlite3"
    result = deploy(tmp_path, {}, vault_vars=good_vault(vault_database_url=url), hosts=1)
    assert_refused(result, tmp_path, "a SQLite database must be a file in the data volume", url)


@pytest.mark.parametrize(
    "extra",
    [
        {"django_app_allowed_hosts": []},
        {"django_app_allowed_hosts": ["*"]},
        {"django_app_candidate_port": 80},
        {"django_app_http_port": 70000},
        {"django_app_keep_releases": 0},
        {"django_app_health_timeout": -5},
        {"django_app_memory": "lots"},
        {"django_app_env_extra": {"DJANGO_SECRET_KEY": "shown-in-docker-inspect"}},
    ],
)
def test_unsafe_settings_are_refused(tmp_path: Path, extra: dict):
    result = deploy(tmp_path, extra, vault_vars=good_vault())
    assert_refused(result, tmp_path, "django_app_allowed_hosts must name the site's hosts")


def test_half_a_tls_pair_is_refused(tmp_path: Path):
    result = deploy(
        tmp_path,
        {"django_app_tls_certificate": "-----BEGIN CERTIFICATE-----\nx\n"},
        vault_vars=good_vault(),
    )
    assert_refused(result, tmp_path, "must be given together", SECRET_KEY, DSN)


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({"lower_case": "value"}, "django_app_env_secrets names lower_case: names are upper-case"),
        ({"DATABASE_URL": "postgres://x"}, "django_app_env_secrets names DATABASE_URL: names are"),
        (
            {"STRIPE_API_KEY": "sk_live_quote'd"},
            "django_app_env_secrets.STRIPE_API_KEY must not contain a quote",
        ),
    ],
)
def test_bad_extra_secrets_are_named_never_shown(tmp_path: Path, secrets: dict, message: str):
    result = deploy(tmp_path, {"django_app_env_secrets": secrets}, vault_vars=good_vault())
    assert_refused(result, tmp_path, message, *secrets.values())


def test_valid_input_passes_and_a_check_run_changes_nothing(tmp_path: Path):
    # The same inventory with good values passes every check; in check mode the deploy
    # then reports what it would do and still creates, builds and starts nothing.
    extra = {
        "django_app_name": "validation-check",
        "django_app_record_release": False,
        "django_app_http_port": 18081,
        "django_app_candidate_port": 18082,
    }
    args = ["--check", "--diff"]
    result = deploy(tmp_path, extra, vault_vars=good_vault(), hosts=1, extra_args=args)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Would switch web1 from no release to validation-check-" in output
    assert "Sentry would not judge the canary: no host runs an earlier release" in output
    for secret in good_vault().values():
        assert secret not in output
    assert not (tmp_path / "web1").exists()
    docker = subprocess.run(
        ["docker", "ps", "-a", "-q", "--filter", "name=validation-check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert docker.stdout.strip() == ""


def build_base(tag: str, label: str) -> None:
    """A base image of its own: the local Debian 12 base plus a label (a new id each label)."""
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, "-"],
        input=f"FROM django-sentry-deploy/debian:12\nLABEL test.base.revision={label}\n",
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
        capture_output=True,
        text=True,
        check=True,
    )


def planned_tag(tmp_path: Path, base: str) -> str:
    extra = {
        "django_app_name": "identity-check",
        "django_app_record_release": False,
        "django_app_build_bases": [{"image": base, "python": "3.11"}],
    }
    result = deploy(
        tmp_path, extra, vault_vars=good_vault(), hosts=1, extra_args=["--check", "--diff"]
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    match = re.search(r"Would switch web1 from no release to identity-check-(\w+)-", output)
    assert match, output[-3000:]
    return match.group(1)


def test_a_rebuilt_base_image_is_a_new_release(tmp_path: Path):
    # A security update of the base changes no file of the project or the bundle: its id
    # must still change the release, or the update never reaches the hosts.
    base = "django-sentry-deploy/test-identity-base:current"
    try:
        build_base(base, "1")
        first = planned_tag(tmp_path / "first", base)
        assert planned_tag(tmp_path / "again", base) == first
        build_base(base, "2")
        assert planned_tag(tmp_path / "rebuilt", base) != first
    finally:
        subprocess.run(["docker", "rmi", base], capture_output=True, check=False)

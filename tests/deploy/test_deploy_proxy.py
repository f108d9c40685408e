"""The proxy's changes go through the gate: checked on the controller, staged and tested
with nginx -t on every host, applied host by host.

A certificate and key that do not belong together stop the deploy before any host is
touched. On a host that serves a release, a configuration nginx refuses fails the prepare
and leaves the proxy and its files as they were; a good change (TLS on) is applied, a
second run changes nothing, and a check run shows the configuration's diff and writes
nothing. The app's images stay on the engine as a build cache; its containers, network and
volume are removed.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

from tests.deploy.test_deploy_validation import SECRET_KEY, assert_refused, deploy, good_vault

NAME = "proxy-gate"
HTTP_PORT, CANDIDATE_PORT, HTTPS_PORT = 18381, 18382, 18383
RECAP = re.compile(r"^web1\s+: ok=\d+\s+changed=(\d+)", re.MULTILINE)


def key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def self_signed(key: ec.EllipticCurvePrivateKey) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    start = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.PEM).decode()


def test_a_key_of_another_certificate_is_refused_before_any_host(tmp_path: Path):
    certificate = self_signed(ec.generate_private_key(ec.SECP256R1()))
    other_key = key_pem(ec.generate_private_key(ec.SECP256R1()))
    extra = {"django_app_tls_certificate": certificate, "django_app_tls_private_key": other_key}
    result = deploy(tmp_path, extra, vault_vars=good_vault())
    key_body = other_key.splitlines()[1]
    assert_refused(
        result,
        tmp_path,
        "django_app_tls_private_key does not match django_app_tls_certificate",
        key_body,
        SECRET_KEY,
    )
    assert "PRIVATE KEY-----" not in result.stdout + result.stderr


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60,
                          check=False)


def proxy_state() -> tuple[str, str]:
    """The proxy container's id and start time: a recreate or restart changes them."""
    inspect = docker("inspect", "-f", "{{.Id}} {{.State.StartedAt}}", f"{NAME}-proxy")
    assert inspect.returncode == 0, inspect.stderr
    container_id, started = inspect.stdout.split()
    return container_id, started


def status(url: str) -> int:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, headers={"Host": "localhost"})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def changed(output: str) -> int:
    match = RECAP.search(output)
    assert match, output[-3000:]
    return int(match.group(1))


@pytest.fixture
def app() -> Iterator[None]:
    yield
    containers = docker("ps", "-a", "-q", "--filter", f"name=^{NAME}-").stdout.split()
    if containers:
        docker("rm", "-f", *containers)
    docker("network", "rm", NAME)
    docker("volume", "rm", f"{NAME}-data")


@pytest.mark.docker
def test_proxy_changes_are_tested_then_applied_once(tmp_path: Path, app: None):
    vault = good_vault(vault_database_url="")
    base = {
        "django_app_name": NAME,
        "django_app_record_release": False,
        "django_app_http_port": HTTP_PORT,
        "django_app_candidate_port": CANDIDATE_PORT,
        "django_app_https_port": HTTPS_PORT,
    }
    key = ec.generate_private_key(ec.SECP256R1())
    tls = {
        "django_app_tls_certificate": self_signed(key),
        "django_app_tls_private_key": key_pem(key),
    }

    def run(extra: dict, *args: str) -> str:
        result = deploy(tmp_path, {**base, **extra}, vault_vars=vault, hosts=1, extra_args=args)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-4000:]
        return output

    proxy_dir = tmp_path / "web1" / "proxy"
    run({})
    before, conf = proxy_state(), (proxy_dir / "nginx.conf").read_text()
    assert status(f"http://127.0.0.1:{HTTP_PORT}/healthz") == 200

    # An override only a test makes: the one way to hand nginx a directive it refuses.
    bad = json.dumps({"django_app_scheme": "https; bogus_directive on"})
    result = deploy(tmp_path, base, vault_vars=vault, hosts=1, extra_args=["-e", bad])
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "nginx -t refuses the proxy's new configuration" in output
    assert 'unknown directive "bogus_directive"' in output
    assert proxy_state() == before and (proxy_dir / "nginx.conf").read_text() == conf
    assert status(f"http://127.0.0.1:{HTTP_PORT}/healthz") == 200

    # TLS on publishes another port: the proxy is recreated and serves the certificate.
    run(tls)
    assert proxy_state()[0] != before[0]
    assert status(f"https://127.0.0.1:{HTTPS_PORT}/healthz") == 200
    assert status(f"https://127.0.0.1:{HTTPS_PORT}/readyz") == 404
    assert status(f"http://127.0.0.1:{HTTP_PORT}/readyz") == 404
    assert oct((proxy_dir / "tls.key").stat().st_mode & 0o777) == "0o440"

    applied, conf = proxy_state(), (proxy_dir / "nginx.conf").read_text()
    again = run(tls)
    assert changed(again) == 0, again[-4000:]
    assert proxy_state() == applied

    # A check run shows what turning TLS off would write, and writes nothing.
    checked = run({}, "--check", "--diff")
    assert "-        listen 8443 ssl" in checked
    assert proxy_state() == applied and (proxy_dir / "nginx.conf").read_text() == conf
    assert (proxy_dir / "tls.key").exists()

"""tls_pair_info: a certificate chain and its key, checked as a pair without showing either."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ansible.module_utils.tls_pair import TlsPairError, check_pair
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NOW = datetime(2030, 6, 1, tzinfo=UTC)
CERT_NAME = "django_app_tls_certificate"
KEY_NAME = "django_app_tls_private_key"


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, password: bytes = b"") -> str:
    encryption = BestAvailableEncryption(password) if password else NoEncryption()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption).decode()


def certificate(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    name: str,
    *,
    not_after: datetime,
    issuer_key: ec.EllipticCurvePrivateKey | None = None,
    issuer: str | None = None,
) -> str:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - timedelta(days=90))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    )
    signed = builder.sign(issuer_key or key, hashes.SHA256())
    return signed.public_bytes(Encoding.PEM).decode()


def check(cert: str, key: str):
    return check_pair(cert, key, now=NOW, certificate_name=CERT_NAME, key_name=KEY_NAME)


def refused(cert: str, key: str) -> str:
    with pytest.raises(TlsPairError) as caught:
        check(cert, key)
    message = str(caught.value)
    assert "\n" not in message and "-----" not in message
    return message


def test_a_matching_chain_and_key_are_described():
    ca_key, site_key = new_key(), new_key()
    ca = certificate(ca_key, "Example CA", not_after=NOW + timedelta(days=900))
    site = certificate(
        site_key, "www.example.com", not_after=NOW + timedelta(days=30),
        issuer_key=ca_key, issuer="Example CA",
    )
    pair = check(site + ca, key_pem(site_key))
    assert pair.as_dict() == {
        "subject": "CN=www.example.com",
        "not_after": (NOW + timedelta(days=30)).isoformat(),
        "subject_alt_names": ["www.example.com"],
        "chain_length": 2,
    }


def test_an_rsa_pair_matches_too():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = certificate(key, "rsa.example.com", not_after=NOW + timedelta(days=1))
    assert check(cert, key_pem(key)).subject == "CN=rsa.example.com"


def test_a_key_of_another_certificate_is_refused():
    cert = certificate(new_key(), "www.example.com", not_after=NOW + timedelta(days=30))
    other = key_pem(new_key())
    message = refused(cert, other)
    assert message.startswith(f"{KEY_NAME} does not match {CERT_NAME}")


def test_the_key_of_an_intermediate_is_refused():
    # nginx serves the chain's first certificate: the key must be that one's.
    ca_key, site_key = new_key(), new_key()
    ca = certificate(ca_key, "Example CA", not_after=NOW + timedelta(days=900))
    site = certificate(
        site_key, "www.example.com", not_after=NOW + timedelta(days=30),
        issuer_key=ca_key, issuer="Example CA",
    )
    assert refused(site + ca, key_pem(ca_key)).startswith(f"{KEY_NAME} does not match")


def test_an_expired_certificate_is_refused():
    key = new_key()
    cert = certificate(key, "old.example.com", not_after=NOW - timedelta(days=1))
    assert refused(cert, key_pem(key)).startswith(f"{CERT_NAME} expired on")


@pytest.mark.parametrize(
    ("cert", "key", "start"),
    [
        ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", None,
         f"{CERT_NAME} is not a PEM certificate"),
        ("garbage", None, f"{CERT_NAME} is not a PEM certificate"),
        (None, "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n",
         f"{KEY_NAME} is not a PEM private key"),
    ],
)
def test_garbage_is_named_and_never_quoted(cert: str | None, key: str | None, start: str):
    site_key = new_key()
    good_cert = certificate(site_key, "www.example.com", not_after=NOW + timedelta(days=30))
    message = refused(cert or good_cert, key or key_pem(site_key))
    assert message.startswith(start)
    assert "bm90IGEgY2VydA" not in message and "c2VjcmV0" not in message


def test_an_encrypted_key_is_refused():
    key = new_key()
    cert = certificate(key, "www.example.com", not_after=NOW + timedelta(days=30))
    message = refused(cert, key_pem(key, password=b"passphrase"))
    assert message.startswith(f"{KEY_NAME} is encrypted")


def test_the_module_fails_with_one_line_that_holds_no_key():
    cert = certificate(new_key(), "www.example.com", not_after=datetime.now(UTC)
                       + timedelta(days=30))
    other = key_pem(new_key())
    args = {"certificate": cert, "private_key": other,
            "certificate_name": CERT_NAME, "private_key_name": KEY_NAME}
    proc = subprocess.run(
        [str(BIN / "ansible"), "localhost", "-c", "local", "-m", "tls_pair_info",
         "-e", f"ansible_python_interpreter={sys.executable}", "-a", json.dumps(args)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"},
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert f"{KEY_NAME} does not match {CERT_NAME}" in output
    assert "PRIVATE KEY" not in output and other.splitlines()[1] not in output


def test_the_documentation_matches_the_argument_spec():
    proc = subprocess.run([str(BIN / "ansible-doc"), "-M", "library", "--json", "tls_pair_info"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "WARNING" not in proc.stderr, proc.stderr
    documented = json.loads(proc.stdout)["tls_pair_info"]["doc"]["options"]
    spec = importlib.import_module("tls_pair_info").argument_spec()
    assert set(documented) == set(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"]
        assert documented[name].get("default") == option.get("default")
        assert bool(documented[name].get("required")) == bool(option.get("required"))

"""A TLS certificate chain and its private key, checked as a pair on the controller.

Errors name the variables the caller gives and never quote the PEM text: a key that
does not parse must not end up in a log.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        PublicFormat,
        load_pem_private_key,
    )
except ImportError:  # pragma: no cover - depends on the controller's Python
    CRYPTOGRAPHY_MISSING = True
else:
    CRYPTOGRAPHY_MISSING = False

CRYPTOGRAPHY_HINT = (
    "the Python package 'cryptography' is missing on the controller's Python "
    f"({sys.executable}); install it next to ansible-core"
)


class TlsPairError(Exception):
    """A certificate or key that cannot serve: one line, no key material."""


@dataclass(frozen=True)
class TlsPair:
    subject: str
    not_after: datetime
    subject_alt_names: list[str]
    chain_length: int

    def as_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "not_after": self.not_after.isoformat(),
            "subject_alt_names": self.subject_alt_names,
            "chain_length": self.chain_length,
        }


def load_chain(pem: str, name: str) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        raise TlsPairError(f"{name} is not a PEM certificate chain") from None
    return chain


def load_key(pem: str, name: str) -> PrivateKeyTypes:
    try:
        return load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        raise TlsPairError(f"{name} is encrypted: give the key without a passphrase") from None
    except UnsupportedAlgorithm:
        raise TlsPairError(f"{name} is a private key of an unsupported type") from None
    except ValueError:
        raise TlsPairError(f"{name} is not a PEM private key") from None


def public_key_der(holder: PrivateKeyTypes | x509.Certificate) -> bytes:
    return holder.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def alt_names(certificate: x509.Certificate) -> list[str]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(name.value) for name in extension.value]


def check_pair(
    certificate_pem: str,
    key_pem: str,
    *,
    now: datetime,
    certificate_name: str = "certificate",
    key_name: str = "private_key",
) -> TlsPair:
    """The leaf (the chain's first certificate) must carry the key's public key and be valid now."""
    if CRYPTOGRAPHY_MISSING:
        raise TlsPairError(CRYPTOGRAPHY_HINT)
    chain = load_chain(certificate_pem, certificate_name)
    key = load_key(key_pem, key_name)
    leaf = chain[0]
    if public_key_der(key) != public_key_der(leaf):
        raise TlsPairError(
            f"{key_name} does not match {certificate_name}: the key is not the one of the "
            "chain's first certificate (the site's own, before any intermediate)"
        )
    not_after = leaf.not_valid_after_utc
    if not_after <= now.astimezone(UTC):
        raise TlsPairError(
            f"{certificate_name} expired on {not_after:%Y-%m-%d %H:%M} UTC: renew it"
        )
    return TlsPair(
        subject=leaf.subject.rfc4514_string(),
        not_after=not_after,
        subject_alt_names=alt_names(leaf),
        chain_length=len(chain),
    )

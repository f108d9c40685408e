#!/usr/bin/python
"""Check a TLS certificate chain and its private key as a pair."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.tls_pair import TlsPairError, check_pair

DOCUMENTATION = r"""
---
module: tls_pair_info
short_description: Check that a TLS certificate and private key belong together
description:
  - Parses a PEM certificate chain and a PEM private key, checks that the key is the one of
    the chain's first certificate and that this certificate has not expired, and returns its
    subject, expiry and subject alternative names. Reads only; run it on the controller
    (C(delegate_to=localhost)), which needs the Python package C(cryptography) (a dependency
    of ansible-core).
  - An error is one line naming O(certificate_name) or O(private_key_name); it never quotes
    the PEM text. Set C(no_log) on the task all the same, since its arguments hold the key.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
options:
  certificate:
    description: The site's certificate in PEM, followed by any intermediates.
    type: str
    required: true
  private_key:
    description: The unencrypted PEM private key of the first certificate.
    type: str
    required: true
  certificate_name:
    description: How errors name the certificate, for example the variable that holds it.
    type: str
    default: certificate
  private_key_name:
    description: How errors name the private key.
    type: str
    default: private_key
"""

EXAMPLES = r"""
- name: Check the proxy's certificate and key as a pair
  tls_pair_info:
    certificate: "{{ django_app_tls_certificate }}"
    private_key: "{{ django_app_tls_private_key }}"
    certificate_name: django_app_tls_certificate
    private_key_name: django_app_tls_private_key
  delegate_to: localhost
  become: false
  run_once: true
  no_log: true
  register: django_app_tls_pair
"""

RETURN = r"""
subject:
  description: Subject of the first certificate, RFC 4514.
  returned: success
  type: str
  sample: CN=www.example.com
not_after:
  description: End of the first certificate's validity, ISO 8601 in UTC.
  returned: success
  type: str
  sample: "2027-03-01T12:00:00+00:00"
subject_alt_names:
  description: Subject alternative names of the first certificate (DNS names, addresses).
  returned: success
  type: list
  elements: str
  sample: [www.example.com, example.com]
chain_length:
  description: Number of certificates given, the site's own included.
  returned: success
  type: int
"""


def argument_spec() -> dict[str, Any]:
    return dict(
        certificate={"type": "str", "required": True, "no_log": True},
        private_key={"type": "str", "required": True, "no_log": True},
        certificate_name={"type": "str", "default": "certificate"},
        private_key_name={"type": "str", "default": "private_key"},
    )


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    try:
        pair = check_pair(
            params["certificate"],
            params["private_key"],
            now=datetime.now(UTC),
            certificate_name=params["certificate_name"],
            key_name=params["private_key_name"],
        )
    except TlsPairError as err:
        module.fail_json(msg=str(err))
    module.exit_json(changed=False, **pair.as_dict())


if __name__ == "__main__":
    main()

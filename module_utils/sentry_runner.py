"""The one runner of every sentry_* module: argument spec, token, slugs, client, errors.

A module gives its own options and a ``work(module, client)`` function that returns the
result; the runner builds the AnsibleModule, refuses bad slugs before the first request,
builds the client (which enforces the token and the deadline), and maps the errors of the
client and of the input to one ``fail_json`` line each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.sentry_api import (
    InputError,
    SentryAPIError,
    SentryClient,
    check_slug,
    client_argument_spec,
    client_from_params,
)

Work = Callable[[AnsibleModule, SentryClient], dict[str, Any]]


def argument_spec(options: dict[str, Any]) -> dict[str, Any]:
    """The shared API options plus the module's own."""
    spec = client_argument_spec()
    spec.update(options)
    return spec


def run_module(
    options: dict[str, Any],
    work: Work,
    slugs: Iterable[str] = (),
    before: Callable[[AnsibleModule], None] | None = None,
    **module_kwargs: Any,
) -> None:
    """Run a module: ``slugs`` names the options that go into URLs, ``before`` checks
    input that needs no request. Every module supports check mode."""
    module = AnsibleModule(
        argument_spec=argument_spec(options), supports_check_mode=True, **module_kwargs
    )
    try:
        for option in ("org", *slugs):
            if module.params.get(option) is not None:
                check_slug(module.params[option], option)
        if before is not None:
            before(module)
        client = client_from_params(module.params)
        for warning in client.warnings:
            module.warn(warning)
        result = work(module, client)
    except InputError as err:
        module.fail_json(msg=str(err))
    except SentryAPIError as err:
        module.fail_json(msg=str(err), status=err.status)
    module.exit_json(**result)
